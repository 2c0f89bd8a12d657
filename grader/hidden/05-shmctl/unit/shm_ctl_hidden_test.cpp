// Hidden unit tests of 05-shmctl (grading only): the fields as they change over a segment's life.
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "ipclab/testing.hpp"
#include "shm_ctl.hpp"

using ipclab::testing::segment_of;

namespace {

shmid_ds kernel_stat(int shmid) {
    shmid_ds ds{};
    EXPECT_TRUE(ipclab::testing::stat_segment(shmid, ds)) << "test: IPC_STAT failed";
    return ds;
}

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
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "test: the child could not attach";
    return pid;
}

}  // namespace

class ShmCtlHidden : public ipclab::testing::IpcTest {};

// size is the size asked for (shm_segsz), not the page-rounded memory.
TEST_F(ShmCtlHidden, SizeIsTheRequestedSize) {
    key_t k = key();
    ASSERT_NE(make_segment(k, 100, 0600), -1);
    EXPECT_EQ(stat_segment(k).size, 100u) << "size must be ds.shm_segsz (100 here), not a page size";
}

// Another process attached and detached: lpid is its pid, dtime is set, nattch back to 0.
TEST_F(ShmCtlHidden, AfterAnotherProcessDetached) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    pid_t child = attach_and_detach_in_child(id);
    shmid_ds ds = kernel_stat(id);
    SegmentInfo info = stat_segment(k);
    EXPECT_EQ(info.lpid, child) << "lpid must be ds.shm_lpid: the last process that attached/detached";
    EXPECT_EQ(info.cpid, getpid()) << "cpid must be ds.shm_cpid, the creator, not the last user";
    EXPECT_EQ(info.nattch, 0u) << "the child detached: nattch must be ds.shm_nattch (0)";
    EXPECT_EQ(info.dtime, ds.shm_dtime) << "dtime must be ds.shm_dtime, set by the last shmdt";
    EXPECT_EQ(info.atime, ds.shm_atime) << "atime must be ds.shm_atime, set by the last shmat";
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
    EXPECT_EQ(info.nattch, 2u) << "two attachments: nattch must be ds.shm_nattch (2)";
    EXPECT_EQ(after.shm_nattch, 2u) << "stat_segment left an attachment behind: use IPC_STAT, not shmat";
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
    EXPECT_EQ(info.perms, 0604u) << "perms must be read from ds.shm_perm.mode & 0777 (here 0604)";
    EXPECT_EQ(info.ctime, kernel_stat(id).shm_ctime) << "ctime must be ds.shm_ctime (IPC_SET sets it)";
}

// Removing twice: the second time there is no segment, and nothing is created.
TEST_F(ShmCtlHidden, RemoveTwiceFailsTheSecondTime) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    EXPECT_EQ(remove_segment(k), id);
    EXPECT_SYSERROR(remove_segment(k), "shmget", ENOENT);
    EXPECT_EQ(segment_of(k), -1) << "remove_segment created a segment: use shmget(key, 0, 0)";
}

// A marked segment's key is gone: stat_segment by key reports shmget's ENOENT.
TEST_F(ShmCtlHidden, MarkedSegmentNoLongerAnswersToItsKey) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    void* p = shmat(id, nullptr, 0);
    ASSERT_NE(p, reinterpret_cast<void*>(-1));
    EXPECT_EQ(remove_segment(k), id);
    EXPECT_SYSERROR(stat_segment(k), "shmget", ENOENT);
    shmid_ds ds = kernel_stat(id);
    EXPECT_EQ(ds.shm_perm.__key, 0) << "IPC_RMID on an attached segment makes its key IPC_PRIVATE";
    shmdt(p);
}
