// The test program's side of lab/include/ipclab/remote.hpp: starting, watching and ending the
// worker that holds the student's code. Linked into unit-test programs only.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "ipclab/remote.hpp"
#include "ipclab/unit_message.hpp"

namespace ipclab::remote {

namespace {

// Nothing in the sandbox may read or write this process's memory or descriptors: not a
// worker (its child, the same uid), not a daemon a worker left. A process that is not
// dumpable can be traced, and its /proc/PID/mem and fd/ opened, only with CAP_SYS_PTRACE,
// which no sandboxed process has.
const bool sealed = [] {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    return true;
}();

// The worker program: $IPCLAB_WORKER (the grader's, built apart from this program), else
// the one beside this program: BUILD/tests/01-ftok-unit -> BUILD/tests/01-ftok-worker.
std::string worker_path() {
    if (const char* p = std::getenv("IPCLAB_WORKER"); p != nullptr && *p != '\0') return p;
    char self[PATH_MAX] = {};
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    std::string exe = n > 0 ? std::string(self, static_cast<std::size_t>(n)) : std::string();
    for (const char* suffix : {"-unit", "-hidden"}) {
        std::size_t len = std::strlen(suffix);
        if (exe.size() > len && exe.compare(exe.size() - len, len, suffix) == 0) {
            return exe.substr(0, exe.size() - len) + "-worker";
        }
    }
    return exe + "-worker";
}

struct Worker {
    pid_t owner = 0;  // the process this worker belongs to (a forked child gets its own)
    pid_t pid = -1;
    int fd = -1;
    Channel channel{-1};
    std::string ended;  // how the last one ended, once reaped

    ~Worker() { stop(); }

    void start() {
        (void)sealed;
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
            throw std::system_error(errno, std::generic_category(), "socketpair");
        }
        const std::string path = worker_path();
        const pid_t parent = getpid();
        pid_t child = fork();
        if (child == -1) {
            int err = errno;
            close(sv[0]);
            close(sv[1]);
            throw std::system_error(err, std::generic_category(), "fork (the code's process)");
        }
        if (child == 0) {
            // Only async-signal-safe calls: the test program may have threads.
            prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
            if (getppid() != parent) _exit(127);
            int null = open("/dev/null", O_RDWR);
            dup2(null, 0);
            dup2(null, 1);
            dup2(null, 2);
            dup2(sv[1], 3);  // dup2 clears close-on-exec on fd 3
            syscall(SYS_close_range, 4u, ~0u, 0u);
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, nullptr);
            char* const argv[] = {const_cast<char*>(path.c_str()), nullptr};
            execv(path.c_str(), argv);
            _exit(127);
        }
        close(sv[1]);
        owner = getpid();
        pid = child;
        fd = sv[0];
        channel = Channel(fd);
        ended.clear();
    }

    void stop() {
        if (fd >= 0) close(fd);
        fd = -1;
        if (pid > 0 && owner == getpid()) {
            kill(pid, SIGKILL);
            int status = 0;
            while (waitpid(pid, &status, 0) == -1 && errno == EINTR) {}
        }
        pid = -1;
    }

    // The worker is gone: reap it and say how it ended.
    std::string reap() {
        if (fd >= 0) close(fd);
        fd = -1;
        std::string how = "ended";
        if (pid > 0 && owner == getpid()) {
            int status = 0;
            pid_t r;
            while ((r = waitpid(pid, &status, 0)) == -1 && errno == EINTR) {}
            if (r == pid && WIFEXITED(status)) {
                how = "exit " + std::to_string(WEXITSTATUS(status));
            } else if (r == pid && WIFSIGNALED(status)) {
                const char* name = sigabbrev_np(WTERMSIG(status));
                how = std::string("SIG") +
                      (name != nullptr ? name : std::to_string(WTERMSIG(status)).c_str());
            }
        }
        pid = -1;
        return how;
    }
};

thread_local Worker worker;

Worker& current() {
    if (worker.owner != getpid()) {
        // Inherited from the parent by fork: its worker is the parent's, not ours.
        if (worker.fd >= 0) close(worker.fd);
        worker.fd = -1;
        worker.pid = -1;
        worker.owner = getpid();
    }
    if (worker.fd < 0) worker.start();
    return worker;
}

}  // namespace

Channel& test_channel() { return current().channel; }

pid_t worker_pid() { return current().pid; }

void end_worker() {
    if (worker.owner == getpid()) worker.stop();
}

void worker_ended(const char* function) {
    std::string how = worker.reap();
    ADD_FAILURE()
        << ::ipclab::testing::msg("worker_ended").with("function", function).with("how", how);
    throw WorkerEnded{how, function};
}

void worker_ignore_signal_interrupting(int sig) {
    Call<void(int)>::run("__ipclab.interrupt_on", sig);
}

}  // namespace ipclab::remote
