// What the visible and the hidden unit tests of 08-prodcons share: a fixture that also removes the
// semaphore sets a test made, and helpers that read the kernel's state directly.
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
#include "prodcons.hpp"

namespace pctest {

using ipclab::testing::listed;

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
// to `fd`, for the test to signal it. The test reads it with read_pid, which gives -1 when the
// child wrote none (it ended first).
inline void tell_worker_pid(int fd) {
    pid_t pid = ipclab::remote::worker_pid();
    (void)!write(fd, &pid, sizeof pid);
}
inline pid_t read_pid(int fd) {
    pid_t pid = -1;
    return read(fd, &pid, sizeof pid) == static_cast<ssize_t>(sizeof pid) ? pid : -1;
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

// {empty, full, mutex} as the kernel has them (GETALL), or {} when the set is gone.
inline std::vector<int> values_of(int semid) {
    unsigned short v[3] = {};
    Semun arg{};
    arg.array = v;
    if (semctl(semid, 0, GETALL, arg) == -1) return {};
    return {v[0], v[1], v[2]};
}
// Processes asleep in a P of semaphore `num`.
inline int waiters_of(int semid, unsigned short num) { return semctl(semid, num, GETNCNT); }
inline int semaphore_of(key_t key) { return semget(key, 0, 0); }

inline semid_ds stat_set(int semid) {
    semid_ds ds{};
    Semun arg{};
    arg.buf = &ds;
    semctl(semid, 0, IPC_STAT, arg);
    return ds;
}

// The test takes / gives a unit of `num` itself, without SEM_UNDO ("another process").
inline bool take(int semid, unsigned short num) {
    sembuf op{num, -1, 0};
    return semop(semid, &op, 1) == 0;
}
inline bool give(int semid, unsigned short num) {
    sembuf op{num, +1, 0};
    return semop(semid, &op, 1) == 0;
}

inline std::vector<std::int32_t> ints_of(int shmid, std::size_t count) {
    std::vector<std::int32_t> out(count);
    void* p = shmat(shmid, nullptr, SHM_RDONLY);
    if (p == reinterpret_cast<void*>(-1)) {
        int err = errno;
        ADD_FAILURE() << msg("buffer_shmat_failed").with("error", errno_name(err));
        return {};
    }
    std::memcpy(out.data(), p, count * sizeof(std::int32_t));
    shmdt(p);
    return out;
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

// consume() in a child: the values go back through a pipe as int32s. collect() reads them.
struct Consumer {
    Child child;
    int fd = -1;
    std::vector<std::int32_t> collect() {
        std::vector<std::int32_t> out;
        std::int32_t v;
        while (read(fd, &v, sizeof v) == static_cast<ssize_t>(sizeof v)) out.push_back(v);
        close(fd);
        fd = -1;
        return out;
    }
};

// With go_fd, the child first waits for end-of-file on it (go_close: the write end, closed in
// the child so that only the test holds it).
inline Consumer start_consumer(key_t k, int count, int go_fd = -1, int go_close = -1) {
    int p[2];
    if (pipe(p) != 0) return {};
    Consumer c;
    c.child.pid = spawn([=]() -> int {
        close(p[0]);
        if (go_close != -1) close(go_close);
        if (go_fd != -1) {
            char ch;
            if (read(go_fd, &ch, 1) != 0) return 98;
        }
        consume(k, count, [&](std::int32_t v) { (void)!write(p[1], &v, sizeof v); });
        return 0;
    });
    close(p[1]);
    c.fd = p[0];
    return c;
}

// What the watchdog writes: made before the alarm, since a signal handler may only write() it.
inline std::string& watchdog_text() {
    static std::string text;
    return text;
}

}  // namespace pctest

class ProdConsBase : public ipclab::testing::IpcTest {
protected:
    // A watchdog: a test stuck in a wait that never ends says why instead of hanging.
    void SetUp() override {
        IpcTest::SetUp();
        using ipclab::testing::msg;
        std::ostringstream said;
        said << '\n' << msg("test_timed_out").with("seconds", 8) << '\n';
        pctest::watchdog_text() = said.str();
        signal(SIGALRM, [](int) {
            const std::string& text = pctest::watchdog_text();
            (void)!write(1, text.data(), text.size());
            _exit(1);
        });
        alarm(8);  // under the lab's 10 s wall limit, so this message is the one seen
    }

    key_t skey(int proj_id = 42) {
        key_t k = key(proj_id);
        keys_.push_back(k);
        return k;
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

    // init_buffer(k, slots) and the ids it made; checks the three starting values, so a test that
    // goes on to produce or consume in-process cannot hang on a semaphore left at 0.
    bool init_ok(key_t k, int slots, int& shmid, int& semid) {
        init_buffer(k, slots);
        shmid = ipclab::testing::segment_of(k);
        semid = pctest::semaphore_of(k);
        track(shmid);
        track_set(semid);
        using ipclab::testing::msg;
        EXPECT_NE(shmid, -1) << msg("init_made_no_segment");
        EXPECT_NE(semid, -1) << msg("init_made_no_set");
        if (shmid == -1 || semid == -1) return false;
        std::vector<int> want{slots, 0, 1};
        std::vector<int> got = pctest::values_of(semid);
        EXPECT_EQ(got, want) << msg("init_wrong_values").with("got", pctest::listed(got)).with("want", pctest::listed(want));
        return got == want;
    }

private:
    std::vector<key_t> keys_;
    std::vector<int> semids_;
};
