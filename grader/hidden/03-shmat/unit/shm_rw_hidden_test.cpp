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
#include <sstream>
#include <string>
#include <vector>

#include "ipclab/remote.hpp"
#include "ipclab/testing.hpp"
#include "shm_rw.hpp"

using ipclab::testing::errno_name;
using ipclab::testing::listed;
using ipclab::testing::msg;
using ipclab::testing::segment_of;
using ipclab::testing::stat_segment;

namespace {

constexpr std::size_t kHuge = std::size_t{1} << 30;  // 1 GiB, never touched (SHM_NORESERVE)

// Lowers this process's address-space limit to `limit` (never above the grader's own limit). In
// a forked child, the worker the child's first call starts inherits it.
bool limit_address_space(rlim_t limit) {
    rlimit rl{};
    if (getrlimit(RLIMIT_AS, &rl) == -1) return false;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < limit) limit = rl.rlim_max;
    rl.rlim_cur = rl.rlim_max = limit;
    return setrlimit(RLIMIT_AS, &rl) == 0;
}

// The child's exit status when the code's worker exited (exit()) during the call.
constexpr int kWorkerExited = 13;

// In a forked child: the code ran in the child's worker, which ended during the call. The child
// ends as the worker did -- by the same signal -- so its wait status tells the parent what the
// code did, as when the code ran in the child itself; an exit() is kWorkerExited.
[[noreturn]] void end_as(const ipclab::remote::WorkerEnded& e) {
    for (int sig = 1; sig < NSIG; ++sig) {
        const char* abbrev = sigabbrev_np(sig);
        if (abbrev != nullptr && e.how == std::string("SIG") + abbrev) {
            std::signal(sig, SIG_DFL);
            sigset_t one;
            sigemptyset(&one);
            sigaddset(&one, sig);
            sigprocmask(SIG_UNBLOCK, &one, nullptr);
            raise(sig);
        }
    }
    _exit(kWorkerExited);
}

// A forked child's exit: its worker ends first (and is reaped), so what the code left attached is
// detached by the time the parent's waitpid returns, as when the code ran in the child itself.
[[noreturn]] void exit_with_worker(int code) {
    ipclab::remote::end_worker();
    _exit(code);
}

// Runs `body` in a child whose address space (and its worker's, which inherits the limit)
// cannot hold a 1 GiB mapping, so shmat fails with ENOMEM; returns the child's wait status.
// The child exits 0 when body threw SysError("shmat").
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
        int code = 12;
        try {
            body();
            code = 10;
        } catch (const ipclab::SysError& e) {
            code = e.call() == "shmat" && e.error() == ENOMEM ? 0 : 11;
        } catch (const ipclab::remote::WorkerEnded& e) {
            end_as(e);
        } catch (...) {}
        exit_with_worker(code);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

// A signal by its name (SIGSEGV), the same in every language.
std::string signal_name(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

// Says what `fn` did wrong when shmat failed in in_small_address_space (status: the child's).
void explain(int status, const char* fn) {
    if (WIFSIGNALED(status)) {
        ADD_FAILURE() << msg("shmat_failure_crashed")
                             .with("fn", fn)
                             .with("signal", signal_name(WTERMSIG(status)));
        return;
    }
    switch (WEXITSTATUS(status)) {
        case 10:
            ADD_FAILURE() << msg("shmat_failure_returned").with("fn", fn);
            break;
        case 11:
            ADD_FAILURE() << msg("shmat_failure_wrong_syserror").with("fn", fn);
            break;
        case 12:
            ADD_FAILURE() << msg("shmat_failure_not_syserror").with("fn", fn);
            break;
        case kWorkerExited:
            ADD_FAILURE() << msg("worker_ended").with("function", fn).with("how", "exit");
            break;
        default:
            ADD_FAILURE() << msg("child_setup_failed").with("status", status);
            break;
    }
}

int make_huge(key_t k) {
    int id = shmget(k, kHuge, IPC_CREAT | IPC_EXCL | SHM_NORESERVE | 0600);
    int err = errno;
    if (id == -1)
        ADD_FAILURE() << msg("setup_failed").with("call", "shmget").with("error", errno_name(err));
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
        explain(status, "read_values");
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
        explain(status, "write_values");
    }
}

// A count that fills the segment exactly is fine; one more slot is corrupt (off by one).
TEST_F(ShmatHidden, CountBoundIsExact) {
    key_t k1 = key(1), k2 = key(2);
    make_segment(k1, 16, 0600, {3, 1, 2, 3});
    make_segment(k2, 16, 0600, {4, 1, 2, 3});
    std::size_t n = read_values(k1).values.size();
    EXPECT_EQ(n, 3u) << msg("exact_count_refused").with("got", n);
    EXPECT_THROW(read_values(k2), ipclab::Failure) << msg("count_off_by_one");
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
        int code = 11;
        try {
            read_values(k);
            code = 10;
        } catch (const ipclab::Failure&) {
            code = 0;
        } catch (const ipclab::remote::WorkerEnded& e) {
            end_as(e);
        } catch (...) {}
        exit_with_worker(code);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) {
        ADD_FAILURE() << msg("huge_count_crashed").with("signal", signal_name(WTERMSIG(status)));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == kWorkerExited) {
        ADD_FAILURE() << msg("worker_ended").with("function", "read_values").with("how", "exit");
    } else if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        ADD_FAILURE() << msg("huge_count_not_failure");
    }
    shmid_ds ds{};
    bool ok = stat_segment(id, ds);
    int err = errno;
    ASSERT_TRUE(ok) << msg("segment_gone").with("shmid", id).with("error", errno_name(err));
    EXPECT_EQ(ds.shm_nattch, 0u) << msg("attached_after_corrupt").with("nattch", ds.shm_nattch);
}

// A segment smaller than one int cannot even hold the count, which is not read (not even in
// part): the message names the size only.
TEST_F(ShmatHidden, SegmentSmallerThanTheCountIsAFailure) {
    key_t k = key();
    make_segment(k, 2, 0600);
    try {
        read_values(k);
        ADD_FAILURE() << msg("tiny_segment_not_failure");
    } catch (const ipclab::Failure& e) {
        const std::string want = "shm_read: corrupt segment: 2 bytes cannot hold the count";
        EXPECT_EQ(std::string(e.what()), want)
            << msg("tiny_segment_message").with("want", want).with("got", e.what());
    }
}

// Negative values sum to a negative 64-bit number; an empty list sums to 0.
TEST_F(ShmatHidden, NegativeAndEmptySums) {
    key_t k1 = key(1), k2 = key(2);
    make_segment(k1, 12, 0600, {2, INT32_MIN, INT32_MIN});
    make_segment(k2, 4, 0600, {0});
    std::int64_t sum = read_values(k1).sum;
    EXPECT_EQ(sum, -4294967296LL) << msg("sum_overflow")
                                         .with("values", "[-2147483648, -2147483648]")
                                         .with("want", -4294967296LL)
                                         .with("got", sum);
    Reading empty = read_values(k2);
    EXPECT_TRUE(empty.values.empty())
        << msg("values_for_count_zero").with("got", listed(empty.values));
    EXPECT_EQ(empty.sum, 0) << msg("sum_not_zero").with("got", empty.sum);
}

// The writer leaves nobody attached and the reader leaves the writer's data intact.
TEST_F(ShmatHidden, WriteReadWriteRoundTrip) {
    key_t k = key();
    write_values(k, {1, 2, 3, 4});
    int id = segment_of(k);
    ASSERT_NE(id, -1) << msg("no_segment_after_write");
    track(id);
    write_values(k, {9});  // a shorter list fits in the existing segment
    Reading r = read_values(k);
    EXPECT_EQ(r.values, (std::vector<std::int32_t>{9}))
        << msg("second_write_count").with("got", listed(r.values));
    shmid_ds ds{};
    bool ok = stat_segment(id, ds);
    int err = errno;
    ASSERT_TRUE(ok) << msg("segment_gone").with("shmid", id).with("error", errno_name(err));
    EXPECT_EQ(ds.shm_segsz, 20u)
        << msg("wrong_size").with("n", 4).with("want", 20).with("got", ds.shm_segsz);
    EXPECT_EQ(ds.shm_nattch, 0u)
        << msg("still_attached_after_round_trip").with("nattch", ds.shm_nattch);
}

// The writer's 0600 request on a read-only (0400) segment is refused, never a crash.
TEST_F(ShmatHidden, WriterOnReadOnlySegmentFails) {
    key_t k = key();
    make_segment(k, 64, 0400, {0});  // large enough: only the permission is wrong
    try {
        write_values(k, {1});
        ADD_FAILURE() << msg("write_on_0400_succeeded");
    } catch (const ipclab::SysError& e) {
        EXPECT_EQ(e.error(), EACCES) << msg("write_on_0400_not_eacces")
                                            .with("got", errno_name(e.error()))
                                            .with("what", e.what());
    }
}
