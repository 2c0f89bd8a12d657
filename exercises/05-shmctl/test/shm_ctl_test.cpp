// Visible unit tests of 05-shmctl: stat_segment() and remove_segment() called in-process.
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>

#include "ipclab/testing.hpp"
#include "shm_ctl.hpp"

using ipclab::testing::segment_of;

namespace {

// The test's own attachment, detached when it goes out of scope (or earlier with detach()).
class Attachment {
public:
    explicit Attachment(int shmid) : p_(shmat(shmid, nullptr, 0)) {}
    ~Attachment() { detach(); }
    Attachment(const Attachment&) = delete;
    Attachment& operator=(const Attachment&) = delete;
    bool ok() const { return p_ != reinterpret_cast<void*>(-1); }
    void detach() {
        if (ok()) shmdt(p_);
        p_ = reinterpret_cast<void*>(-1);
    }

private:
    void* p_;
};

// The kernel's own record, for comparing; fails the test when the segment is gone.
shmid_ds kernel_stat(int shmid) {
    shmid_ds ds{};
    EXPECT_TRUE(ipclab::testing::stat_segment(shmid, ds)) << "test: IPC_STAT failed";
    return ds;
}

}  // namespace

class ShmStat : public ipclab::testing::IpcTest {};

// A fresh segment: every field is what the kernel recorded at creation.
TEST_F(ShmStat, FreshSegmentReportsEveryField) {
    key_t k = key();
    int id = make_segment(k, 1000, 0640);
    ASSERT_NE(id, -1);
    shmid_ds ds = kernel_stat(id);
    SegmentInfo info = stat_segment(k);
    EXPECT_EQ(info.key, k) << "key must be ds.shm_perm.__key, the key the segment was created with";
    EXPECT_EQ(info.shmid, id) << "shmid must be the id shmget(key, 0, 0) returned";
    EXPECT_EQ(info.size, 1000u) << "size must be ds.shm_segsz, the bytes asked for at creation";
    EXPECT_EQ(info.cpid, getpid()) << "cpid must be ds.shm_cpid, the creator's pid";
    EXPECT_EQ(info.lpid, 0) << "nobody attached yet: lpid must be ds.shm_lpid, which is 0";
    EXPECT_EQ(info.nattch, 0u) << "nobody attached yet: nattch must be ds.shm_nattch, which is 0";
    EXPECT_EQ(info.ctime, ds.shm_ctime) << "ctime must be ds.shm_ctime";
}

// Never-attached segment: atime and dtime are 0, not the current time nor garbage.
TEST_F(ShmStat, NeverAttachedSegmentHasZeroTimes) {
    key_t k = key();
    ASSERT_NE(make_segment(k, 64, 0600), -1);
    SegmentInfo info = stat_segment(k);
    EXPECT_EQ(info.atime, 0) << "a segment nobody ever attached has atime 0: copy ds.shm_atime "
                                "(not time(nullptr), not an uninitialised value)";
    EXPECT_EQ(info.dtime, 0) << "a segment nobody ever detached has dtime 0: copy ds.shm_dtime "
                                "(not time(nullptr), not an uninitialised value)";
    EXPECT_GT(info.ctime, 0) << "ctime is set at creation: copy ds.shm_ctime";
}

// perms is the nine permission bits, masked with octal 0777.
TEST_F(ShmStat, PermsAreTheLowNineBits) {
    key_t k = key();
    ASSERT_NE(make_segment(k, 64, 0640), -1);
    SegmentInfo info = stat_segment(k);
    EXPECT_EQ(info.perms, 0640u)
        << "a 0640 segment gave perms=0" << std::oct << info.perms << std::dec
        << ": perms must be ds.shm_perm.mode & 0777 (octal 0777 with the leading 0; decimal 777 "
           "keeps the wrong bits)";
}

// The mode also holds status bits (SHM_LOCKED 02000, SHM_DEST 01000); perms leaves them out.
TEST_F(ShmStat, PermsLeaveOutTheStatusBits) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    if (shmctl(id, SHM_LOCK, nullptr) == -1) GTEST_SKIP() << "SHM_LOCK not allowed here";
    SegmentInfo info = stat_segment(k);
    EXPECT_EQ(info.perms, 0600u)
        << "a locked 0600 segment gave perms=0" << std::oct << info.perms << std::dec
        << ": that is the whole mode, with the status bits SHM_LOCKED (02000) or SHM_DEST (01000); "
           "perms must be only the nine permission bits, ds.shm_perm.mode & 0777";
}

// With the test attached: nattch 1, atime set, lpid this process.
TEST_F(ShmStat, AttachedSegmentCountsTheAttachment) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    Attachment a(id);
    ASSERT_TRUE(a.ok());
    shmid_ds ds = kernel_stat(id);
    SegmentInfo info = stat_segment(k);
    EXPECT_EQ(info.nattch, 1u) << "one process is attached: nattch must be ds.shm_nattch";
    EXPECT_EQ(info.atime, ds.shm_atime) << "atime must be ds.shm_atime, set by the last shmat";
    EXPECT_GT(info.atime, 0);
    EXPECT_EQ(info.lpid, getpid()) << "lpid must be ds.shm_lpid, the pid of the last shmat/shmdt";
}

// Looking must not touch: stat_segment uses IPC_STAT, never shmat.
TEST_F(ShmStat, DoesNotAttachToLook) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    stat_segment(k);
    shmid_ds ds = kernel_stat(id);
    EXPECT_EQ(ds.shm_atime, 0) << "stat_segment attached to the segment (its atime is now set): "
                                  "read it with shmctl(id, IPC_STAT, &ds), never with shmat";
    EXPECT_EQ(ds.shm_nattch, 0u) << "stat_segment left the segment attached: use IPC_STAT, not shmat";
}

class ShmRemove : public ipclab::testing::IpcTest {};

// Nobody attached: IPC_RMID frees the segment at once and the key is free again.
TEST_F(ShmRemove, RemovesAnUnattachedSegment) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    EXPECT_EQ(remove_segment(k), id) << "remove_segment must return the segment's shmid";
    shmid_ds ds{};
    EXPECT_FALSE(ipclab::testing::stat_segment(id, ds))
        << "the segment is still there after remove_segment: call shmctl(id, IPC_RMID, NULL)";
    EXPECT_EQ(segment_of(k), -1) << "the key still names a segment after remove_segment";
}

// Still attached: IPC_RMID only marks it (SHM_DEST, key 0); the last shmdt frees it.
TEST_F(ShmRemove, AttachedSegmentIsOnlyMarked) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    Attachment a(id);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(remove_segment(k), id) << "remove_segment must return the segment's shmid";
    shmid_ds ds{};
    ASSERT_TRUE(ipclab::testing::stat_segment(id, ds))
        << "an attached segment must survive IPC_RMID until its last detach";
    EXPECT_NE(ds.shm_perm.mode & SHM_DEST, 0u)
        << "the attached segment was not marked for removal (SHM_DEST): call shmctl(id, IPC_RMID, NULL)";
    EXPECT_EQ(segment_of(k), -1) << "a marked segment no longer answers to its key";
    a.detach();
    EXPECT_FALSE(ipclab::testing::stat_segment(id, ds))
        << "the marked segment should vanish at its last detach";
}

class ShmCtlErrors : public ipclab::testing::IpcTest {};

// No segment under the key: shmget's ENOENT, and nothing is created.
TEST_F(ShmCtlErrors, StatOfAMissingSegment) {
    key_t k = key();
    EXPECT_SYSERROR(stat_segment(k), "shmget", ENOENT);
    EXPECT_EQ(segment_of(k), -1) << "stat_segment created a segment where there was none: use "
                                    "shmget(key, 0, 0), without IPC_CREAT";
}

// No segment under the key: shmget's ENOENT, and nothing is created.
TEST_F(ShmCtlErrors, RemoveOfAMissingSegment) {
    key_t k = key();
    EXPECT_SYSERROR(remove_segment(k), "shmget", ENOENT);
    EXPECT_EQ(segment_of(k), -1) << "remove_segment created a segment where there was none: use "
                                    "shmget(key, 0, 0), without IPC_CREAT";
}

// IPC_STAT needs read permission: on a 0200 segment shmctl fails and that must be reported.
TEST_F(ShmCtlErrors, StatWithoutReadPermissionFailsInShmctl) {
    key_t k = key();
    ASSERT_NE(make_segment(k, 64, 0200), -1);
    EXPECT_SYSERROR(stat_segment(k), "shmctl", EACCES);
}
