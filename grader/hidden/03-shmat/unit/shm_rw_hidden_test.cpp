// Hidden unit tests of 03-shmat: the edges a quick solution misses.
#include <sys/ipc.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "ipclab/testing.hpp"
#include "shm_rw.hpp"

using ipclab::testing::segment_of;
using ipclab::testing::stat_segment;

namespace {

constexpr std::size_t kHuge = std::size_t{1} << 30;  // 1 GiB, never touched (SHM_NORESERVE)

// Lowers this process's address-space limit to `limit` (never above the grader's own limit).
bool limit_address_space(rlim_t limit) {
    rlimit rl{};
    if (getrlimit(RLIMIT_AS, &rl) == -1) return false;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < limit) limit = rl.rlim_max;
    rl.rlim_cur = rl.rlim_max = limit;
    return setrlimit(RLIMIT_AS, &rl) == 0;
}

// Runs `body` in a child whose address space cannot hold a 1 GiB mapping, so shmat fails with
// ENOMEM; returns the child's wait status. The child exits 0 when body threw SysError("shmat").
int in_small_address_space(const std::function<void()>& body) {
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        long pages = 0;
        if (FILE* f = std::fopen("/proc/self/statm", "r")) {
            if (std::fscanf(f, "%ld", &pages) != 1) pages = 0;
            std::fclose(f);
        }
        rlim_t limit = static_cast<rlim_t>(pages) * sysconf(_SC_PAGESIZE) + (rlim_t{256} << 20);
        if (!limit_address_space(limit)) _exit(20);
        try {
            body();
            _exit(10);
        } catch (const ipclab::SysError& e) {
            _exit(e.call() == "shmat" && e.error() == ENOMEM ? 0 : 11);
        } catch (...) {
            _exit(12);
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

std::string explain(int status, const char* fn) {
    const std::string fix = " shmat reports failure with (void *)-1, not NULL: compare its result "
                            "with (void *)-1 and throw ipclab::SysError(\"shmat\")";
    if (WIFSIGNALED(status)) {
        return std::string(fn) + " crashed with signal " + std::to_string(WTERMSIG(status)) +
               " (" + strsignal(WTERMSIG(status)) + ") when shmat failed: it used the (void *)-1 "
               "pointer." + fix;
    }
    switch (WEXITSTATUS(status)) {
    case 10: return std::string(fn) + " returned normally although shmat failed (ENOMEM)." + fix;
    case 11: return std::string(fn) + " threw a SysError that does not name shmat with ENOMEM." + fix;
    case 12: return std::string(fn) + " threw something other than ipclab::SysError." + fix;
    default: return "test set-up failed in the child (status " + std::to_string(status) + ")";
    }
}

int make_huge(key_t k) {
    int id = shmget(k, kHuge, IPC_CREAT | IPC_EXCL | SHM_NORESERVE | 0600);
    if (id == -1) ADD_FAILURE() << "test set-up: shmget: " << std::strerror(errno);
    return id;
}

}  // namespace

class ShmatHidden : public ipclab::testing::IpcTest {};

// When shmat fails, read_values reports SysError("shmat") instead of using (void*)-1.
TEST_F(ShmatHidden, ReaderChecksShmatFailure) {
    key_t k = key();
    int id = make_huge(k);
    ASSERT_NE(id, -1);
    track(id);
    int status = in_small_address_space([k] { read_values(k); });
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        ADD_FAILURE() << explain(status, "read_values");
    }
}

// When shmat fails, write_values reports SysError("shmat") instead of writing through (void*)-1.
TEST_F(ShmatHidden, WriterChecksShmatFailure) {
    key_t k = key();
    int id = make_huge(k);
    ASSERT_NE(id, -1);
    track(id);
    int status = in_small_address_space([k] { write_values(k, {1, 2}); });
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        ADD_FAILURE() << explain(status, "write_values");
    }
}

// A count that fills the segment exactly is fine; one more slot is corrupt (off by one).
TEST_F(ShmatHidden, CountBoundIsExact) {
    key_t k1 = key(1), k2 = key(2);
    make_segment(k1, 16, 0600, {3, 1, 2, 3});
    make_segment(k2, 16, 0600, {4, 1, 2, 3});
    EXPECT_EQ(read_values(k1).values.size(), 3u)
        << "count 3 fits exactly in 16 bytes ((3+1)*4): the bound is (count+1)*4 <= shm_segsz";
    EXPECT_THROW(read_values(k2), ipclab::Failure)
        << "count 4 needs 20 bytes but the segment has 16: remember the count's own slot";
}

// A count far past the segment is refused without reading (a read would crash the process).
TEST_F(ShmatHidden, HugeCountIsRefusedWithoutReading) {
    key_t k = key();
    int id = make_segment(k, 16, 0600, {0x3fffffff, 1, 2, 3});  // (count+1)*4 overflows an int to 0
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        // A solution that trusts the count would allocate 8 GiB: keep the child small.
        if (!limit_address_space(rlim_t{512} << 20)) _exit(20);
        try {
            read_values(k);
            _exit(10);
        } catch (const ipclab::Failure&) {
            _exit(0);
        } catch (...) {
            _exit(11);
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        ADD_FAILURE() << "read_values with count 1073741823 in a 16-byte segment "
        << (WIFSIGNALED(status) ? "crashed (it read past the segment)" : "did not throw ipclab::Failure")
        << ": compare (count+1)*sizeof(int32_t), computed in 64 bits, with shm_segsz before reading";
    shmid_ds ds{};
    ASSERT_TRUE(stat_segment(id, ds));
    EXPECT_EQ(ds.shm_nattch, 0u);
}

// A segment smaller than one int cannot even hold the count.
TEST_F(ShmatHidden, SegmentSmallerThanTheCountIsAFailure) {
    key_t k = key();
    make_segment(k, 2, 0600);
    EXPECT_THROW(read_values(k), ipclab::Failure)
        << "a 2-byte segment cannot hold the count: check shm_segsz >= sizeof(int32_t) first";
}

// Negative values sum to a negative 64-bit number; an empty list sums to 0.
TEST_F(ShmatHidden, NegativeAndEmptySums) {
    key_t k1 = key(1), k2 = key(2);
    make_segment(k1, 12, 0600, {2, INT32_MIN, INT32_MIN});
    make_segment(k2, 4, 0600, {0});
    EXPECT_EQ(read_values(k1).sum, -4294967296LL)
        << "INT32_MIN + INT32_MIN overflowed: sum in std::int64_t";
    Reading empty = read_values(k2);
    EXPECT_TRUE(empty.values.empty());
    EXPECT_EQ(empty.sum, 0) << "sum must start at 0";
}

// The writer leaves nobody attached and the reader leaves the writer's data intact.
TEST_F(ShmatHidden, WriteReadWriteRoundTrip) {
    key_t k = key();
    write_values(k, {1, 2, 3, 4});
    int id = segment_of(k);
    ASSERT_NE(id, -1);
    track(id);
    write_values(k, {9});  // a shorter list fits in the existing segment
    Reading r = read_values(k);
    EXPECT_EQ(r.values, (std::vector<std::int32_t>{9}))
        << "the second write must write its own count (1), so only its value is read";
    shmid_ds ds{};
    ASSERT_TRUE(stat_segment(id, ds));
    EXPECT_EQ(ds.shm_segsz, 20u) << "the first write creates (4+1)*4 = 20 bytes";
    EXPECT_EQ(ds.shm_nattch, 0u) << "someone stayed attached: shmdt after each write and read";
}

// The writer's 0600 request on a read-only (0400) segment is refused, never a crash.
TEST_F(ShmatHidden, WriterOnReadOnlySegmentFails) {
    key_t k = key();
    make_segment(k, 64, 0400, {0});  // large enough: only the permission is wrong
    try {
        write_values(k, {1});
        ADD_FAILURE() << "write_values succeeded on a 0400 segment";
    } catch (const ipclab::SysError& e) {
        EXPECT_EQ(e.error(), EACCES) << "expected Permission denied, got " << e.what();
    }
}
