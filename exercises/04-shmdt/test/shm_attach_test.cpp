// Visible unit tests of 04-shmdt: attach_segment(), detach_segment() and attach_session() called
// in the worker (test/remote.cpp), with the kernel's state (IPC_STAT, the worker's
// /proc/PID/maps) looked at while the session is blocked.
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "ipclab/remote.hpp"
#include "ipclab/testing.hpp"
#include "session_probe.hpp"
#include "shm_attach.hpp"

using ipclab::remote::worker_pid;
using ipclab::testing::errno_name;
using ipclab::testing::listed;
using ipclab::testing::msg;
using ipclab::testing::segment_of;
using shmdt_test::describe_throw;
using shmdt_test::mapped_at;
using shmdt_test::run_session;
using shmdt_test::shown;
using shmdt_test::snapshot;

class ShmAttachSegment : public shmdt_test::SessionTest {};

// detach_segment(p), turning a SysError into a failure that names the likely mistake. What
// stays attached in the worker goes with it at TearDown.
static bool detach_explained(void* p) {
    try {
        detach_segment(p);
        return true;
    } catch (const ipclab::SysError& e) {
        if (e.error() == EINVAL) {
            ADD_FAILURE() << msg("detach_threw_einval")
                                 .with("call", e.call())
                                 .with("error", errno_name(e.error()));
        } else {
            ADD_FAILURE()
                << msg("detach_threw").with("call", e.call()).with("error", errno_name(e.error()));
        }
        return false;
    }
}

// attach_segment attaches: the kernel counts one attachment by the process that called it, and
// the address returned is where that process has the segment (its /proc/PID/maps).
TEST_F(ShmAttachSegment, AttachCountsOneAttachment) {
    int id = make_segment(key(), 64, 0600, {41});
    void* p = nullptr;
    try {
        p = attach_segment(key());
    } catch (const ipclab::SysError& e) {
        FAIL() << msg("attach_threw_on_existing")
                      .with("call", e.call())
                      .with("error", errno_name(e.error()));
    }
    ASSERT_NE(p, nullptr) << msg("attach_returned_null");
    ASSERT_NE(p, reinterpret_cast<void*>(-1)) << msg("attach_returned_minus_one");
    auto s = snapshot(id);
    EXPECT_EQ(s.nattch, 1) << msg("attach_not_counted").with("nattch", s.nattch);
    const pid_t worker = worker_pid();
    EXPECT_EQ(s.lpid, worker)
        << msg("lpid_not_ours_after_shmat").with("lpid", s.lpid).with("pid", worker);
    std::vector<const void*> at = mapped_at(worker, id);
    bool there = false;
    for (const void* a : at) there = there || a == p;
    EXPECT_TRUE(there) << msg("address_not_the_segment").with("addr", p).with("got", listed(at));
}

// detach_segment detaches that address: nattch drops to 0 and the kernel records dtime and lpid.
// The attachment is the lab's own (worker_shmat), made in the process that runs the code.
TEST_F(ShmAttachSegment, DetachDropsNattchAndSetsDtime) {
    int id = make_segment(key(), 64, 0600);
    void* p = nullptr;
    try {
        p = shmdt_test::worker_shmat(id);
    } catch (const ipclab::SysError& e) {
        FAIL() << msg("setup_failed").with("call", "shmat").with("error", errno_name(e.error()));
    }
    if (!detach_explained(p)) return;
    auto s = snapshot(id);
    EXPECT_EQ(s.nattch, 0) << msg("still_attached_after_detach").with("nattch", s.nattch);
    EXPECT_GT(s.dtime, 0) << msg("no_dtime_after_detach");
    const pid_t worker = worker_pid();
    EXPECT_EQ(s.lpid, worker)
        << msg("lpid_not_ours_after_shmdt").with("lpid", s.lpid).with("pid", worker);
}

// Two attachments are two: each pointer is detached on its own, and nattch counts them.
TEST_F(ShmAttachSegment, EachAttachmentIsDetachedOnItsOwn) {
    int id = make_segment(key(), 64, 0600);
    void* a = attach_segment(key());
    void* b = attach_segment(key());
    EXPECT_NE(a, b) << msg("same_address_twice").with("addr", a);
    long both = snapshot(id).nattch;
    EXPECT_EQ(both, 2) << msg("two_attachments_not_counted").with("nattch", both);
    if (!detach_explained(a)) return;
    long one = snapshot(id).nattch;
    EXPECT_EQ(one, 1) << msg("one_detach_not_one_left").with("nattch", one);
    if (!detach_explained(b)) return;
    long none = snapshot(id).nattch;
    EXPECT_EQ(none, 0) << msg("both_detached_not_zero").with("nattch", none);
}

class ShmAttachErrors : public shmdt_test::SessionTest {};

// No segment: shmget(key, 0, 0) fails with ENOENT, and nothing is created.
TEST_F(ShmAttachErrors, MissingSegmentIsShmgetEnoentAndCreatesNothing) {
    EXPECT_SYSERROR(attach_segment(key()), "shmget", ENOENT);
    int id = segment_of(key());
    track(id);
    EXPECT_EQ(id, -1) << msg("attach_created_segment").with("shmid", id);
}

// A segment the code may not read or write: shmat fails, and it says so with (void *)-1, not NULL.
TEST_F(ShmAttachErrors, ShmatFailureIsThrown) {
    make_segment(key(), 64, 0000);
    void* p = nullptr;
    try {
        p = attach_segment(key());
    } catch (const ipclab::SysError& e) {
        ipclab::testing::expect_syserror_is(e, "shmat", EACCES);
        return;
    }
    ADD_FAILURE() << msg("shmat_failure_not_checked").with("addr", p);
}

// Detaching an address where nothing is attached is shmdt's EINVAL, and it must be thrown (an
// address of the test's stack: in the worker, no segment is attached there either).
TEST_F(ShmAttachErrors, DetachOfAnAddressNotAttachedThrowsShmdtEinval) {
    int on_the_stack = 0;
    EXPECT_SYSERROR(detach_segment(&on_the_stack), "shmdt", EINVAL);
}

class ShmAttachSession : public shmdt_test::SessionTest {};

// "attached" must be flushed before the session blocks reading its line.
TEST_F(ShmAttachSession, AttachedIsFlushedBeforeWaiting) {
    int id = make_segment(key(), 64, 0600);
    auto o = run_session(key(), id);
    ASSERT_FALSE(o.threw) << describe_throw(o);
    ASSERT_FALSE(o.at_wait.empty()) << msg("session_never_read");
    EXPECT_EQ(o.flushed_at_wait[0], "attached\n")
        << msg("attached_not_flushed")
               .with("flushed", shown(o.flushed_at_wait[0]))
               .with("buffered", shown(o.buffered_at_wait[0]));
}

// While it waits for the line it is attached (nattch 1), and it attached before saying so.
TEST_F(ShmAttachSession, AttachedWhileWaitingForTheLine) {
    int id = make_segment(key(), 64, 0600);
    auto o = run_session(key(), id);
    ASSERT_FALSE(o.threw) << describe_throw(o);
    ASSERT_FALSE(o.at_wait.empty()) << msg("session_never_read");
    EXPECT_EQ(o.at_wait[0].nattch, 1)
        << msg("not_attached_while_waiting").with("nattch", o.at_wait[0].nattch);
    if (o.attached_flushed && o.flushed_at_wait[0] == "attached\n") {
        EXPECT_EQ(o.when_attached_flushed.nattch, 1)
            << msg("attached_printed_before_shmat").with("nattch", o.when_attached_flushed.nattch);
    }
}

// "detached" is printed only after shmdt: by then nattch is 0 and dtime is set.
TEST_F(ShmAttachSession, DetachesBeforePrintingDetached) {
    int id = make_segment(key(), 64, 0600);
    auto o = run_session(key(), id);
    ASSERT_FALSE(o.threw) << describe_throw(o);
    ASSERT_TRUE(o.detached_flushed)
        << msg("detached_not_flushed").with("output", shown(o.output()));
    EXPECT_EQ(o.when_detached_flushed.nattch, 0)
        << msg("detached_printed_while_attached").with("nattch", o.when_detached_flushed.nattch);
    EXPECT_GT(o.when_detached_flushed.dtime, 0) << msg("detached_printed_without_dtime");
    const pid_t worker = worker_pid();
    EXPECT_EQ(o.when_detached_flushed.lpid, worker)
        << msg("lpid_not_ours_after_shmdt")
               .with("lpid", o.when_detached_flushed.lpid)
               .with("pid", worker);
}

// After detaching it waits for the end of its input, with "detached" already flushed.
TEST_F(ShmAttachSession, WaitsDetachedForTheEndOfInput) {
    int id = make_segment(key(), 64, 0600);
    auto o = run_session(key(), id);
    ASSERT_FALSE(o.threw) << describe_throw(o);
    EXPECT_TRUE(o.reached_end) << msg("returned_before_eof");
    if (o.at_wait.size() >= 2) {
        EXPECT_TRUE(o.at_wait[1].exists) << msg("removed_after_detached");
    }
    if (o.at_wait.size() >= 2 && o.at_wait[1].exists) {
        EXPECT_EQ(o.at_wait[1].nattch, 0)
            << msg("attached_while_waiting_for_eof").with("nattch", o.at_wait[1].nattch);
        EXPECT_EQ(o.flushed_at_wait[1], "attached\ndetached\n")
            << msg("detached_not_flushed_before_eof")
                   .with("flushed", shown(o.flushed_at_wait[1]))
                   .with("buffered", shown(o.buffered_at_wait[1]));
    }
    EXPECT_EQ(o.output(), "attached\ndetached\n")
        << msg("wrong_output").with("output", shown(o.output()));
}

// The session never removes the segment: it is still there, same id, nobody attached.
TEST_F(ShmAttachSession, NeverRemovesTheSegment) {
    int id = make_segment(key(), 64, 0600);
    auto o = run_session(key(), id);
    ASSERT_FALSE(o.threw) << describe_throw(o);
    ASSERT_TRUE(o.reached_end) << msg("protocol_not_finished");
    ASSERT_TRUE(o.after.exists) << msg("segment_removed");
    int now = segment_of(key());
    EXPECT_EQ(now, id) << msg("key_names_another_segment").with("shmid", id).with("got", now);
    EXPECT_EQ(o.after.nattch, 0)
        << msg("still_attached_after_session").with("nattch", o.after.nattch);
}

// When attaching fails, the session throws before writing anything.
TEST_F(ShmAttachSession, FailedAttachPrintsNothing) {
    auto o = run_session(key(), -1);
    track(segment_of(key()));
    EXPECT_TRUE(o.threw) << msg("session_missing_not_thrown");
    if (o.threw) {
        expect_thrown(o, "shmget", ENOENT);
    }
    EXPECT_EQ(o.output(), "") << msg("printed_on_failed_attach").with("output", shown(o.output()));
    int created = segment_of(key());
    EXPECT_EQ(created, -1) << msg("session_created_segment").with("shmid", created);
}
