// Visible unit tests of 05-shmctl: stat_segment() and remove_segment() called in the worker
// (test/remote.cpp). The test makes and attaches the segments itself, so cpid and lpid are the
// test program's pid, not the worker's: a stat_segment that reports its own getpid() fails.
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
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

}  // namespace

class ShmStat : public ipclab::testing::IpcTest {};

// A fresh segment: every field is what the kernel recorded at creation.
TEST_F(ShmStat, FreshSegmentReportsEveryField) {
    key_t k = key();
    int id = make_segment(k, 1000, 0640);
    ASSERT_NE(id, -1);
    shmid_ds ds = kernel_stat(id);
    SegmentInfo info = stat_segment(k);
    EXPECT_EQ(info.key, k)
        << msg("wrong_key").with("want", hex_key(k)).with("got", hex_key(info.key));
    EXPECT_EQ(info.shmid, id) << msg("wrong_shmid").with("want", id).with("got", info.shmid);
    EXPECT_EQ(info.size, 1000u) << msg("wrong_size").with("want", 1000).with("got", info.size);
    EXPECT_EQ(info.cpid, getpid())
        << msg("wrong_cpid").with("want", getpid()).with("got", info.cpid);
    EXPECT_EQ(info.lpid, 0) << msg("lpid_not_zero").with("got", info.lpid);
    EXPECT_EQ(info.nattch, 0u) << msg("nattch_not_zero").with("got", info.nattch);
    EXPECT_EQ(info.ctime, ds.shm_ctime)
        << msg("wrong_ctime").with("want", ds.shm_ctime).with("got", info.ctime);
}

// Never-attached segment: atime and dtime are 0, not the current time nor garbage.
TEST_F(ShmStat, NeverAttachedSegmentHasZeroTimes) {
    key_t k = key();
    ASSERT_NE(make_segment(k, 64, 0600), -1);
    SegmentInfo info = stat_segment(k);
    EXPECT_EQ(info.atime, 0) << msg("atime_not_zero").with("got", info.atime);
    EXPECT_EQ(info.dtime, 0) << msg("dtime_not_zero").with("got", info.dtime);
    EXPECT_GT(info.ctime, 0) << msg("ctime_not_set").with("got", info.ctime);
}

// perms is the nine permission bits, masked with octal 0777.
TEST_F(ShmStat, PermsAreTheLowNineBits) {
    key_t k = key();
    ASSERT_NE(make_segment(k, 64, 0640), -1);
    SegmentInfo info = stat_segment(k);
    EXPECT_EQ(info.perms, 0640u)
        << msg("wrong_perms").with("want", octal(0640)).with("got", octal(info.perms));
}

// The mode also holds status bits (SHM_LOCKED 02000, SHM_DEST 01000); perms leaves them out.
TEST_F(ShmStat, PermsLeaveOutTheStatusBits) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    if (shmctl(id, SHM_LOCK, nullptr) == -1) GTEST_SKIP() << "SHM_LOCK not allowed here";
    SegmentInfo info = stat_segment(k);
    EXPECT_EQ(info.perms, 0600u) << msg("perms_with_status_bits").with("got", octal(info.perms));
}

// With the test attached: nattch 1, atime set, lpid the test program (not the worker that looks).
TEST_F(ShmStat, AttachedSegmentCountsTheAttachment) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    Attachment a(id);
    ASSERT_TRUE(a.ok());
    shmid_ds ds = kernel_stat(id);
    SegmentInfo info = stat_segment(k);
    EXPECT_EQ(info.nattch, 1u) << msg("wrong_nattch").with("want", 1).with("got", info.nattch);
    EXPECT_EQ(info.atime, ds.shm_atime)
        << msg("wrong_atime").with("want", ds.shm_atime).with("got", info.atime);
    EXPECT_GT(info.atime, 0);
    EXPECT_EQ(info.lpid, getpid())
        << msg("wrong_lpid").with("want", getpid()).with("got", info.lpid);
}

// Looking must not touch: stat_segment uses IPC_STAT, never shmat.
TEST_F(ShmStat, DoesNotAttachToLook) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    stat_segment(k);
    shmid_ds ds = kernel_stat(id);
    EXPECT_EQ(ds.shm_atime, 0) << msg("attached_to_look");
    EXPECT_EQ(ds.shm_nattch, 0u) << msg("left_attached").with("want", 0).with("got", ds.shm_nattch);
}

class ShmRemove : public ipclab::testing::IpcTest {};

// Nobody attached: IPC_RMID frees the segment at once and the key is free again.
TEST_F(ShmRemove, RemovesAnUnattachedSegment) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    int removed = remove_segment(k);
    EXPECT_EQ(removed, id) << msg("remove_wrong_return").with("want", id).with("got", removed);
    shmid_ds ds{};
    EXPECT_FALSE(ipclab::testing::stat_segment(id, ds)) << msg("not_removed").with("shmid", id);
    EXPECT_EQ(segment_of(k), -1) << msg("key_still_there");
}

// Still attached: IPC_RMID only marks it (SHM_DEST, key 0); the last shmdt frees it.
TEST_F(ShmRemove, AttachedSegmentIsOnlyMarked) {
    key_t k = key();
    int id = make_segment(k, 64, 0600);
    ASSERT_NE(id, -1);
    Attachment a(id);
    ASSERT_TRUE(a.ok());
    int removed = remove_segment(k);
    EXPECT_EQ(removed, id) << msg("remove_wrong_return").with("want", id).with("got", removed);
    shmid_ds ds{};
    ASSERT_TRUE(ipclab::testing::stat_segment(id, ds)) << msg("attached_removed");
    EXPECT_NE(ds.shm_perm.mode & SHM_DEST, 0u)
        << msg("not_marked").with("mode", octal(ds.shm_perm.mode));
    EXPECT_EQ(segment_of(k), -1) << msg("marked_keeps_key");
    a.detach();
    EXPECT_FALSE(ipclab::testing::stat_segment(id, ds))
        << msg("marked_not_freed").with("shmid", id);
}

class ShmCtlErrors : public ipclab::testing::IpcTest {};

// No segment under the key: shmget's ENOENT, and nothing is created.
TEST_F(ShmCtlErrors, StatOfAMissingSegment) {
    key_t k = key();
    EXPECT_SYSERROR(stat_segment(k), "shmget", ENOENT);
    EXPECT_EQ(segment_of(k), -1) << msg("created_segment").with("function", "stat_segment");
}

// No segment under the key: shmget's ENOENT, and nothing is created.
TEST_F(ShmCtlErrors, RemoveOfAMissingSegment) {
    key_t k = key();
    EXPECT_SYSERROR(remove_segment(k), "shmget", ENOENT);
    EXPECT_EQ(segment_of(k), -1) << msg("created_segment").with("function", "remove_segment");
}

// IPC_STAT needs read permission: on a 0200 segment shmctl fails and that must be reported.
TEST_F(ShmCtlErrors, StatWithoutReadPermissionFailsInShmctl) {
    key_t k = key();
    ASSERT_NE(make_segment(k, 64, 0200), -1);
    EXPECT_SYSERROR(stat_segment(k), "shmctl", EACCES);
}
