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

#include "ipclab/testing.hpp"
#include "shm_create.hpp"
#include "test/shm_create_fixture.hpp"

using ipclab::testing::segment_of;
using ipclab::testing::stat_segment;

class ShmCreateHidden : public ShmCreateBase {};

// The creator is this process (cpid) and nobody attached yet (lpid 0); the owner is the caller.
TEST_F(ShmCreateHidden, KernelRecordsTheCreatorAndNoAttach) {
    int id = create_ok(key(1), 128);
    ASSERT_NE(id, -1);
    shmid_ds ds{};
    ASSERT_TRUE(stat_segment(id, ds));
    EXPECT_EQ(ds.shm_cpid, getpid()) << "shm_cpid must be the creating process";
    EXPECT_EQ(ds.shm_lpid, 0) << "shm_lpid is set: create_segment attached (shmat); it must "
                                 "only create";
    EXPECT_EQ(ds.shm_dtime, 0) << "shm_dtime is set: create_segment attached and detached; "
                                  "it must only create";
    EXPECT_EQ(ds.shm_perm.uid, geteuid()) << "the owner must be the calling user";
    EXPECT_EQ(ds.shm_perm.mode & 0777, 0600u) << "the segment was created with mode 0"
                                              << std::oct << (ds.shm_perm.mode & 0777)
                                              << "; create it with 0600, not 0666 or 0777";
}

// A large, odd size is kept exactly (the kernel rounds memory, not shm_segsz).
TEST_F(ShmCreateHidden, LargeOddSizeIsKeptExactly) {
    const std::size_t size = (1u << 20) + 3;
    int id = create_ok(key(2), size);
    ASSERT_NE(id, -1);
    shmid_ds ds{};
    ASSERT_TRUE(stat_segment(id, ds));
    EXPECT_EQ(ds.shm_segsz, size) << "a wrong size: asked for " << size << " bytes, got "
                                  << ds.shm_segsz << "; pass size to shmget unchanged";
}

// Two keys give two distinct segments, each under its own key.
TEST_F(ShmCreateHidden, TwoKeysGiveTwoSegments) {
    key_t a = key(3), b = key(4);
    int ia = create_ok(a, 32), ib = create_ok(b, 32);
    ASSERT_NE(ia, -1);
    ASSERT_NE(ib, -1);
    EXPECT_NE(ia, ib) << "two keys gave the same shmid: a key in use must never be reused";
    EXPECT_EQ(segment_of(a), ia);
    EXPECT_EQ(segment_of(b), ib);
}

// A key in use is EEXIST even when the size asked differs from the existing one.
TEST_F(ShmCreateHidden, KeyInUseWithAnotherSizeIsStillEEXIST) {
    key_t k = key(5);
    int existing = make_segment(k, 16, 0600);
    ASSERT_NE(existing, -1);
    try {
        int id = create_segment(k, 4096);
        track(id);
        ADD_FAILURE() << "create_segment returned " << id << " for a key in use"
                      << (id == -1 ? " instead of throwing" : " (IPC_EXCL missing?)")
                      << "; it must throw SysError(\"shmget\") with EEXIST";
    } catch (const ipclab::SysError& e) {
        EXPECT_EQ(e.call(), "shmget");
        EXPECT_EQ(e.error(), EEXIST)
            << "got " << std::strerror(e.error()) << " instead of File exists: without "
            << "IPC_EXCL shmget compares with the existing segment; use IPC_CREAT | IPC_EXCL";
    }
    shmid_ds ds{};
    ASSERT_TRUE(stat_segment(existing, ds));
    EXPECT_EQ(ds.shm_segsz, 16u) << "the existing segment changed size";
}

// A size above kernel.shmmax is refused with EINVAL, thrown, and creates nothing.
TEST_F(ShmCreateHidden, AboveShmmaxThrowsEINVAL) {
    unsigned long long shmmax = 0;
    std::ifstream("/proc/sys/kernel/shmmax") >> shmmax;
    ASSERT_NE(shmmax, 0u) << "test set-up: cannot read /proc/sys/kernel/shmmax";
    if (shmmax >= std::numeric_limits<std::size_t>::max()) GTEST_SKIP() << "shmmax is SIZE_MAX";
    key_t k = key(6);
    try {
        int id = create_segment(k, static_cast<std::size_t>(shmmax) + 1);
        track(id);
        ADD_FAILURE() << (id == -1 ? "create_segment returned -1 instead of throwing "
                                     "ipclab::SysError(\"shmget\")"
                                   : "create_segment created a segment above kernel.shmmax: "
                                     "pass size unchanged");
    } catch (const ipclab::SysError& e) {
        EXPECT_EQ(e.call(), "shmget");
        EXPECT_EQ(e.error(), EINVAL) << "got " << std::strerror(e.error());
    }
    EXPECT_EQ(segment_of(k), -1);
}
