// Hidden unit tests of 04-shmdt: attachments as the kernel counts them, and the error paths of
// the whole session.
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ipclab/remote.hpp"
#include "ipclab/testing.hpp"
#include "shm_attach.hpp"
#include "test/session_probe.hpp"

using ipclab::testing::errno_name;
using ipclab::testing::msg;
using ipclab::testing::segment_of;
using shmdt_test::describe_throw;
using shmdt_test::run_session;
using shmdt_test::shown;
using shmdt_test::snapshot;

class ShmAttachHidden : public shmdt_test::SessionTest {};

// Knowing the id is not being attached: only shmat counts in nattch, and the session detaches
// its own attachment, never another one.
TEST_F(ShmAttachHidden, SessionDetachesOnlyItsOwnAttachment) {
    int id = make_segment(key(), 64, 0600);
    ASSERT_EQ(segment_of(key()), id);
    long before = snapshot(id).nattch;
    EXPECT_EQ(before, 0) << msg("setup_attached_by_shmget").with("nattch", before);
    void* ours = shmat(id, nullptr, 0);
    int err = errno;
    ASSERT_NE(ours, reinterpret_cast<void*>(-1))
        << msg("setup_failed").with("call", "shmat").with("error", errno_name(err));
    auto o = run_session(key(), id);
    shmdt(ours);
    ASSERT_FALSE(o.threw) << describe_throw(o);
    ASSERT_FALSE(o.at_wait.empty()) << msg("session_never_read");
    EXPECT_EQ(o.at_wait[0].nattch, 2)
        << msg("not_two_with_the_test_attached").with("nattch", o.at_wait[0].nattch);
    EXPECT_EQ(o.when_detached_flushed.nattch, 1)
        << msg("detached_not_only_its_own").with("nattch", o.when_detached_flushed.nattch);
}

// A line that arrives in pieces is still one line: the session waits for its end.
TEST_F(ShmAttachHidden, WaitsForTheWholeLine) {
    int id = make_segment(key(), 64, 0600);
    auto o = run_session(key(), id, {"hel", "lo\n"});
    ASSERT_FALSE(o.threw) << describe_throw(o);
    ASSERT_GE(o.at_wait.size(), 2u) << msg("stopped_reading_mid_line");
    EXPECT_EQ(o.at_wait[1].nattch, 1)
        << msg("detached_mid_line").with("nattch", o.at_wait[1].nattch);
    EXPECT_EQ(o.flushed_at_wait[1], "attached\n")
        << msg("wrong_output_mid_line").with("flushed", shown(o.flushed_at_wait[1]));
    EXPECT_EQ(o.output(), "attached\ndetached\n")
        << msg("wrong_output").with("output", shown(o.output()));
    EXPECT_TRUE(o.after.exists) << msg("segment_removed");
    EXPECT_EQ(o.after.nattch, 0)
        << msg("still_attached_after_session").with("nattch", o.after.nattch);
}

// A 0000 segment: shmat fails; the session throws SysError("shmat") before printing anything.
TEST_F(ShmAttachHidden, SessionOnForbiddenSegmentThrowsShmat) {
    int id = make_segment(key(), 64, 0000);
    auto o = run_session(key(), id);
    EXPECT_TRUE(o.threw) << msg("session_shmat_not_thrown");
    if (o.threw) {
        expect_thrown(o, "shmat", EACCES);
    }
    EXPECT_EQ(o.output(), "") << msg("printed_on_failed_attach").with("output", shown(o.output()));
    // IPC_STAT needs read permission, which 0000 denies: look the key up instead.
    EXPECT_EQ(segment_of(key()), id) << msg("segment_removed");
}

// A 0400 segment cannot be attached read-write: shmat fails with EACCES.
TEST_F(ShmAttachHidden, ReadOnlySegmentRefusesReadWriteAttach) {
    make_segment(key(), 64, 0400);
    EXPECT_SYSERROR(attach_segment(key()), "shmat", EACCES);
}

// shmdt(NULL) is EINVAL too: detach_segment reports it.
TEST_F(ShmAttachHidden, DetachOfNullThrowsShmdtEinval) {
    EXPECT_SYSERROR(detach_segment(nullptr), "shmdt", EINVAL);
}

// No segment: the session creates none under the key (no IPC_CREAT) and fails with ENOENT.
TEST_F(ShmAttachHidden, MissingSegmentSessionCreatesNothing) {
    auto o = run_session(key(7), -1);
    int id = segment_of(key(7));
    track(id);
    EXPECT_EQ(id, -1) << msg("session_created_segment").with("shmid", id);
    if (o.threw) {
        expect_thrown(o, "shmget", ENOENT);
    } else {
        ADD_FAILURE() << msg("session_missing_not_thrown");
    }
}

// The kernel records the session: lpid is the worker's (it ran the code), dtime set, no attachment left, two sessions in a row work.
TEST_F(ShmAttachHidden, TwoSessionsInARow) {
    int id = make_segment(key(), 64, 0600);
    auto first = run_session(key(), id);
    auto second = run_session(key(), id);
    ASSERT_FALSE(first.threw) << describe_throw(first);
    ASSERT_FALSE(second.threw) << describe_throw(second);
    long waiting = second.at_wait.empty() ? -1 : second.at_wait[0].nattch;
    EXPECT_EQ(waiting, 1) << msg("second_session_not_attached_once").with("nattch", waiting);
    ASSERT_TRUE(second.after.exists) << msg("segment_removed");
    EXPECT_EQ(second.after.nattch, 0)
        << msg("attachments_pile_up").with("nattch", second.after.nattch);
    const pid_t worker = ipclab::remote::worker_pid();
    EXPECT_EQ(second.after.lpid, worker)
        << msg("lpid_not_ours_after_shmdt").with("lpid", second.after.lpid).with("pid", worker);
    EXPECT_GE(second.after.dtime, second.after.atime) << msg("last_operation_not_a_detach")
                                                             .with("dtime", second.after.dtime)
                                                             .with("atime", second.after.atime);
}
