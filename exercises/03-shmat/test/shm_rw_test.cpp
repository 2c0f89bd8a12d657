// Visible unit tests of 03-shmat: write_values() and read_values() called in-process.
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "ipclab/testing.hpp"
#include "shm_rw.hpp"

using ipclab::testing::segment_of;
using ipclab::testing::stat_segment;

namespace {

// The first `count` int32 of a segment, read by the test itself (a brief read-only attach).
std::vector<std::int32_t> ints_of(int shmid, std::size_t count) {
    std::vector<std::int32_t> out(count);
    void* p = shmat(shmid, nullptr, SHM_RDONLY);
    if (p == reinterpret_cast<void*>(-1)) {
        ADD_FAILURE() << "test: shmat: " << std::strerror(errno);
        return {};
    }
    std::memcpy(out.data(), p, count * sizeof(std::int32_t));
    shmdt(p);
    return out;
}

shmid_ds stat_of(int shmid) {
    shmid_ds ds{};
    EXPECT_TRUE(stat_segment(shmid, ds)) << "test: shmctl(IPC_STAT): " << std::strerror(errno);
    return ds;
}

}  // namespace

class ShmWrite : public ipclab::testing::IpcTest {};

// The writer creates a segment of (n+1) ints and lays out arreglo[0] = n, arreglo[1..n].
TEST_F(ShmWrite, CreatesSegmentWithCountThenValues) {
    key_t k = key();
    write_values(k, {1, 2, 3});
    int id = segment_of(k);
    ASSERT_NE(id, -1) << "write_values left no segment: create it with shmget(key, (n+1)*sizeof(int32_t), "
                         "IPC_CREAT | 0600) and do not remove it";
    track(id);
    EXPECT_EQ(stat_of(id).shm_segsz, 16u)
        << "wrong segment size: 3 values need (n+1)*sizeof(std::int32_t) = 16 bytes (the count "
           "takes the first slot), not the lecture's 1024 nor n*sizeof(int)";
    EXPECT_EQ(ints_of(id, 4), (std::vector<std::int32_t>{3, 1, 2, 3}))
        << "the segment must hold arreglo[0] = n (the count) and then the values in arreglo[1..n]; "
           "did you forget to write the count, or write the values from arreglo[0]?";
}

// Mode 0600: only the owner reads and writes (the lecture's 0777 lets anybody write).
TEST_F(ShmWrite, CreatesWithMode0600) {
    key_t k = key();
    write_values(k, {7});
    int id = segment_of(k);
    ASSERT_NE(id, -1) << "write_values left no segment";
    track(id);
    unsigned mode = stat_of(id).shm_perm.mode & 0777;
    EXPECT_EQ(mode, 0600u) << "the segment was created with mode 0" << std::oct << mode
                           << "; create it with 0600 (IPC_CREAT | 0600), never the lecture's 0777 or 0666";
}

// After writing, nobody is attached: the writer detached with shmdt.
TEST_F(ShmWrite, DetachesAfterWriting) {
    key_t k = key();
    write_values(k, {4, 5});
    int id = segment_of(k);
    ASSERT_NE(id, -1) << "write_values left no segment";
    track(id);
    shmid_ds ds = stat_of(id);
    EXPECT_EQ(ds.shm_nattch, 0u) << "shm_nattch is " << ds.shm_nattch
                                 << " after write_values: you forgot shmdt(p) after writing";
    EXPECT_NE(ds.shm_dtime, 0) << "shm_dtime is 0: the segment was never detached with shmdt";
}

// An existing segment at least as large is reused: its start is overwritten.
TEST_F(ShmWrite, ReusesAnExistingLargerSegment) {
    key_t k = key();
    int id = make_segment(k, 64, 0600, {9, 9, 9, 9, 9});
    write_values(k, {5, 6});
    EXPECT_EQ(stat_of(id).shm_segsz, 64u) << "the existing segment must be reused, not replaced";
    EXPECT_EQ(ints_of(id, 3), (std::vector<std::int32_t>{2, 5, 6}))
        << "write_values must write the count and the values into the existing segment";
}

class ShmWriteErrors : public ipclab::testing::IpcTest {};

// An existing segment smaller than (n+1) ints makes shmget fail with EINVAL; nothing is written.
TEST_F(ShmWriteErrors, TooSmallExistingSegmentIsShmgetEinval) {
    key_t k = key();
    int id = make_segment(k, 8, 0600, {1, 42});
    EXPECT_SYSERROR(write_values(k, {1, 2, 3}), "shmget", EINVAL);
    EXPECT_EQ(ints_of(id, 2), (std::vector<std::int32_t>{1, 42}))
        << "a segment too small for the values must stay untouched";
}

class ShmRead : public ipclab::testing::IpcTest {};

// read_values returns the n values after the count, and their sum.
TEST_F(ShmRead, ReadsTheValuesAfterTheCount) {
    key_t k = key();
    make_segment(k, 16, 0600, {3, 10, -4, 30});
    Reading r = read_values(k);
    EXPECT_EQ(r.values, (std::vector<std::int32_t>{10, -4, 30}))
        << "read_values must return arreglo[1..n], where n = arreglo[0]";
    EXPECT_EQ(r.sum, 36) << "sum must be the sum of the values";
}

// What write_values writes, read_values reads: they agree on the layout.
TEST_F(ShmRead, ReadsWhatTheWriterWrote) {
    key_t k = key();
    write_values(k, {8, 0, -1});
    track(segment_of(k));
    Reading r = read_values(k);
    EXPECT_EQ(r.values, (std::vector<std::int32_t>{8, 0, -1}));
    EXPECT_EQ(r.sum, 7);
}

// The sum is 64-bit: INT32_MAX + INT32_MAX does not overflow.
TEST_F(ShmRead, SumsIn64Bits) {
    key_t k = key();
    make_segment(k, 12, 0600, {2, INT32_MAX, INT32_MAX});
    EXPECT_EQ(read_values(k).sum, 4294967294LL)
        << "the sum overflowed: add the values in a std::int64_t, not in an int";
}

// SHM_RDONLY needs only read permission: a 0400 segment can be read.
TEST_F(ShmRead, ReadsA0400SegmentWithShmRdonly) {
    key_t k = key();
    make_segment(k, 12, 0400, {2, 5, 6});
    try {
        Reading r = read_values(k);
        EXPECT_EQ(r.values, (std::vector<std::int32_t>{5, 6}));
    } catch (const ipclab::SysError& e) {
        ADD_FAILURE() << "read_values failed on a 0400 (read-only) segment with " << e.what()
                      << ": attach it with shmat(id, nullptr, SHM_RDONLY); a read-write attach "
                         "(flags 0) needs write permission";
    }
}

// After reading, nobody is attached, and the last attach/detach was this process's.
TEST_F(ShmRead, DetachesAfterReading) {
    key_t k = key();
    int id = make_segment(k, 8, 0600);  // zero-filled: count 0; never attached, so lpid is 0
    EXPECT_TRUE(read_values(k).values.empty()) << "a count of 0 means no values";
    shmid_ds ds = stat_of(id);
    EXPECT_EQ(ds.shm_nattch, 0u) << "shm_nattch is " << ds.shm_nattch
                                 << " after read_values: you forgot shmdt(p) after reading";
    EXPECT_EQ(ds.shm_lpid, getpid()) << "shm_lpid is not this process: read_values did not attach";
}

class ShmReadErrors : public ipclab::testing::IpcTest {};

// The reader never creates: a missing segment is shmget ENOENT, and still no segment afterwards.
TEST_F(ShmReadErrors, MissingSegmentIsShmgetEnoentAndNothingIsCreated) {
    key_t k = key();
    EXPECT_SYSERROR(read_values(k), "shmget", ENOENT);
    EXPECT_EQ(segment_of(k), -1)
        << "read_values created a segment: the reader must call shmget(key, 0, 0), without IPC_CREAT";
}

// A count that does not fit in the segment is a corrupt segment, not a reason to read past it.
TEST_F(ShmReadErrors, CountLargerThanTheSegmentIsAFailure) {
    key_t k = key();
    int id = make_segment(k, 16, 0600, {1000, 1, 2, 3});
    try {
        Reading r = read_values(k);
        ADD_FAILURE() << "read_values returned " << r.values.size()
                      << " values from a 16-byte segment whose count is 1000: check "
                         "(count+1)*sizeof(int32_t) <= shm_segsz (IPC_STAT) before reading, and "
                         "throw ipclab::Failure otherwise";
    } catch (const ipclab::Failure& e) {
        EXPECT_EQ(std::string(e.what()),
                  "shm_read: corrupt segment: count 1000 does not fit in 16 bytes");
    }
    EXPECT_EQ(stat_of(id).shm_nattch, 0u)
        << "read_values stayed attached after the corrupt count: detach before throwing (RAII)";
}

// A negative count is corrupt too.
TEST_F(ShmReadErrors, NegativeCountIsAFailure) {
    key_t k = key();
    make_segment(k, 16, 0600, {-1, 1, 2, 3});
    EXPECT_THROW(read_values(k), ipclab::Failure)
        << "a negative count must throw ipclab::Failure (corrupt segment)";
}
