// What the visible and the hidden unit tests of 06-semaphores share: a fixture that also removes
// the semaphore sets a test made, and small helpers that look at the kernel's state directly
// (never through the code under test).
#pragma once

#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "ipclab/remote.hpp"
#include "ipclab/testing.hpp"
#include "sem_counter.hpp"

namespace semtest {

using ipclab::testing::errno_name;
using ipclab::testing::msg;
using ipclab::testing::Semun;
using ipclab::testing::wait_until;

// Runs `body` in a child process (ipclab::testing::spawn). The student's code it calls runs in
// the child's own worker (lab/include/ipclab/remote.hpp), which the child ends before it exits:
// once the child is reaped, what the kernel undoes at the exit of the process that did the
// semops (SEM_UNDO) is done.
inline pid_t spawn(const std::function<int()>& body) {
    return ipclab::testing::spawn([&body]() -> int {
        int status = 99;
        try {
            status = body();
        } catch (...) {
        }
        ipclab::remote::end_worker();
        return status;
    });
}

// In a child: writes the pid of the process that runs the student's code for it (its worker)
// to `fd`, for the test to signal it or to watch it end. The test reads it with read_pid, which
// gives -1 when the child wrote none (it ended first).
inline void tell_worker_pid(int fd) {
    pid_t pid = ipclab::remote::worker_pid();
    (void)!write(fd, &pid, sizeof pid);
}
inline pid_t read_pid(int fd) {
    pid_t pid = -1;
    return read(fd, &pid, sizeof pid) == static_cast<ssize_t>(sizeof pid) ? pid : -1;
}

// True once process `pid` has exited (gone, or a zombie not yet reaped): whatever the kernel
// undoes at a process's exit (SEM_UNDO) is done by then.
inline bool has_ended(pid_t pid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    std::ifstream in(path);
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

// semctl GETVAL / GETNCNT (processes blocked waiting in a P), or -1 when the set is gone.
inline int value_of(int semid) { return semctl(semid, 0, GETVAL); }
inline int waiters_of(int semid) { return semctl(semid, 0, GETNCNT); }
inline int semaphore_of(key_t key) { return semget(key, 0, 0); }

inline unsigned mode_of_set(int semid) {
    semid_ds ds{};
    Semun arg{};
    arg.buf = &ds;
    if (semctl(semid, 0, IPC_STAT, arg) == -1) return 0;
    return ds.sem_perm.mode & 0777;
}

inline unsigned long nsems_of(int semid) {
    semid_ds ds{};
    Semun arg{};
    arg.buf = &ds;
    if (semctl(semid, 0, IPC_STAT, arg) == -1) return 0;
    return ds.sem_nsems;
}

// The test itself takes / gives one unit, without SEM_UNDO (it plays "another process").
inline bool take(int semid) {
    sembuf op{0, -1, 0};
    return semop(semid, &op, 1) == 0;
}
inline bool give(int semid) {
    sembuf op{0, +1, 0};
    return semop(semid, &op, 1) == 0;
}

inline std::uint64_t read_counter(int shmid) {
    void* p = shmat(shmid, nullptr, SHM_RDONLY);
    if (p == reinterpret_cast<void*>(-1)) {
        int err = errno;
        ADD_FAILURE() << msg("counter_shmat_failed").with("error", errno_name(err));
        return 0;
    }
    std::uint64_t v = 0;
    std::memcpy(&v, p, sizeof v);
    shmdt(p);
    return v;
}

inline void write_counter(int shmid, std::uint64_t v) {
    void* p = shmat(shmid, nullptr, 0);
    if (p == reinterpret_cast<void*>(-1)) {
        int err = errno;
        ADD_FAILURE() << msg("counter_shmat_failed").with("error", errno_name(err));
        return;
    }
    std::memcpy(p, &v, sizeof v);
    shmdt(p);
}

// The child's exit status (or 128+signal), or -1 when it did not end within `seconds` (then it
// is killed).
inline int finish_child(pid_t pid, double seconds = 10.0) {
    int status = 0;
    bool ended = wait_until([&] { return waitpid(pid, &status, WNOHANG) == pid; }, seconds);
    if (!ended) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// What the watchdog writes: made before the alarm, since a signal handler may only write() it.
inline std::string& watchdog_text() {
    static std::string text;
    return text;
}

}  // namespace semtest

class SemCounterBase : public ipclab::testing::IpcTest {
protected:
    // A watchdog: a test stuck in a wait that never ends says why instead of hanging.
    void SetUp() override {
        IpcTest::SetUp();
        using ipclab::testing::msg;
        std::ostringstream said;
        said << '\n' << msg("test_timed_out").with("seconds", 8) << '\n';
        semtest::watchdog_text() = said.str();
        signal(SIGALRM, [](int) {
            const std::string& text = semtest::watchdog_text();
            (void)!write(1, text.data(), text.size());
            _exit(1);
        });
        alarm(8);  // under the lab's 10 s wall limit, so this message is the one seen
    }

    // The key of this test's file with proj_id; its segment and semaphore set go in TearDown.
    key_t skey(int proj_id = 42) {
        key_t k = key(proj_id);
        keys_.push_back(k);
        return k;
    }

    // A set of one semaphore made by the test (as another program would), with `value`.
    int make_set(key_t k, int value) {
        int id = semget(k, 1, IPC_CREAT | IPC_EXCL | 0600);
        if (id == -1) {
            setup_failed("semget");
            return -1;
        }
        semids_.push_back(id);
        semtest::Semun arg{};
        arg.val = value;
        if (semctl(id, 0, SETVAL, arg) == -1) setup_failed("semctl(SETVAL)");
        return id;
    }

    void track_set(int semid) {
        if (semid >= 0) semids_.push_back(semid);
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

    // init_counter(k), then the ids it made; fails the test when either object is missing.
    bool init_ok(key_t k, int& shmid, int& semid) {
        init_counter(k);
        shmid = ipclab::testing::segment_of(k);
        semid = semtest::semaphore_of(k);
        track(shmid);
        track_set(semid);
        using ipclab::testing::msg;
        EXPECT_NE(shmid, -1) << msg("init_made_no_segment");
        EXPECT_NE(semid, -1) << msg("init_made_no_set");
        return shmid != -1 && semid != -1;
    }

private:
    std::vector<key_t> keys_;
    std::vector<int> semids_;
};
