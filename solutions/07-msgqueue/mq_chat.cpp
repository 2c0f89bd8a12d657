// 07-msgqueue — reference solution.
#include "mq_chat.hpp"

#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "ipclab/error.hpp"

namespace {

// Copies text into a fixed array, always NUL-terminated; the rest stays zero so that no
// stack garbage travels in the message.
void copy_text(char (&dst)[kTextMax], const std::string& text) {
    std::memset(dst, 0, kTextMax);
    std::memcpy(dst, text.data(), std::min(text.size(), kTextMax - 1));
}

// The server's queue. The destructor removes it, so a failure while serving cannot leave it
// behind; remove() is the normal end and reports a failing msgctl.
class OwnedQueue {
public:
    explicit OwnedQueue(key_t key) : id_(msgget(key, IPC_CREAT | IPC_EXCL | 0600)) {
        // IPC_EXCL: a second server must not silently share (and later remove) the first's queue.
        if (id_ == -1) throw ipclab::SysError("msgget");
    }
    OwnedQueue(const OwnedQueue&) = delete;
    OwnedQueue& operator=(const OwnedQueue&) = delete;
    ~OwnedQueue() {
        if (id_ != -1) msgctl(id_, IPC_RMID, nullptr);
    }

    int id() const { return id_; }

    void remove() {
        int id = id_;
        id_ = -1;
        if (msgctl(id, IPC_RMID, nullptr) == -1) throw ipclab::SysError("msgctl");
    }

private:
    int id_;
};

// ASCII only: a-z become A-Z, every other byte (UTF-8's >= 0x80 included) stays, whatever the
// locale (std::toupper with the environment's locale, or towupper, would change "ñ").
std::string upper(std::string text) {
    for (char& c : text) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return text;
}

}  // namespace

void send_request(int msqid, pid_t pid, const std::string& text) {
    Request req{};
    req.mtype = kRequestType;  // > 0: msgsnd refuses mtype 0
    req.pid = pid;
    copy_text(req.text, text);
    // The size counts what follows mtype only.
    while (msgsnd(msqid, &req, kRequestSize, 0) == -1) {
        if (errno != EINTR) throw ipclab::SysError("msgsnd");
    }
}

std::string receive_reply(int msqid, pid_t pid) {
    Reply reply{};
    // msgtyp = pid: only the reply addressed to this client, whatever else waits in the queue.
    while (msgrcv(msqid, &reply, kReplySize, pid, 0) == -1) {
        if (errno != EINTR) throw ipclab::SysError("msgrcv");
    }
    reply.text[kTextMax - 1] = '\0';  // never trust the sender to have terminated it
    return reply.text;
}

std::string ask(key_t key, const std::string& text) {
    // No IPC_CREAT: without a server there must be an error, not a queue nobody reads.
    int msqid = msgget(key, 0);
    if (msqid == -1) throw ipclab::SysError("msgget");
    const pid_t me = getpid();
    send_request(msqid, me, text);
    return receive_reply(msqid, me);
}

bool receive_request(int msqid, Request& req) {
    req = Request{};
    ssize_t n;
    while ((n = msgrcv(msqid, &req, kRequestSize, kRequestType, 0)) == -1) {
        if (errno != EINTR) throw ipclab::SysError("msgrcv");
    }
    req.text[kTextMax - 1] = '\0';
    // A reply needs mtype = pid > 0; a short message has no trustworthy pid.
    return static_cast<std::size_t>(n) == kRequestSize && req.pid > 0;
}

void send_reply(int msqid, pid_t pid, const std::string& text) {
    Reply reply{};
    reply.mtype = pid;  // addressed to that client: it receives with msgtyp = its pid
    copy_text(reply.text, text);
    while (msgsnd(msqid, &reply, kReplySize, 0) == -1) {
        if (errno != EINTR) throw ipclab::SysError("msgsnd");
    }
}

void run_server(key_t key, const std::function<void()>& ready) {
    OwnedQueue queue(key);
    ready();
    for (;;) {
        Request req;
        if (!receive_request(queue.id(), req)) continue;
        const std::string text = req.text;
        if (text == "quit") {
            send_reply(queue.id(), req.pid, "bye");
            break;
        }
        send_reply(queue.id(), req.pid, upper(text));
    }
    // Removing the queue now would destroy a "bye" not yet received (the client: EIDRM). At
    // most 2 s: a client that never takes it must not keep the server (and its queue) alive.
    wait_until_taken(queue.id());
    queue.remove();
}
