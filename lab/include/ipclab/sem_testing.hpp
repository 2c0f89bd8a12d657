// What the unit tests of the exercises with semaphores (06-semaphores, 08-prodcons) share, on top
// of testing.hpp: a fixture that also removes the semaphore sets a test made and stops a test
// stuck in a wait, children with a worker of their own, and helpers that read the kernel's
// state directly (never through the code under test).
#pragma once

#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "ipclab/remote.hpp"
#include "ipclab/testing.hpp"

namespace ipclab::testing {

// Runs `body` in a child process (spawn). The student's code it calls runs in the child's own
// worker (remote.hpp), which the child ends before it exits: once the child is reaped, what the
// kernel undoes at the exit of the process that did the semops (SEM_UNDO) is done.
inline pid_t spawn_with_worker(const std::function<int()>& body) {
    return spawn([&body]() -> int {
        int status = 99;
        try {
            status = body();
        } catch (...) {}
        remote::end_worker();
        return status;
    });
}

// In a child: writes the pid of the process that runs the student's code for it (its worker)
// to `fd`, for the test to signal it or to watch it end. The test reads it with read_pid, which
// gives -1 when the child wrote none (it ended first).
inline void tell_worker_pid(int fd) {
    pid_t pid = remote::worker_pid();
    (void)!write(fd, &pid, sizeof pid);
}
inline pid_t read_pid(int fd) {
    pid_t pid = -1;
    return read(fd, &pid, sizeof pid) == static_cast<ssize_t>(sizeof pid) ? pid : -1;
}

// True once process `pid` has exited (gone, or a zombie not yet reaped): whatever the kernel
// undoes at a process's exit (SEM_UNDO) is done by then.
inline bool has_ended(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) return true;
    std::size_t close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) return true;
    char state = stat[close + 2];
    return state == 'Z' || state == 'X';
}

// Whether signal `sig` is still pending for process `pid` (/proc/PID/status, SigPnd and
// ShdPnd): once it is not, the process has taken it and run its handler.
inline bool signal_pending(pid_t pid, int sig) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    const unsigned long long bit = 1ull << (sig - 1);
    bool pending = false;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("SigPnd:", 0) == 0 || line.rfind("ShdPnd:", 0) == 0) {
            if (std::strtoull(line.c_str() + 7, nullptr, 16) & bit) pending = true;
        }
    }
    return pending;
}

// A child under watch: reaped() polls it without blocking.
struct Child {
    pid_t pid = -1;
    int status = 0;
    bool done = false;
    bool reaped() {
        if (!done && pid > 0 && waitpid(pid, &status, WNOHANG) == pid) done = true;
        return done;
    }
    // Exit status (or 128+signal); -1 when it does not end within `seconds` (then it is killed).
    int finish(double seconds = 10.0) {
        if (!wait_until([this] { return reaped(); }, seconds)) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            done = true;
            return -1;
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
};
inline int finish_child(pid_t pid, double seconds = 10.0) {
    Child child{pid};
    return child.finish(seconds);
}

// ---- semaphore sets, as the kernel has them ---------------------------------------------------

inline int semaphore_of(key_t key) { return semget(key, 0, 0); }

// IPC_STAT of the set (zeros when it is gone).
inline semid_ds stat_set(int semid) {
    semid_ds ds{};
    Semun arg{};
    arg.buf = &ds;
    if (semctl(semid, 0, IPC_STAT, arg) == -1) ds = semid_ds{};
    return ds;
}

// GETVAL of semaphore `num`, or -1 when the set is gone.
inline int value_of(int semid, unsigned short num = 0) { return semctl(semid, num, GETVAL); }

// Every value of the set (GETALL), or {} when it is gone.
inline std::vector<int> values_of(int semid) {
    std::vector<unsigned short> v(stat_set(semid).sem_nsems);
    if (v.empty()) return {};
    Semun arg{};
    arg.array = v.data();
    if (semctl(semid, 0, GETALL, arg) == -1) return {};
    return std::vector<int>(v.begin(), v.end());
}

// Processes asleep in a P of semaphore `num` (GETNCNT), or -1 when the set is gone.
inline int waiters_of(int semid, unsigned short num = 0) { return semctl(semid, num, GETNCNT); }

// The test takes / gives a unit of `num` itself, without SEM_UNDO ("another process").
inline bool take(int semid, unsigned short num = 0) {
    sembuf op{num, -1, 0};
    return semop(semid, &op, 1) == 0;
}
inline bool give(int semid, unsigned short num = 0) {
    sembuf op{num, +1, 0};
    return semop(semid, &op, 1) == 0;
}

// What the watchdog writes: made before the alarm, since a signal handler may only write() it.
inline std::string& watchdog_text() {
    static std::string text;
    return text;
}

// ---- the fixture ------------------------------------------------------------------------------

class SemTest : public IpcTest {
protected:
    // A watchdog: a test stuck in a wait that never ends says why (the exercise's message
    // test_timed_out) instead of hanging.
    void SetUp() override {
        IpcTest::SetUp();
        std::ostringstream said;
        said << '\n' << msg("test_timed_out").with("seconds", 8) << '\n';
        watchdog_text() = said.str();
        signal(SIGALRM, [](int) {
            const std::string& text = watchdog_text();
            (void)!write(1, text.data(), text.size());
            _exit(1);
        });
        alarm(8);  // under the lab's 10 s wall limit, so this message is the one seen
    }

    void TearDown() override {
        alarm(0);
        for (key_t k : keys_) {
            int id = semget(k, 0, 0);
            if (id != -1) semctl(id, 0, IPC_RMID);
        }
        for (int id : semids_) semctl(id, 0, IPC_RMID);
        IpcTest::TearDown();
    }

    // The key of this test's file with proj_id; its segment and semaphore set go in TearDown.
    key_t skey(int proj_id = 42) {
        key_t k = key(proj_id);
        keys_.push_back(k);
        return k;
    }

    // A set made by the test (as another program would), SETALL to `values`.
    int make_set(key_t k, const std::vector<unsigned short>& values) {
        int id = semget(k, static_cast<int>(values.size()), IPC_CREAT | IPC_EXCL | 0600);
        if (id == -1) {
            setup_failed("semget");
            return -1;
        }
        semids_.push_back(id);
        std::vector<unsigned short> v = values;
        Semun arg{};
        arg.array = v.data();
        if (semctl(id, 0, SETALL, arg) == -1) setup_failed("semctl(SETALL)");
        return id;
    }

    void track_set(int semid) {
        if (semid >= 0) semids_.push_back(semid);
    }

    // After the exercise's init: the ids of the segment and the set under `k`, registered for
    // TearDown; fails the test (init_made_no_segment / init_made_no_set) when either is missing.
    bool found_both(key_t k, int& shmid, int& semid) {
        shmid = segment_of(k);
        semid = semaphore_of(k);
        track(shmid);
        track_set(semid);
        EXPECT_NE(shmid, -1) << msg("init_made_no_segment");
        EXPECT_NE(semid, -1) << msg("init_made_no_set");
        return shmid != -1 && semid != -1;
    }

private:
    std::vector<key_t> keys_;
    std::vector<int> semids_;
};

// ---- an object of the pair missing -------------------------------------------------------------

// Expects `call` -- the exercise's function `function` run where an object of its segment and
// semaphore pair is missing -- to throw ipclab::SysError with ENOENT from the look-up. `want`:
// the look-up that must fail ("shmget" or "semget") when only one object is missing, nullptr when
// both are (either is right: the order of the look-ups is the student's). The messages are the
// exercise's: missing_* when both are missing, half_* when one is.
inline void expect_lookup_error(const char* function, const std::function<void()>& call,
                                const char* want = nullptr) {
    std::string got;  // the call the error names, or what was thrown instead
    try {
        call();
    } catch (const SysError& e) {
        got = e.call();
        EXPECT_EQ(e.error(), ENOENT) << msg("missing_wrong_errno")
                                            .with("function", function)
                                            .with("call", e.call())
                                            .with("got", errno_name(e.error()));
    } catch (const std::exception& e) {
        got = e.what();
    }
    if (want == nullptr && got.empty()) {
        ADD_FAILURE() << msg("missing_returned").with("function", function);
    } else if (want == nullptr && got != "shmget" && got != "semget") {
        ADD_FAILURE() << msg("missing_wrong_call").with("function", function).with("got", got);
    } else if (want != nullptr && got.empty()) {
        ADD_FAILURE() << msg("half_returned").with("function", function).with("want", want);
    } else if (want != nullptr && got != want) {
        ADD_FAILURE() << msg("half_wrong_call")
                             .with("function", function)
                             .with("got", got)
                             .with("want", want);
    }
}

// Expects no segment and no set under `k` after `function` (missing_created_segment/_set).
inline void expect_nothing_created(key_t k, const char* function) {
    EXPECT_EQ(segment_of(k), -1) << msg("missing_created_segment").with("function", function);
    EXPECT_EQ(semaphore_of(k), -1) << msg("missing_created_set").with("function", function);
}

}  // namespace ipclab::testing
