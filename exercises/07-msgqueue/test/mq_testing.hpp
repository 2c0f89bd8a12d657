// What the unit tests of 07-msgqueue share (visible and hidden): a fixture that also removes
// the test's message queues, raw msgsnd/msgrcv done by the test itself, a server run in a
// child process so that a server that never ends cannot hang the tests, and what /proc says
// about the worker that runs the code under test (blocked in msgrcv, a signal taken).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ipclab/testing.hpp"
#include "mq_chat.hpp"

namespace mqtest {

using Clock = std::chrono::steady_clock;
constexpr auto kDeadline = std::chrono::seconds(3);

inline void pause_ms(long ms) {
    const timespec t{ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&t, nullptr);
}

// One message as the kernel holds it: its mtype and the bytes after mtype.
struct Message {
    long mtype;
    std::string data;
};

// The bytes of a request exactly as the lab's wire format lays them out (kRequestSize bytes).
inline std::string request_bytes(pid_t pid, const std::string& text) {
    Request r{};
    r.pid = pid;
    std::memcpy(r.text, text.data(), std::min(text.size(), kTextMax - 1));
    return std::string(reinterpret_cast<const char*>(&r) + sizeof(long), kRequestSize);
}

// The text of a reply or request body: up to its first NUL.
inline std::string text_at(const std::string& data, std::size_t offset) {
    if (data.size() <= offset) return "";
    std::string t = data.substr(offset);
    return t.substr(0, t.find('\0'));
}

class QueueTest : public ipclab::testing::IpcTest {
protected:
    // A watchdog: code under test that waits forever in msgrcv (a wrong msgtyp) must not hang
    // the tests. After kWatchdog it removes the test's queues, so that msgrcv fails (EIDRM).
    void SetUp() override {
        IpcTest::SetUp();
        watchdog_ = std::thread([this] {
            std::unique_lock<std::mutex> lock(mutex_);
            if (!cv_.wait_for(lock, kWatchdog, [this] { return done_; })) {
                fired_ = true;
                remove_queues();
            }
        });
    }

    void TearDown() override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            done_ = true;
        }
        cv_.notify_all();
        watchdog_.join();
        if (fired_) {
            ADD_FAILURE() << ipclab::testing::msg("watchdog_fired")
                                 .with("seconds", std::chrono::seconds(kWatchdog).count());
        }
        for (pid_t pid : children_) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
        remove_queues();
        IpcTest::TearDown();
    }

    // The key of this test's file; its queue is removed in TearDown.
    key_t qkey(int proj_id = 42) {
        key_t k = key(proj_id);
        std::lock_guard<std::mutex> lock(mutex_);
        keys_.push_back(k);
        return k;
    }

    // A queue made by the test itself (as a server would, but not through student code).
    int make_queue(key_t k) {
        int id = msgget(k, IPC_CREAT | IPC_EXCL | 0600);
        if (id == -1) setup_failed("msgget");
        std::lock_guard<std::mutex> lock(mutex_);
        ids_.push_back(id);
        return id;
    }

    // msgsnd of `data` (the part after mtype) by the test.
    static void send_raw(int id, long mtype, const std::string& data) {
        std::vector<char> buf(sizeof(long) + data.size());
        std::memcpy(buf.data(), &mtype, sizeof(long));
        std::memcpy(buf.data() + sizeof(long), data.data(), data.size());
        if (msgsnd(id, buf.data(), data.size(), IPC_NOWAIT) == -1) {
            setup_failed("msgsnd");
        }
    }

    // msgrcv by the test: the first message of type `mtype` (0: any), waiting at most `wait`.
    // Messages up to 8 KiB are taken whole, so a size that is too large shows.
    static std::optional<Message> receive_raw(int id, long mtype,
                                              Clock::duration wait = Clock::duration::zero()) {
        std::vector<char> buf(sizeof(long) + 8192);
        const auto deadline = Clock::now() + wait;
        for (;;) {
            ssize_t n = msgrcv(id, buf.data(), 8192, mtype, IPC_NOWAIT);
            if (n >= 0) {
                long t;
                std::memcpy(&t, buf.data(), sizeof(long));
                return Message{t,
                               std::string(buf.data() + sizeof(long), static_cast<std::size_t>(n))};
            }
            if (errno != ENOMSG || Clock::now() >= deadline) return std::nullopt;
            pause_ms(1);
        }
    }

    // Messages in the queue now (IPC_STAT), -1 when it is gone.
    static long count(int id) {
        msqid_ds ds{};
        if (msgctl(id, IPC_STAT, &ds) == -1) return -1;
        return static_cast<long>(ds.msg_qnum);
    }

    // Starts run_server(k) in a child process and waits for its ready() call. Returns the
    // child's pid (-1 if it did not get ready, after reporting what it did instead).
    pid_t start_server(key_t k) {
        using ipclab::testing::msg;
        int fds[2];
        if (pipe(fds) == -1) {
            setup_failed("pipe");
            return -1;
        }
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            // The parent stops reading after "R": a later write must fail, not kill us.
            signal(SIGPIPE, SIG_IGN);
            int out = fds[1];
            try {
                run_server(k, [out] { (void)!write(out, "R", 1); });
                (void)!write(out, "X", 1);
                _exit(0);
            } catch (const std::exception& e) {
                std::string msg = std::string("E") + e.what();
                (void)!write(out, msg.data(), msg.size());
                _exit(1);
            }
        }
        close(fds[1]);
        children_.push_back(pid);
        pollfd p{fds[0], POLLIN, 0};
        char buf[512] = {};
        ssize_t n = 0;
        if (poll(&p, 1, 3000) == 1) n = read(fds[0], buf, sizeof buf - 1);
        close(fds[0]);
        if (n > 0 && buf[0] == 'R') return pid;
        if (n <= 0)
            ADD_FAILURE() << msg("server_not_ready_in_time").with("seconds", 3);
        else if (buf[0] == 'X')
            ADD_FAILURE() << msg("server_returned_before_ready");
        else
            ADD_FAILURE() << msg("server_threw_before_ready").with("what", buf + 1);
        return -1;
    }

    // Waits for a child to exit: its wait status, or -1 if it still runs after `wait`.
    int wait_exit(pid_t pid, Clock::duration wait = kDeadline) {
        const auto deadline = Clock::now() + wait;
        for (;;) {
            int status = 0;
            if (waitpid(pid, &status, WNOHANG) == pid) {
                children_.erase(std::remove(children_.begin(), children_.end(), pid),
                                children_.end());
                return status;
            }
            if (Clock::now() >= deadline) return -1;
            pause_ms(1);
        }
    }

private:
    static constexpr auto kWatchdog = std::chrono::seconds(8);

    // Called with mutex_ held, or after the watchdog ended.
    void remove_queues() {
        for (key_t k : keys_) {
            int id = msgget(k, 0);
            if (id != -1) msgctl(id, IPC_RMID, nullptr);
        }
        for (int id : ids_) msgctl(id, IPC_RMID, nullptr);
    }

    std::thread watchdog_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool done_ = false;
    bool fired_ = false;
    std::vector<key_t> keys_;
    std::vector<int> ids_;
    std::vector<pid_t> children_;
};

// One line of a /proc file of the process `pid` (its thread of the same id), "" if none.
inline std::string proc_line(pid_t pid, const char* file) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/" + file);
    std::string line;
    std::getline(f, line);
    return line;
}

// Waits until the process `pid` -- the worker that runs the code under test (one thread: its
// tid is its pid; ipclab::remote::worker_pid() from the thread that calls the code) -- sleeps
// in msgrcv (state S in /proc, and msgrcv the call it sleeps in), or until `returned` says the
// call under test is over. Between calls the worker sleeps too, in read() on its socket: the
// state alone does not say that the call reached msgrcv. Returns false after `wait`.
inline bool wait_until_in_msgrcv(pid_t pid, const std::atomic<bool>& returned,
                                 Clock::duration wait = kDeadline) {
    const auto deadline = Clock::now() + wait;
    while (Clock::now() < deadline) {
        if (returned) return true;
        const std::string stat = proc_line(pid, "stat");
        auto close_paren = stat.rfind(')');
        if (close_paren != std::string::npos && close_paren + 2 < stat.size() &&
            stat[close_paren + 2] == 'S') {
#ifdef SYS_msgrcv
            // The number of the call it sleeps in ("running" while it runs).
            const std::string call = proc_line(pid, "syscall");
            if (call.empty() || call.compare(0, call.find(' '), std::to_string(SYS_msgrcv)) == 0) {
                return true;
            }
#else
            return true;
#endif
        }
        pause_ms(1);
    }
    return false;
}

// Waits until the process `pid` has taken signal `sig` (sent with kill: it is no longer
// pending, neither for the process nor for its thread). Returns false after `wait`.
inline bool wait_until_signal_taken(pid_t pid, int sig, Clock::duration wait = kDeadline) {
    const auto deadline = Clock::now() + wait;
    const unsigned long long bit = 1ull << (sig - 1);
    while (Clock::now() < deadline) {
        std::ifstream f("/proc/" + std::to_string(pid) + "/status");
        std::string line;
        bool pending = false;
        bool read = false;
        while (std::getline(f, line)) {
            if (line.rfind("SigPnd:", 0) == 0 || line.rfind("ShdPnd:", 0) == 0) {
                read = true;
                if (std::strtoull(line.c_str() + 7, nullptr, 16) & bit) pending = true;
            }
        }
        if (read && !pending) return true;
        pause_ms(1);
    }
    return false;
}

}  // namespace mqtest
