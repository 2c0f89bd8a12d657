// Hidden unit tests of 02-shmget: the kernel's record of a new segment, and the edges.
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>

#include "ipclab/remote.hpp"
#include "ipclab/testing.hpp"
#include "shm_create.hpp"
#include "test/shm_create_fixture.hpp"

using ipclab::testing::errno_name;
using ipclab::testing::msg;
using ipclab::testing::octal;
using ipclab::testing::segment_of;
using ipclab::testing::stat_segment;

class ShmCreateHidden : public ShmCreateBase {};

// The creator is the process that ran create_segment, the worker (cpid), and nobody attached
// yet (lpid 0); the owner is the caller.
TEST_F(ShmCreateHidden, KernelRecordsTheCreatorAndNoAttach) {
    int id = create_ok(key(1), 128);
    ASSERT_NE(id, -1);
    shmid_ds ds{};
    ASSERT_TRUE(stat_segment(id, ds));
    const pid_t worker = ipclab::remote::worker_pid();
    EXPECT_EQ(ds.shm_cpid, worker)
        << msg("wrong_cpid").with("cpid", ds.shm_cpid).with("pid", worker);
    EXPECT_EQ(ds.shm_lpid, 0) << msg("attached_lpid").with("lpid", ds.shm_lpid);
    EXPECT_EQ(ds.shm_dtime, 0) << msg("detached_dtime");
    EXPECT_EQ(ds.shm_perm.uid, geteuid())
        << msg("wrong_owner").with("uid", ds.shm_perm.uid).with("euid", geteuid());
    EXPECT_EQ(ds.shm_perm.mode & 0777, 0600u)
        << msg("wrong_mode").with("mode", octal(ds.shm_perm.mode & 0777u));
}

// A large, odd size is kept exactly (the kernel rounds memory, not shm_segsz).
TEST_F(ShmCreateHidden, LargeOddSizeIsKeptExactly) {
    const std::size_t size = (1u << 20) + 3;
    int id = create_ok(key(2), size);
    ASSERT_NE(id, -1);
    shmid_ds ds{};
    ASSERT_TRUE(stat_segment(id, ds));
    EXPECT_EQ(ds.shm_segsz, size) << msg("wrong_size").with("want", size).with("got", ds.shm_segsz);
}

// Two keys give two distinct segments, each under its own key.
TEST_F(ShmCreateHidden, TwoKeysGiveTwoSegments) {
    key_t a = key(3), b = key(4);
    int ia = create_ok(a, 32), ib = create_ok(b, 32);
    ASSERT_NE(ia, -1);
    ASSERT_NE(ib, -1);
    EXPECT_NE(ia, ib) << msg("same_shmid_for_two_keys").with("shmid", ia);
    EXPECT_EQ(segment_of(a), ia) << msg("not_under_the_key").with("shmid", ia);
    EXPECT_EQ(segment_of(b), ib) << msg("not_under_the_key").with("shmid", ib);
}

// A key in use is EEXIST even when the size asked differs from the existing one.
TEST_F(ShmCreateHidden, KeyInUseWithAnotherSizeIsStillEEXIST) {
    key_t k = key(5);
    int existing = make_segment(k, 16, 0600);
    ASSERT_NE(existing, -1);
    try {
        int id = create_segment(k, 4096);
        track(id);
        if (id == -1) {
            ADD_FAILURE() << msg("returned_minus_one_instead_of_throwing")
                                 .with("size", 4096)
                                 .with("error", "EEXIST");
        } else {
            ADD_FAILURE() << msg("key_in_use_returned").with("size", 4096).with("shmid", id);
        }
    } catch (const ipclab::SysError& e) {
        EXPECT_EQ(e.call(), "shmget")
            << msg("syserror_wrong_call").with("call", "shmget").with("got", e.call());
        EXPECT_EQ(e.error(), EEXIST)
            << msg("key_in_use_other_size_not_eexist").with("got", errno_name(e.error()));
    }
    shmid_ds ds{};
    ASSERT_TRUE(stat_segment(existing, ds)) << msg("existing_removed").with("shmid", existing);
    EXPECT_EQ(ds.shm_segsz, 16u)
        << msg("existing_resized").with("want", 16).with("got", ds.shm_segsz);
}

// A size above kernel.shmmax is refused with EINVAL, thrown, and creates nothing.
TEST_F(ShmCreateHidden, AboveShmmaxThrowsEINVAL) {
    unsigned long long shmmax = 0;
    std::ifstream("/proc/sys/kernel/shmmax") >> shmmax;
    ASSERT_NE(shmmax, 0u) << msg("shmmax_unreadable");
    if (shmmax >= std::numeric_limits<std::size_t>::max()) GTEST_SKIP() << "shmmax is SIZE_MAX";
    key_t k = key(6);
    const std::size_t size = static_cast<std::size_t>(shmmax) + 1;
    try {
        int id = create_segment(k, size);
        track(id);
        if (id == -1) {
            ADD_FAILURE() << msg("returned_minus_one_instead_of_throwing")
                                 .with("size", size)
                                 .with("error", "EINVAL");
        } else {
            ADD_FAILURE() << msg("created_above_shmmax")
                                 .with("size", size)
                                 .with("shmmax", shmmax)
                                 .with("shmid", id);
        }
    } catch (const ipclab::SysError& e) {
        EXPECT_EQ(e.call(), "shmget")
            << msg("syserror_wrong_call").with("call", "shmget").with("got", e.call());
        EXPECT_EQ(e.error(), EINVAL) << msg("shmget_wrong_errno")
                                            .with("size", size)
                                            .with("error", "EINVAL")
                                            .with("got", errno_name(e.error()));
    }
    int left = segment_of(k);
    EXPECT_EQ(left, -1) << msg("segment_above_shmmax_stays").with("size", size).with("shmid", left);
}
