// Visible unit tests of 03-shmat: write_values() and read_values() called in the worker
// (test/remote.cpp).
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "ipclab/remote.hpp"
#include "ipclab/testing.hpp"
#include "shm_rw.hpp"

using ipclab::testing::errno_name;
using ipclab::testing::listed;
using ipclab::testing::msg;
using ipclab::testing::octal;
using ipclab::testing::segment_of;
using ipclab::testing::stat_segment;

namespace {

// The first `count` int32 of a segment, read by the test itself (a brief read-only attach).
std::vector<std::int32_t> ints_of(int shmid, std::size_t count) {
    std::vector<std::int32_t> out(count);
    void* p = shmat(shmid, nullptr, SHM_RDONLY);
    if (p == reinterpret_cast<void*>(-1)) {
        int err = errno;
        ADD_FAILURE()
            << msg("segment_unreadable").with("shmid", shmid).with("error", errno_name(err));
        return {};
    }
    std::memcpy(out.data(), p, count * sizeof(std::int32_t));
    shmdt(p);
    return out;
}

shmid_ds stat_of(int shmid) {
    shmid_ds ds{};
    bool ok = stat_segment(shmid, ds);
    int err = errno;
    EXPECT_TRUE(ok) << msg("segment_gone").with("shmid", shmid).with("error", errno_name(err));
    return ds;
}

}  // namespace

class ShmWrite : public ipclab::testing::IpcTest {};

// The writer creates a segment of (n+1) ints and lays out arreglo[0] = n, arreglo[1..n].
TEST_F(ShmWrite, CreatesSegmentWithCountThenValues) {
    key_t k = key();
    write_values(k, {1, 2, 3});
    int id = segment_of(k);
    ASSERT_NE(id, -1) << msg("no_segment_after_write");
    track(id);
    std::size_t size = stat_of(id).shm_segsz;
    EXPECT_EQ(size, 16u) << msg("wrong_size").with("n", 3).with("want", 16).with("got", size);
    const std::vector<std::int32_t> want{3, 1, 2, 3};
    std::vector<std::int32_t> got = ints_of(id, 4);
    EXPECT_EQ(got, want) << msg("wrong_layout").with("want", listed(want)).with("got", listed(got));
}

// Mode 0600: only the owner reads and writes (the lecture's 0777 lets anybody write).
TEST_F(ShmWrite, CreatesWithMode0600) {
    key_t k = key();
    write_values(k, {7});
    int id = segment_of(k);
    ASSERT_NE(id, -1) << msg("no_segment_after_write");
    track(id);
    unsigned mode = stat_of(id).shm_perm.mode & 0777;
    EXPECT_EQ(mode, 0600u) << msg("wrong_mode").with("mode", octal(mode));
}

// After writing, nobody is attached: the writer detached with shmdt.
TEST_F(ShmWrite, DetachesAfterWriting) {
    key_t k = key();
    write_values(k, {4, 5});
    int id = segment_of(k);
    ASSERT_NE(id, -1) << msg("no_segment_after_write");
    track(id);
    shmid_ds ds = stat_of(id);
    EXPECT_EQ(ds.shm_nattch, 0u) << msg("writer_left_attached").with("nattch", ds.shm_nattch);
    EXPECT_NE(ds.shm_dtime, 0) << msg("writer_never_detached");
}

// An existing segment at least as large is reused: its start is overwritten.
TEST_F(ShmWrite, ReusesAnExistingLargerSegment) {
    key_t k = key();
    int id = make_segment(k, 64, 0600, {9, 9, 9, 9, 9});
    write_values(k, {5, 6});
    std::size_t size = stat_of(id).shm_segsz;
    EXPECT_EQ(size, 64u) << msg("existing_replaced").with("want", 64).with("got", size);
    const std::vector<std::int32_t> want{2, 5, 6};
    std::vector<std::int32_t> got = ints_of(id, 3);
    EXPECT_EQ(got, want)
        << msg("existing_not_written").with("want", listed(want)).with("got", listed(got));
}

class ShmWriteErrors : public ipclab::testing::IpcTest {};

// An existing segment smaller than (n+1) ints makes shmget fail with EINVAL; nothing is written.
TEST_F(ShmWriteErrors, TooSmallExistingSegmentIsShmgetEinval) {
    key_t k = key();
    int id = make_segment(k, 8, 0600, {1, 42});
    EXPECT_SYSERROR(write_values(k, {1, 2, 3}), "shmget", EINVAL);
    const std::vector<std::int32_t> want{1, 42};
    std::vector<std::int32_t> got = ints_of(id, 2);
    EXPECT_EQ(got, want)
        << msg("small_segment_changed").with("want", listed(want)).with("got", listed(got));
}

class ShmRead : public ipclab::testing::IpcTest {};

// read_values returns the n values after the count, and their sum.
TEST_F(ShmRead, ReadsTheValuesAfterTheCount) {
    key_t k = key();
    make_segment(k, 16, 0600, {3, 10, -4, 30});
    Reading r = read_values(k);
    const std::vector<std::int32_t> want{10, -4, 30};
    EXPECT_EQ(r.values, want)
        << msg("wrong_values").with("want", listed(want)).with("got", listed(r.values));
    EXPECT_EQ(r.sum, 36)
        << msg("wrong_sum").with("values", listed(r.values)).with("want", 36).with("got", r.sum);
}

// What write_values writes, read_values reads: they agree on the layout.
TEST_F(ShmRead, ReadsWhatTheWriterWrote) {
    key_t k = key();
    write_values(k, {8, 0, -1});
    track(segment_of(k));
    Reading r = read_values(k);
    const std::vector<std::int32_t> want{8, 0, -1};
    EXPECT_EQ(r.values, want)
        << msg("round_trip_differs").with("want", listed(want)).with("got", listed(r.values));
    EXPECT_EQ(r.sum, 7)
        << msg("wrong_sum").with("values", listed(r.values)).with("want", 7).with("got", r.sum);
}

// The sum is 64-bit: INT32_MAX + INT32_MAX does not overflow.
TEST_F(ShmRead, SumsIn64Bits) {
    key_t k = key();
    make_segment(k, 12, 0600, {2, INT32_MAX, INT32_MAX});
    std::int64_t sum = read_values(k).sum;
    EXPECT_EQ(sum, 4294967294LL) << msg("sum_overflow")
                                        .with("values", "[2147483647, 2147483647]")
                                        .with("want", 4294967294LL)
                                        .with("got", sum);
}

// SHM_RDONLY needs only read permission: a 0400 segment can be read.
TEST_F(ShmRead, ReadsA0400SegmentWithShmRdonly) {
    key_t k = key();
    make_segment(k, 12, 0400, {2, 5, 6});
    try {
        Reading r = read_values(k);
        const std::vector<std::int32_t> want{5, 6};
        EXPECT_EQ(r.values, want)
            << msg("wrong_values").with("want", listed(want)).with("got", listed(r.values));
    } catch (const ipclab::SysError& e) {
        ADD_FAILURE() << msg("no_shm_rdonly").with("what", e.what());
    }
}

// After reading, nobody is attached, and the last attach/detach was the reader's: the worker's.
TEST_F(ShmRead, DetachesAfterReading) {
    key_t k = key();
    int id = make_segment(k, 8, 0600);  // zero-filled: count 0; never attached, so lpid is 0
    std::vector<std::int32_t> values = read_values(k).values;
    EXPECT_TRUE(values.empty()) << msg("values_for_count_zero").with("got", listed(values));
    shmid_ds ds = stat_of(id);
    EXPECT_EQ(ds.shm_nattch, 0u) << msg("reader_left_attached").with("nattch", ds.shm_nattch);
    const pid_t reader = ipclab::remote::worker_pid();
    EXPECT_EQ(ds.shm_lpid, reader)
        << msg("reader_never_attached").with("lpid", ds.shm_lpid).with("pid", reader);
}

class ShmReadErrors : public ipclab::testing::IpcTest {};

// The reader never creates: a missing segment is shmget ENOENT, and still no segment afterwards.
TEST_F(ShmReadErrors, MissingSegmentIsShmgetEnoentAndNothingIsCreated) {
    key_t k = key();
    EXPECT_SYSERROR(read_values(k), "shmget", ENOENT);
    EXPECT_EQ(segment_of(k), -1) << msg("reader_created");
}

// A count that does not fit in the segment is a corrupt segment, not a reason to read past it.
TEST_F(ShmReadErrors, CountLargerThanTheSegmentIsAFailure) {
    key_t k = key();
    int id = make_segment(k, 16, 0600, {1000, 1, 2, 3});
    try {
        Reading r = read_values(k);
        ADD_FAILURE() << msg("corrupt_count_read").with("got", r.values.size());
    } catch (const ipclab::Failure& e) {
        const std::string want = "shm_read: corrupt segment: count 1000 does not fit in 16 bytes";
        EXPECT_EQ(std::string(e.what()), want)
            << msg("corrupt_message").with("want", want).with("got", e.what());
    }
    auto nattch = stat_of(id).shm_nattch;
    EXPECT_EQ(nattch, 0u) << msg("attached_after_corrupt").with("nattch", nattch);
}

// A negative count is corrupt too.
TEST_F(ShmReadErrors, NegativeCountIsAFailure) {
    key_t k = key();
    make_segment(k, 16, 0600, {-1, 1, 2, 3});
    EXPECT_THROW(read_values(k), ipclab::Failure) << msg("negative_count_not_failure");
}
