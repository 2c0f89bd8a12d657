// Visible unit tests of 04-shmdt: attach_segment(), detach_segment() and attach_session() called
// in-process, with the kernel's state (IPC_STAT) looked at while the session is blocked.
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "ipclab/testing.hpp"
#include "session_probe.hpp"
#include "shm_attach.hpp"

using ipclab::testing::segment_of;
using shmdt_test::describe_throw;
using shmdt_test::run_session;
using shmdt_test::snapshot;

class ShmAttachSegment : public ipclab::testing::IpcTest {};

// detach_segment(p), turning a SysError into a failure that names the likely mistake.
static bool detach_explained(void* p) {
    try {
        detach_segment(p);
        return true;
    } catch (const ipclab::SysError& e) {
        ADD_FAILURE() << "detach_segment(p) threw " << e.what()
                      << (e.error() == EINVAL ? ": shmdt must get the address itself, "
                                                "shmdt(addr), not the address of the variable, "
                                                "shmdt(&addr)"
                                              : "");
        shmdt(p);
        return false;
    }
}

// attach_segment attaches: the address works and the kernel counts one attachment by us.
TEST_F(ShmAttachSegment, AttachCountsOneAttachment) {
    int id = make_segment(key(), 64, 0600, {41});
    void* p = nullptr;
    try {
        p = attach_segment(key());
    } catch (const ipclab::SysError& e) {
        FAIL() << "attach_segment threw " << e.what() << " on an existing 0600 segment";
    }
    ASSERT_NE(p, nullptr) << "attach_segment returned NULL: return the address shmat gave";
    ASSERT_NE(p, reinterpret_cast<void*>(-1))
        << "attach_segment returned (void *)-1: that is shmat's error value, check it and throw";
    auto s = snapshot(id);
    EXPECT_EQ(s.nattch, 1) << "after attach_segment shm_nattch should be 1: call shmat";
    EXPECT_EQ(s.lpid, getpid()) << "shm_lpid should be our pid after shmat";
    EXPECT_EQ(*static_cast<std::int32_t*>(p), 41)
        << "the address does not show the segment's first int: return what shmat returned";
    shmdt(p);
}

// detach_segment detaches that address: nattch drops to 0 and the kernel records dtime and lpid.
TEST_F(ShmAttachSegment, DetachDropsNattchAndSetsDtime) {
    int id = make_segment(key(), 64, 0600);
    void* p = shmat(id, nullptr, 0);
    ASSERT_NE(p, reinterpret_cast<void*>(-1)) << "test set-up: shmat: " << std::strerror(errno);
    if (!detach_explained(p)) return;
    auto s = snapshot(id);
    if (s.nattch != 0) shmdt(p);
    EXPECT_EQ(s.nattch, 0) << "after detach_segment shm_nattch is still " << s.nattch
                           << ": detach_segment must call shmdt(addr)";
    EXPECT_GT(s.dtime, 0) << "shm_dtime was never set: shmdt was not called";
    EXPECT_EQ(s.lpid, getpid()) << "shm_lpid should be our pid after shmdt";
}

// Two attachments are two: each pointer is detached on its own, and nattch counts them.
TEST_F(ShmAttachSegment, EachAttachmentIsDetachedOnItsOwn) {
    int id = make_segment(key(), 64, 0600);
    void* a = attach_segment(key());
    void* b = attach_segment(key());
    EXPECT_NE(a, b) << "two shmat calls give two different addresses";
    EXPECT_EQ(snapshot(id).nattch, 2) << "two attach_segment calls should count 2 attachments";
    if (!detach_explained(a)) {
        shmdt(b);
        return;
    }
    EXPECT_EQ(snapshot(id).nattch, 1) << "detaching one pointer must leave the other attached";
    if (!detach_explained(b)) return;
    EXPECT_EQ(snapshot(id).nattch, 0) << "after detaching both pointers nattch should be 0";
}

class ShmAttachErrors : public ipclab::testing::IpcTest {};

// No segment: shmget(key, 0, 0) fails with ENOENT, and nothing is created.
TEST_F(ShmAttachErrors, MissingSegmentIsShmgetEnoentAndCreatesNothing) {
    EXPECT_SYSERROR(attach_segment(key()), "shmget", ENOENT);
    int id = segment_of(key());
    track(id);
    EXPECT_EQ(id, -1) << "attach_segment created a segment: shm_attach never creates one, call "
                         "shmget(key, 0, 0) without IPC_CREAT";
}

// A segment we may not read or write: shmat fails, and it says so with (void *)-1, not NULL.
TEST_F(ShmAttachErrors, ShmatFailureIsThrown) {
    make_segment(key(), 64, 0000);
    void* p = nullptr;
    try {
        p = attach_segment(key());
    } catch (const ipclab::SysError& e) {
        EXPECT_EQ(e.call(), "shmat") << "the error should name the failing call, shmat (got "
                                     << e.what() << ")";
        EXPECT_EQ(e.error(), EACCES) << "expected Permission denied, got " << e.what();
        return;
    }
    ADD_FAILURE() << "attach_segment returned " << p << " for a mode 0000 segment: shmat failed "
                  << "with (void *)-1 and it was not checked. Compare with (void *)-1 (not "
                  << "NULL) and throw ipclab::SysError(\"shmat\")";
}

// Detaching an address where nothing is attached is shmdt's EINVAL, and it must be thrown.
TEST_F(ShmAttachErrors, DetachOfAnAddressNotAttachedThrowsShmdtEinval) {
    int on_the_stack = 0;
    EXPECT_SYSERROR(detach_segment(&on_the_stack), "shmdt", EINVAL);
}

class ShmAttachSession : public ipclab::testing::IpcTest {};

// "attached" must be flushed before the session blocks reading its line.
TEST_F(ShmAttachSession, AttachedIsFlushedBeforeWaiting) {
    int id = make_segment(key(), 64, 0600);
    auto o = run_session(key(), id);
    ASSERT_FALSE(o.threw) << describe_throw(o);
    ASSERT_FALSE(o.at_wait.empty()) << "attach_session never read its input: read one line "
                                       "with std::getline(in, line)";
    EXPECT_EQ(o.flushed_at_wait[0], "attached\n")
        << "when attach_session started waiting for its line, the output showed '"
        << o.flushed_at_wait[0] << "' and '" << o.buffered_at_wait[0]
        << "' was still in the buffer. Write \"attached\\n\" and flush it (std::flush or "
           "std::endl) before reading: nobody sees an unflushed line while you are blocked";
}

// While it waits for the line it is attached (nattch 1), and it attached before saying so.
TEST_F(ShmAttachSession, AttachedWhileWaitingForTheLine) {
    int id = make_segment(key(), 64, 0600);
    auto o = run_session(key(), id);
    ASSERT_FALSE(o.threw) << describe_throw(o);
    ASSERT_FALSE(o.at_wait.empty()) << "attach_session never read its input";
    EXPECT_EQ(o.at_wait[0].nattch, 1)
        << "while waiting for the line shm_nattch was " << o.at_wait[0].nattch
        << ": attach (shmat) first, and stay attached until the line arrives; detach only after it";
    if (o.attached_flushed && o.flushed_at_wait[0] == "attached\n") {
        EXPECT_EQ(o.when_attached_flushed.nattch, 1)
            << "\"attached\" was printed while nattch was " << o.when_attached_flushed.nattch
            << ": print it only after shmat succeeded";
    }
}

// "detached" is printed only after shmdt: by then nattch is 0 and dtime is set.
TEST_F(ShmAttachSession, DetachesBeforePrintingDetached) {
    int id = make_segment(key(), 64, 0600);
    auto o = run_session(key(), id);
    ASSERT_FALSE(o.threw) << describe_throw(o);
    ASSERT_TRUE(o.detached_flushed)
        << "\"detached\\n\" never reached the output flushed (output: '" << o.output()
        << "'): write it and flush it (std::endl) before waiting for the end of input";
    EXPECT_EQ(o.when_detached_flushed.nattch, 0)
        << "\"detached\" was printed while shm_nattch was " << o.when_detached_flushed.nattch
        << ": call shmdt before printing it (and never forget to detach)";
    EXPECT_GT(o.when_detached_flushed.dtime, 0) << "shm_dtime not set when \"detached\" was printed";
    EXPECT_EQ(o.when_detached_flushed.lpid, getpid())
        << "shm_lpid should be the pid that detached last (ours)";
}

// After detaching it waits for the end of its input, with "detached" already flushed.
TEST_F(ShmAttachSession, WaitsDetachedForTheEndOfInput) {
    int id = make_segment(key(), 64, 0600);
    auto o = run_session(key(), id);
    ASSERT_FALSE(o.threw) << describe_throw(o);
    EXPECT_TRUE(o.reached_end) << "attach_session returned before the end of its input: after "
                                  "\"detached\", read `in` until the end (e.g. in.ignore(...))";
    if (o.at_wait.size() >= 2) {
        EXPECT_TRUE(o.at_wait[1].exists) << "the segment was gone after \"detached\": "
                                            "shm_attach must never remove it (no IPC_RMID)";
    }
    if (o.at_wait.size() >= 2 && o.at_wait[1].exists) {
        EXPECT_EQ(o.at_wait[1].nattch, 0) << "while waiting for the end of input the segment "
                                             "was still attached: detach after the first line";
        EXPECT_EQ(o.flushed_at_wait[1], "attached\ndetached\n")
            << "while waiting for the end of input the output showed '" << o.flushed_at_wait[1]
            << "' (and '" << o.buffered_at_wait[1] << "' was unflushed): flush \"detached\\n\" "
               "before blocking";
    }
    EXPECT_EQ(o.output(), "attached\ndetached\n") << "the output must be exactly these two lines";
}

// The session never removes the segment: it is still there, same id, nobody attached.
TEST_F(ShmAttachSession, NeverRemovesTheSegment) {
    int id = make_segment(key(), 64, 0600);
    auto o = run_session(key(), id);
    ASSERT_FALSE(o.threw) << describe_throw(o);
    ASSERT_TRUE(o.reached_end) << "attach_session did not run its protocol to the end of input";
    ASSERT_TRUE(o.after.exists) << "the segment is gone after attach_session: shm_attach must "
                                   "never remove it (no shmctl IPC_RMID; that is exercise 05)";
    EXPECT_EQ(segment_of(key()), id) << "the key no longer names the same segment";
    EXPECT_EQ(o.after.nattch, 0) << "after attach_session the segment is still attached "
                                    "(nattch " << o.after.nattch << "): call shmdt";
}

// When attaching fails, the session throws before writing anything.
TEST_F(ShmAttachSession, FailedAttachPrintsNothing) {
    auto o = run_session(key(), -1);
    track(segment_of(key()));
    EXPECT_TRUE(o.threw) << "attach_session returned normally with no segment: attach_segment "
                            "must throw SysError(\"shmget\")";
    EXPECT_EQ(o.error_call, "shmget");
    EXPECT_EQ(o.error_errno, ENOENT) << "expected No such file or directory";
    EXPECT_EQ(o.output(), "") << "nothing may be printed when attaching fails";
    EXPECT_EQ(segment_of(key()), -1) << "attach_session created a segment: never use IPC_CREAT here";
}
