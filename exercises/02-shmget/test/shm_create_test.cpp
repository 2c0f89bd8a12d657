// Visible unit tests of 02-shmget: create_segment() called in the worker (test/remote.cpp).
#include <sys/ipc.h>
#include <sys/shm.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "ipclab/testing.hpp"
#include "shm_create.hpp"
#include "test/shm_create_fixture.hpp"

using ipclab::testing::errno_name;
using ipclab::testing::msg;
using ipclab::testing::octal;
using ipclab::testing::segment_of;
using ipclab::testing::stat_segment;

class ShmCreate : public ShmCreateBase {};

// The returned shmid is the segment the kernel now holds under the given key.
TEST_F(ShmCreate, CreatesTheSegmentUnderTheKey) {
    key_t k = key(1);
    int id = create_ok(k, 4096);
    ASSERT_NE(id, -1);
    EXPECT_EQ(segment_of(k), id) << msg("not_under_the_key").with("shmid", id);
}

// shm_segsz is exactly the requested size, page-aligned or not.
TEST_F(ShmCreate, SizeIsExactlyTheRequestedSize) {
    const std::size_t sizes[] = {1, 4, 1000, 4096, 4097};
    int proj = 10;
    for (std::size_t size : sizes) {
        int id = create_ok(key(proj++), size);
        ASSERT_NE(id, -1);
        shmid_ds ds{};
        ASSERT_TRUE(stat_segment(id, ds));
        EXPECT_EQ(ds.shm_segsz, size)
            << msg("wrong_size").with("want", size).with("got", ds.shm_segsz);
    }
}

// The mode is 0600: read and write for the owner only.
TEST_F(ShmCreate, ModeIs0600) {
    int id = create_ok(key(2), 64);
    ASSERT_NE(id, -1);
    shmid_ds ds{};
    ASSERT_TRUE(stat_segment(id, ds));
    unsigned mode = ds.shm_perm.mode & 0777;
    EXPECT_EQ(mode, 0600u) << msg("wrong_mode").with("mode", octal(mode));
}

// Creating attaches nothing: nattch is 0 and no process has ever attached.
TEST_F(ShmCreate, NoProcessIsAttached) {
    int id = create_ok(key(3), 64);
    ASSERT_NE(id, -1);
    shmid_ds ds{};
    ASSERT_TRUE(stat_segment(id, ds));
    EXPECT_EQ(ds.shm_nattch, 0u) << msg("left_attached").with("nattch", ds.shm_nattch);
    EXPECT_EQ(ds.shm_atime, 0) << msg("attached_atime");
    EXPECT_EQ(ds.shm_lpid, 0) << msg("attached_lpid").with("lpid", ds.shm_lpid);
}

class ShmCreateErrors : public ShmCreateBase {};

// A key in use is EEXIST and the existing segment keeps its size and content.
TEST_F(ShmCreateErrors, KeyInUseIsEEXISTAndLeavesTheSegmentUntouched) {
    key_t k = key(4);
    int existing = make_segment(k, 64, 0600, {7, 8, 9});
    ASSERT_NE(existing, -1);
    int id = -2;
    try {
        id = create_segment(k, 64);
    } catch (const ipclab::SysError& e) {
        EXPECT_EQ(e.call(), "shmget")
            << msg("syserror_wrong_call").with("call", "shmget").with("got", e.call());
        EXPECT_EQ(e.error(), EEXIST)
            << msg("key_in_use_not_eexist").with("got", errno_name(e.error()));
    }
    if (id == existing) {
        ADD_FAILURE() << msg("reused_existing").with("shmid", id);
    } else if (id == -1) {
        ADD_FAILURE() << msg("returned_minus_one_instead_of_throwing")
                             .with("size", 64)
                             .with("error", "EEXIST");
    } else if (id != -2) {
        track(id);
        ADD_FAILURE() << msg("succeeded_instead_of_failing")
                             .with("size", 64)
                             .with("shmid", id)
                             .with("error", "EEXIST");
    }
    shmid_ds ds{};
    ASSERT_TRUE(stat_segment(existing, ds)) << msg("existing_removed").with("shmid", existing);
    EXPECT_EQ(ds.shm_segsz, 64u)
        << msg("existing_resized").with("want", 64).with("got", ds.shm_segsz);
    void* p = shmat(existing, nullptr, SHM_RDONLY);
    ASSERT_NE(p, reinterpret_cast<void*>(-1));
    std::vector<std::int32_t> got(3);
    std::memcpy(got.data(), p, 3 * sizeof(std::int32_t));
    shmdt(p);
    EXPECT_EQ(got, (std::vector<std::int32_t>{7, 8, 9})) << msg("existing_changed");
}

// Size 0 is refused by the kernel, and that failure is thrown, never returned as -1.
TEST_F(ShmCreateErrors, SizeZeroThrowsEINVAL) {
    expect_shmget_error(key(5), 0, EINVAL);
    EXPECT_EQ(segment_of(key(5)), -1) << msg("created_with_size_zero");
}
