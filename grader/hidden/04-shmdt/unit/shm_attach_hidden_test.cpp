// Hidden unit tests of 04-shmdt: attachments as the kernel counts them, and the error paths of
// the whole session.
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ipclab/testing.hpp"
#include "shm_attach.hpp"
#include "test/session_probe.hpp"

using ipclab::testing::segment_of;
using shmdt_test::describe_throw;
using shmdt_test::run_session;
using shmdt_test::snapshot;

class ShmAttachHidden : public ipclab::testing::IpcTest {};

// Knowing the id is not being attached: only shmat counts in nattch, and the session detaches
// its own attachment, never another one.
TEST_F(ShmAttachHidden, SessionDetachesOnlyItsOwnAttachment) {
    int id = make_segment(key(), 64, 0600);
    ASSERT_EQ(segment_of(key()), id);
    EXPECT_EQ(snapshot(id).nattch, 0) << "test set-up: shmget alone attached something";
    void* ours = shmat(id, nullptr, 0);
    ASSERT_NE(ours, reinterpret_cast<void*>(-1)) << "test set-up: shmat: " << std::strerror(errno);
    auto o = run_session(key(), id);
    shmdt(ours);
    ASSERT_FALSE(o.threw) << describe_throw(o);
    ASSERT_FALSE(o.at_wait.empty()) << "attach_session never read its input";
    EXPECT_EQ(o.at_wait[0].nattch, 2)
        << "with the test attached too, nattch should be 2 while the session waits (got "
        << o.at_wait[0].nattch << ")";
    EXPECT_EQ(o.when_detached_flushed.nattch, 1)
        << "after the session detached, only the test's attachment should remain (nattch 1, got "
        << o.when_detached_flushed.nattch << ")";
}

// A line that arrives in pieces is still one line: the session waits for its end.
TEST_F(ShmAttachHidden, WaitsForTheWholeLine) {
    int id = make_segment(key(), 64, 0600);
    auto o = run_session(key(), id, {"hel", "lo\n"});
    ASSERT_FALSE(o.threw) << describe_throw(o);
    ASSERT_GE(o.at_wait.size(), 2u) << "attach_session stopped reading before the end of the "
                                       "first line: read a whole line with std::getline";
    EXPECT_EQ(o.at_wait[1].nattch, 1) << "the session detached in the middle of the line: read "
                                         "the whole line (std::getline), not one character";
    EXPECT_EQ(o.flushed_at_wait[1], "attached\n")
        << "in the middle of the line the output showed '" << o.flushed_at_wait[1]
        << "': by then \"attached\\n\" must be flushed and \"detached\" not yet printed";
    EXPECT_EQ(o.output(), "attached\ndetached\n") << "the output must be exactly these two lines";
    EXPECT_TRUE(o.after.exists) << "the segment was removed: shm_attach must never remove it";
    EXPECT_EQ(o.after.nattch, 0) << "the session ended still attached: call shmdt";
}

// A 0000 segment: shmat fails; the session throws SysError("shmat") before printing anything.
TEST_F(ShmAttachHidden, SessionOnForbiddenSegmentThrowsShmat) {
    int id = make_segment(key(), 64, 0000);
    auto o = run_session(key(), id);
    EXPECT_TRUE(o.threw) << "attach_session went on although shmat failed: compare shmat's "
                            "result with (void *)-1 and throw ipclab::SysError(\"shmat\")";
    EXPECT_EQ(o.error_call, "shmat") << "the error should name shmat";
    EXPECT_EQ(o.error_errno, EACCES);
    EXPECT_EQ(o.output(), "") << "nothing may be printed when attaching fails";
    // IPC_STAT needs read permission, which 0000 denies: look the key up instead.
    EXPECT_EQ(segment_of(key()), id) << "the segment was removed: never remove it";
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
    EXPECT_EQ(id, -1) << "attach_session created a segment: shmget(key, 0, 0), never IPC_CREAT";
    EXPECT_EQ(o.error_call, "shmget") << "the error should name shmget";
    EXPECT_EQ(o.error_errno, ENOENT) << "expected No such file or directory";
}

// The kernel records the session: lpid is ours, dtime set, no attachment left, two sessions in a row work.
TEST_F(ShmAttachHidden, TwoSessionsInARow) {
    int id = make_segment(key(), 64, 0600);
    auto first = run_session(key(), id);
    auto second = run_session(key(), id);
    ASSERT_FALSE(first.threw) << describe_throw(first);
    ASSERT_FALSE(second.threw) << describe_throw(second);
    EXPECT_EQ(second.at_wait.empty() ? -1 : second.at_wait[0].nattch, 1)
        << "the second session should find the segment free and attach once";
    ASSERT_TRUE(second.after.exists) << "the segment was removed: shm_attach must never remove it";
    EXPECT_EQ(second.after.nattch, 0) << "attachments pile up: every session must shmdt its own";
    EXPECT_EQ(second.after.lpid, getpid()) << "shm_lpid should be the last pid that detached (ours)";
    EXPECT_GE(second.after.dtime, second.after.atime) << "the last operation should be a detach";
}
