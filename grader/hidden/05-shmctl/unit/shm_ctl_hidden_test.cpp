// Hidden unit tests of 05-shmctl (grading only): the fields as they change over a segment's life.
// stat_segment and remove_segment run in the worker (test/remote.cpp); the segments are the
// test program's (cpid its pid), attached by it or by a child of its own.
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <string>

#include "ipclab/testing.hpp"
#include "shm_ctl.hpp"
#include "test/shm_ctl_testing.hpp"

using ipclab::testing::errno_name;
using ipclab::testing::hex_key;
using ipclab::testing::msg;
using ipclab::testing::octal;
using ipclab::testing::segment_of;

namespace {

// A child attaches and detaches, then exits; returns its pid.
pid_t attach_and_detach_in_child(int shmid) {
    pid_t pid = fork();
    if (pid == 0) {
        void* p = shmat(shmid, nullptr, 0);
        if (p == reinterpret_cast<void*>(-1)) _exit(1);
        _exit(shmdt(p) == 0 ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << msg("child_could_not_attach").with("status", status);
    return pid;
}

}  // namespace

class ShmCtlHidden : public ipclab::testing::IpcTest {};

// size is the size asked for (shm_segsz), not the page-rounded memory.
TEST_F(ShmCtlHidden, SizeIsTheRequestedSize) {
    key_t k = key();
    ASSERT_NE(make_segment(k, 100, 0600), -1);
    std::size_t size = stat_segment(k).size;
    EXPECT_EQ(size, 100u) << msg("wrong_size").with("want", 100).with("got", size);
}

// Another process attached and detached: lpid is its pid, dtime is set, nattch back to 0.
TEST_F(ShmCtlHidden, AfterAnotherProcessDetached) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    pid_t child = attach_and_detach_in_child(id);
    shmid_ds ds = kernel_stat(id);
    SegmentInfo info = stat_segment(k);
    EXPECT_EQ(info.lpid, child) << msg("wrong_lpid").with("want", child).with("got", info.lpid);
    EXPECT_EQ(info.cpid, getpid())
        << msg("wrong_cpid").with("want", getpid()).with("got", info.cpid);
    EXPECT_EQ(info.nattch, 0u) << msg("nattch_after_detach").with("got", info.nattch);
    EXPECT_EQ(info.dtime, ds.shm_dtime)
        << msg("wrong_dtime").with("want", ds.shm_dtime).with("got", info.dtime);
    EXPECT_EQ(info.atime, ds.shm_atime)
        << msg("wrong_atime").with("want", ds.shm_atime).with("got", info.atime);
    EXPECT_GT(info.dtime, 0);
}

// Two attachments count two, and looking adds none.
TEST_F(ShmCtlHidden, TwoAttachmentsAndLookingAddsNone) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    void* a = shmat(id, nullptr, 0);
    void* b = shmat(id, nullptr, SHM_RDONLY);
    ASSERT_NE(a, reinterpret_cast<void*>(-1));
    ASSERT_NE(b, reinterpret_cast<void*>(-1));
    SegmentInfo info = stat_segment(k);
    shmid_ds after = kernel_stat(id);
    shmdt(a);
    shmdt(b);
    EXPECT_EQ(info.nattch, 2u) << msg("wrong_nattch").with("want", 2).with("got", info.nattch);
    EXPECT_EQ(after.shm_nattch, 2u)
        << msg("left_attached").with("want", 2).with("got", after.shm_nattch);
}

// IPC_SET changes the mode: perms follows the kernel, not the creation mode.
TEST_F(ShmCtlHidden, PermsFollowIpcSet) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    shmid_ds ds = kernel_stat(id);
    ds.shm_perm.mode = 0604;
    ASSERT_EQ(shmctl(id, IPC_SET, &ds), 0);
    SegmentInfo info = stat_segment(k);
    EXPECT_EQ(info.perms, 0604u) << msg("perms_not_from_kernel").with("got", octal(info.perms));
    std::time_t kernel_ctime = kernel_stat(id).shm_ctime;
    EXPECT_EQ(info.ctime, kernel_ctime)
        << msg("wrong_ctime").with("want", kernel_ctime).with("got", info.ctime);
}

// Removing twice: the second time there is no segment, and nothing is created.
TEST_F(ShmCtlHidden, RemoveTwiceFailsTheSecondTime) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    int removed = remove_segment(k);
    EXPECT_EQ(removed, id) << msg("remove_wrong_return").with("want", id).with("got", removed);
    EXPECT_SYSERROR(remove_segment(k), "shmget", ENOENT);
    EXPECT_EQ(segment_of(k), -1) << msg("created_segment").with("function", "remove_segment");
}

// A marked segment's key is gone: stat_segment by key reports shmget's ENOENT.
TEST_F(ShmCtlHidden, MarkedSegmentNoLongerAnswersToItsKey) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    void* p = shmat(id, nullptr, 0);
    ASSERT_NE(p, reinterpret_cast<void*>(-1));
    int removed = remove_segment(k);
    EXPECT_EQ(removed, id) << msg("remove_wrong_return").with("want", id).with("got", removed);
    EXPECT_SYSERROR(stat_segment(k), "shmget", ENOENT);
    shmid_ds ds = kernel_stat(id);
    EXPECT_EQ(ds.shm_perm.__key, 0)
        << msg("key_not_private").with("key", hex_key(ds.shm_perm.__key));
    shmdt(p);
}
