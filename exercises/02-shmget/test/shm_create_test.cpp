// Visible unit tests of 02-shmget: create_segment() called in-process.
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

using ipclab::testing::segment_of;
using ipclab::testing::stat_segment;

class ShmCreate : public ShmCreateBase {};

// The returned shmid is the segment the kernel now holds under the given key.
TEST_F(ShmCreate, CreatesTheSegmentUnderTheKey) {
    key_t k = key(1);
    int id = create_ok(k, 4096);
    ASSERT_NE(id, -1);
    EXPECT_EQ(segment_of(k), id)
        << "no segment under the key has the returned shmid: pass `key` to shmget "
           "(not IPC_PRIVATE) and return what shmget returns";
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
            << "asked for " << size << " bytes, the segment measures " << ds.shm_segsz
            << ": pass size to shmget unchanged (a wrong size: not 0, not rounded, not "
               "multiplied by sizeof)";
    }
}

// The mode is 0600: read and write for the owner only.
TEST_F(ShmCreate, ModeIs0600) {
    int id = create_ok(key(2), 64);
    ASSERT_NE(id, -1);
    shmid_ds ds{};
    ASSERT_TRUE(stat_segment(id, ds));
    unsigned mode = ds.shm_perm.mode & 0777;
    EXPECT_EQ(mode, 0600u) << "the segment was created with mode 0" << std::oct << mode
                           << "; create it with 0600 (IPC_CREAT | IPC_EXCL | 0600), not 0666 "
                              "or the slide's 0777, which let every user read and write it";
}

// Creating attaches nothing: nattch is 0 and no process has ever attached.
TEST_F(ShmCreate, NoProcessIsAttached) {
    int id = create_ok(key(3), 64);
    ASSERT_NE(id, -1);
    shmid_ds ds{};
    ASSERT_TRUE(stat_segment(id, ds));
    EXPECT_EQ(ds.shm_nattch, 0u)
        << "after create_segment the segment has nattch " << ds.shm_nattch
        << ": create_segment attached it (shmat) and did not detach; it must only create";
    EXPECT_EQ(ds.shm_atime, 0) << "shm_atime is set: create_segment attached to the segment "
                                  "(shmat); it must only create it";
    EXPECT_EQ(ds.shm_lpid, 0) << "shm_lpid is " << ds.shm_lpid
                              << ": create_segment attached or detached; it must only create";
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
        EXPECT_EQ(e.call(), "shmget") << "the error must name the failing call, shmget";
        EXPECT_EQ(e.error(), EEXIST) << "a key in use must give File exists (EEXIST), got "
                                     << std::strerror(e.error())
                                     << ": use IPC_CREAT | IPC_EXCL";
    }
    if (id == existing) {
        ADD_FAILURE() << "create_segment returned the existing segment (shmid " << id
                      << ") instead of failing with EEXIST: IPC_EXCL is missing, so a key "
                         "in use is silently reused";
    } else if (id == -1) {
        ADD_FAILURE() << "create_segment returned -1 instead of throwing "
                         "ipclab::SysError(\"shmget\"): check shmget's result for -1";
    } else if (id != -2) {
        track(id);
        ADD_FAILURE() << "create_segment returned shmid " << id << " for a key in use; it must "
                         "throw ipclab::SysError(\"shmget\") with EEXIST";
    }
    shmid_ds ds{};
    ASSERT_TRUE(stat_segment(existing, ds)) << "the existing segment is gone: leave it alone";
    EXPECT_EQ(ds.shm_segsz, 64u) << "the existing segment changed size";
    void* p = shmat(existing, nullptr, SHM_RDONLY);
    ASSERT_NE(p, reinterpret_cast<void*>(-1));
    std::vector<std::int32_t> got(3);
    std::memcpy(got.data(), p, 3 * sizeof(std::int32_t));
    shmdt(p);
    EXPECT_EQ(got, (std::vector<std::int32_t>{7, 8, 9}))
        << "the existing segment's content changed: a failed create must not touch it";
}

// Size 0 is refused by the kernel, and that failure is thrown, never returned as -1.
TEST_F(ShmCreateErrors, SizeZeroThrowsEINVAL) {
    expect_shmget_error(key(5), 0, EINVAL, "a segment of 0 bytes cannot be created");
    EXPECT_EQ(segment_of(key(5)), -1) << "a segment was created although the size was 0";
}
