// The harness's hands inside a sandbox.
//
// Runs as the sandbox's first process after bubblewrap's init, as the student's uid, and does
// what a check asks over a Unix socket (fd argv[1]): start student programs (passing their
// pipes back to the trusted side), report their exits, read /proc/sysvipc, prepare IPC objects.
//
// Protocol: one JSON object per line each way. A request {"id", "op", ...} gets exactly one
// reply {"id", "ok", ...}; "spawn" replies carry three file descriptors (stdin, stdout,
// stderr) as SCM_RIGHTS. Unrequested {"event": "exit", "pid", "status", "cpu", "stopped"} lines
// report exits ("stopped": killed because it stopped, see reap); {"event": "ready", "pid"} comes
// first.
//
// Written in C++ rather than Python because it starts once per check: a Python interpreter
// and its imports cost ~30 ms per check, this costs ~1 ms. It runs as the student's uid, so
// it trusts nothing it reads from student programs and decides nothing: verdicts are made
// on the trusted side from what it reports.
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

using json = nlohmann::json;

namespace {

int sock = 3;
std::map<pid_t, bool> children;                 // programs started and not yet reported
std::set<pid_t> stopped_by_request;             // stopped by the trusted side (lab.stop_when)
std::set<pid_t> killed_stopped;                 // killed because they stopped on their own
std::map<int, std::pair<void*, size_t>> holds;  // attaches made by the harness itself
int next_hold = 1;
bool direct_mode = false;  // the fallback: no sandbox around us (see kill_descendants)

void kill_descendants();

// When the trusted side is gone (its grader was killed, or it closed the socket), nothing
// of the check may stay. In the sandbox, bubblewrap's init lives until its last child does,
// so the agent kills every process it can signal: the programs, daemons included. Then the
// init is alone, exits, and the namespaces die with it.
[[noreturn]] void trusted_side_gone() {
    if (direct_mode)
        kill_descendants();
    else
        kill(-1, SIGKILL);
    _exit(0);
}

union semun {  // the caller defines it (semctl(2))
    int val;
    struct semid_ds* buf;
    unsigned short* array;
};

json failure(const std::string& call, int err = errno) {
    return {{"ok", false}, {"error", call + ": " + std::strerror(err)}, {"errno", err}};
}

void send_json(const json& obj, const std::vector<int>& fds = {}) {
    std::string data = obj.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    size_t off = 0;
    if (!fds.empty()) {
        // The descriptors ride on the first byte of the line.
        iovec iov{data.data(), data.size()};
        std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
        ssize_t n;
        do n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0) trusted_side_gone();
        off = static_cast<size_t>(n);
    }
    while (off < data.size()) {
        ssize_t n = send(sock, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) trusted_side_gone();
        off += static_cast<size_t>(n);
    }
}

const std::map<std::string, int> kLimits = {{"cpu", RLIMIT_CPU},     {"as", RLIMIT_AS},
                                            {"nproc", RLIMIT_NPROC}, {"nofile", RLIMIT_NOFILE},
                                            {"fsize", RLIMIT_FSIZE}, {"core", RLIMIT_CORE}};

json spawn(const json& req, std::vector<int>& out_fds) {
    std::vector<std::string> argv_s = req.at("argv").get<std::vector<std::string>>();
    std::vector<std::string> env_s;
    const json env = req.value("env", json::object());  // named: items() does not extend lifetimes
    for (auto& [k, v] : env.items()) env_s.push_back(k + "=" + v.get<std::string>());
    std::vector<std::pair<int, rlim_t>> limits;
    const json requested = req.value("limits", json::object());
    for (auto& [k, v] : requested.items()) {
        auto it = kLimits.find(k);
        if (it == kLimits.end()) return {{"ok", false}, {"error", "unknown limit " + k}};
        limits.emplace_back(it->second, v.get<rlim_t>());
    }
    std::string cwd = req.value("cwd", std::string("/work"));
    std::vector<char*> argv, envp;
    for (auto& s : argv_s) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env_s) envp.push_back(s.data());
    envp.push_back(nullptr);

    int in[2], out[2], err[2], ex[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) ||
        pipe2(ex, O_CLOEXEC))
        return failure("pipe2");
    pid_t pid = fork();
    if (pid < 0) return failure("fork");
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        // Only stdio and the exec-error pipe (close-on-exec) survive into the program.
        for (int fd = 3; fd < 1024; ++fd)
            if (fd != ex[1]) close(fd);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        signal(SIGPIPE, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        int e = 0;
        for (auto& [res, value] : limits) {
            rlimit rl{value, value};
            if (setrlimit(res, &rl) != 0) {
                e = errno;
                break;
            }
        }
        if (!e && chdir(cwd.c_str()) != 0) e = errno;
        if (!e) {
            execve(argv[0], argv.data(), envp.data());
            e = errno;
        }
        ssize_t ignored = write(ex[1], &e, sizeof e);
        (void)ignored;
        _exit(127);
    }
    for (int fd : {in[0], out[1], err[1], ex[1]}) close(fd);
    int e = 0;
    ssize_t n;
    do n = read(ex[0], &e, sizeof e);
    while (n < 0 && errno == EINTR);
    close(ex[0]);
    if (n == static_cast<ssize_t>(sizeof e)) {
        waitpid(pid, nullptr, 0);
        for (int fd : {in[1], out[0], err[0]}) close(fd);
        return {{"ok", false}, {"error", "cannot start " + argv_s[0] + ": " + std::strerror(e)}};
    }
    children[pid] = true;
    out_fds = {in[1], out[0], err[0]};
    return {{"ok", true}, {"pid", pid}};
}

void reap() {
    for (;;) {
        int status;
        rusage ru{};
        pid_t pid = wait4(-1, &status, WNOHANG | WUNTRACED, &ru);
        if (pid <= 0) return;
        if (WIFSTOPPED(status)) {
            // Only the trusted side stops a program and goes on with it later. One stopped
            // otherwise (by itself, or by another program here) would do nothing until its
            // wall limit: it is killed now, and reported as killed.
            if (children.count(pid) && !stopped_by_request.count(pid) && kill(pid, SIGKILL) == 0)
                killed_stopped.insert(pid);
            continue;
        }
        stopped_by_request.erase(pid);
        bool stopped = killed_stopped.erase(pid) > 0;
        if (children.erase(pid)) {
            int code = WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
            double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
                         ru.ru_stime.tv_usec / 1e6;
            send_json({{"event", "exit"},
                       {"pid", pid},
                       {"status", code},
                       {"cpu", cpu},
                       {"stopped", stopped}});
        }
    }
}

std::vector<unsigned char> from_hex(const std::string& hex) {
    std::vector<unsigned char> out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<unsigned char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

std::string to_hex(const unsigned char* p, size_t n) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    s.reserve(2 * n);
    for (size_t i = 0; i < n; ++i) {
        s += digits[p[i] >> 4];
        s += digits[p[i] & 15];
    }
    return s;
}

json shm_create(const json& req) {
    int mode = req.value("mode", 0600) & 0777;
    auto data = from_hex(req.value("data", std::string()));
    const bool other_owner = req.contains("owner") && !req["owner"].is_null();
    // Content needs a read-write attach, and giving it away an IPC_STAT, so then create 0600,
    // write, then set the asked mode (0000 or 0060 included).
    int id = shmget(static_cast<key_t>(req.at("key").get<int64_t>()), req.at("size").get<size_t>(),
                    IPC_CREAT | IPC_EXCL | (data.empty() && !other_owner ? mode : 0600));
    if (id == -1) return failure("shmget");
    if (!data.empty()) {
        void* p = shmat(id, nullptr, 0);
        if (p == reinterpret_cast<void*>(-1)) return failure("shmat");
        std::memcpy(p, data.data(), data.size());
        shmdt(p);
    }
    // The asked mode (after writing), and maybe another owner: the creator may give its
    // segment to any user its namespace maps (IPC_SET), which is how "someone else's
    // segment" is prepared.
    if ((!data.empty() && mode != 0600) || other_owner) {
        shmid_ds ds{};
        if (shmctl(id, IPC_STAT, &ds) == -1) return failure("shmctl");
        ds.shm_perm.mode = mode;
        if (other_owner) {
            ds.shm_perm.uid = req["owner"].get<uid_t>();
            ds.shm_perm.gid = req["owner"].get<gid_t>();
        }
        if (shmctl(id, IPC_SET, &ds) == -1) return failure("shmctl");
    }
    return {{"ok", true}, {"shmid", id}};
}

json hold(const json& req) {
    int id = req.at("shmid");
    shmid_ds ds{};
    if (shmctl(id, IPC_STAT, &ds) == -1) return failure("shmctl");
    void* p = shmat(id, nullptr, req.value("readonly", false) ? SHM_RDONLY : 0);
    if (p == reinterpret_cast<void*>(-1)) return failure("shmat");
    // Not inherited by the programs the agent forks: a fork would count as an attach (atime,
    // lpid) and their execve as a detach (dtime, lpid) of a segment they never used.
    madvise(p, ds.shm_segsz, MADV_DONTFORK);
    holds[next_hold] = {p, ds.shm_segsz};
    return {{"ok", true}, {"handle", next_hold++}};
}

json read_shm(const json& req) {
    int id = req.at("shmid");
    size_t size = req.at("size"), offset = req.value("offset", 0);
    shmid_ds ds{};
    if (shmctl(id, IPC_STAT, &ds) == -1) return failure("shmctl");
    if (offset > ds.shm_segsz || size > ds.shm_segsz - offset)
        return {{"ok", false}, {"error", "read_shm: beyond the segment's size"}};
    void* p = shmat(id, nullptr, SHM_RDONLY);
    if (p == reinterpret_cast<void*>(-1)) return failure("shmat");
    std::string hex = to_hex(static_cast<unsigned char*>(p) + offset, size);
    shmdt(p);
    return {{"ok", true}, {"data", hex}};
}

json sem_create(const json& req) {
    std::vector<unsigned short> values = req.at("values").get<std::vector<unsigned short>>();
    int id =
        semget(static_cast<key_t>(req.at("key").get<int64_t>()), static_cast<int>(values.size()),
               IPC_CREAT | IPC_EXCL | (req.value("mode", 0600) & 0777));
    if (id == -1) return failure("semget");
    semun arg;
    arg.array = values.data();
    if (semctl(id, 0, SETALL, arg) == -1) return failure("semctl");
    return {{"ok", true}, {"semid", id}};
}

json sem_values(const json& req) {
    std::vector<unsigned short> values(req.at("nsems").get<size_t>());
    semun arg;
    arg.array = values.data();
    if (semctl(req.at("semid").get<int>(), 0, GETALL, arg) == -1) return failure("semctl");
    return {{"ok", true}, {"values", values}};
}

json sem_waiting(const json& req) {
    int id = req.at("semid"), num = req.at("num");
    int ncnt = semctl(id, num, GETNCNT);
    if (ncnt == -1) return failure("semctl");
    int zcnt = semctl(id, num, GETZCNT);
    if (zcnt == -1) return failure("semctl");
    return {{"ok", true}, {"ncnt", ncnt}, {"zcnt", zcnt}};
}

json msg_send(const json& req) {
    auto data = from_hex(req.at("data").get<std::string>());
    std::vector<unsigned char> buf(sizeof(long) + data.size());
    long mtype = req.at("mtype");
    std::memcpy(buf.data(), &mtype, sizeof mtype);
    std::memcpy(buf.data() + sizeof(long), data.data(), data.size());
    if (msgsnd(req.at("msqid").get<int>(), buf.data(), data.size(), IPC_NOWAIT) == -1)
        return failure("msgsnd");
    return {{"ok", true}};
}

json msg_receive(const json& req) {
    size_t size = req.value("max_size", 8192);
    std::vector<unsigned char> buf(sizeof(long) + size);
    ssize_t n =
        msgrcv(req.at("msqid").get<int>(), buf.data(), size, req.value("mtype", 0L), IPC_NOWAIT);
    if (n == -1) {
        if (errno == ENOMSG) return {{"ok", true}, {"message", nullptr}};
        return failure("msgrcv");
    }
    long mtype;
    std::memcpy(&mtype, buf.data(), sizeof mtype);
    return {{"ok", true},
            {"message", {mtype, to_hex(buf.data() + sizeof(long), static_cast<size_t>(n))}}};
}

json handle(const json& req, std::vector<int>& fds) {
    const std::string op = req.at("op");
    if (op == "spawn") return spawn(req, fds);
    if (op == "kill") {
        pid_t pid = req.at("pid").get<pid_t>();
        int sig = req.at("sig").get<int>();
        if (sig == SIGSTOP) stopped_by_request.insert(pid);
        if (sig == SIGCONT) stopped_by_request.erase(pid);
        kill(pid, sig);
        return {{"ok", true}};
    }
    if (op == "reset") {
        // Before a program whose output decides a verdict: nothing an earlier program left
        // (a daemon) may be alive to reach the new one before it seals itself.
        if (direct_mode)
            kill_descendants();
        else
            kill(-1, SIGKILL);  // every process here but init and the agent itself
        return {{"ok", true}};
    }
    if (op == "read") {
        const std::string path = req.at("path");
        if (path.rfind("/proc/sysvipc/", 0) != 0 || path.find("..") != std::string::npos)
            return {{"ok", false}, {"error", "only /proc/sysvipc can be read"}};
        std::ifstream f(path);
        if (!f) return failure("open " + path);
        std::stringstream text;
        text << f.rdbuf();
        return {{"ok", true}, {"text", text.str()}};
    }
    if (op == "stat") {
        struct stat st {};
        if (stat(req.at("path").get<std::string>().c_str(), &st) == -1) return failure("stat");
        return {{"ok", true}, {"ino", st.st_ino}, {"dev", st.st_dev}};
    }
    if (op == "shm_create") return shm_create(req);
    if (op == "hold") return hold(req);
    if (op == "release") {
        auto it = holds.find(req.at("handle").get<int>());
        if (it == holds.end()) return {{"ok", false}, {"error", "release: no such hold"}};
        shmdt(it->second.first);
        holds.erase(it);
        return {{"ok", true}};
    }
    if (op == "read_shm") return read_shm(req);
    if (op == "remove_shm")
        return shmctl(req.at("shmid").get<int>(), IPC_RMID, nullptr) == -1 ? failure("shmctl")
                                                                           : json{{"ok", true}};
    if (op == "sem_create") return sem_create(req);
    if (op == "sem_values") return sem_values(req);
    if (op == "sem_waiting") return sem_waiting(req);
    if (op == "remove_sem")
        return semctl(req.at("semid").get<int>(), 0, IPC_RMID) == -1 ? failure("semctl")
                                                                     : json{{"ok", true}};
    if (op == "msg_create") {
        int id = msgget(static_cast<key_t>(req.at("key").get<int64_t>()),
                        IPC_CREAT | IPC_EXCL | (req.value("mode", 0600) & 0777));
        return id == -1 ? failure("msgget") : json{{"ok", true}, {"msqid", id}};
    }
    if (op == "msg_send") return msg_send(req);
    if (op == "msg_receive") return msg_receive(req);
    if (op == "remove_msg")
        return msgctl(req.at("msqid").get<int>(), IPC_RMID, nullptr) == -1 ? failure("msgctl")
                                                                           : json{{"ok", true}};
    return {{"ok", false}, {"error", "unknown op " + op}};
}

// Without a PID namespace (the fallback mode) nothing kills the programs for us: as a child
// subreaper the agent inherits every orphan, daemons included, and kills them all at the end.
void kill_descendants() {
    for (;;) {
        bool any = false;
        if (DIR* d = opendir("/proc")) {
            while (dirent* e = readdir(d)) {
                pid_t pid = std::atoi(e->d_name);
                if (pid <= 0) continue;
                std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
                std::string line;
                std::getline(stat, line);
                size_t close_paren = line.rfind(')');
                if (close_paren == std::string::npos) continue;
                std::istringstream rest(line.substr(close_paren + 2));
                char state;
                pid_t ppid;
                if (rest >> state >> ppid && ppid == getpid()) {
                    kill(pid, SIGKILL);
                    any = true;
                }
            }
            closedir(d);
        }
        while (waitpid(-1, nullptr, WNOHANG) > 0) {}
        if (!any && waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD) return;
        if (!any) waitpid(-1, nullptr, 0);  // one is still dying: wait for it, then look again
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1) sock = std::atoi(argv[1]);
    direct_mode = argc > 2 && std::string(argv[2]) == "--direct";
    if (direct_mode) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    // Student programs run as this uid too: not dumpable means they cannot ptrace this process
    // or read its memory, so they cannot make the harness report what it did not see.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    signal(SIGPIPE, SIG_IGN);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, nullptr);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    fcntl(sock, F_SETFD, FD_CLOEXEC);

    send_json({{"event", "ready"}, {"pid", getpid()}});
    std::string buf;
    char chunk[65536];
    for (;;) {
        pollfd fds[2] = {{sock, POLLIN, 0}, {sfd, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return 1;
        }
        if (fds[1].revents) {
            signalfd_siginfo info;
            while (read(sfd, &info, sizeof info) > 0) {}
            reap();
        }
        if (fds[0].revents) {
            ssize_t n = recv(sock, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) trusted_side_gone();
            buf.append(chunk, static_cast<size_t>(n));
            size_t nl;
            while ((nl = buf.find('\n')) != std::string::npos) {
                std::string line = buf.substr(0, nl);
                buf.erase(0, nl + 1);
                json reply;
                std::vector<int> out_fds;
                json req;
                try {
                    req = json::parse(line);
                    reply = handle(req, out_fds);
                } catch (const std::exception& e) {
                    reply = {{"ok", false}, {"error", std::string("bad request: ") + e.what()}};
                }
                reply["id"] = req.is_object() && req.contains("id") ? req["id"] : json(nullptr);
                send_json(reply, out_fds);
                for (int fd : out_fds) close(fd);
            }
        }
        reap();
    }
}
