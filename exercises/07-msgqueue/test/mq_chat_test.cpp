// Visible unit tests of 07-msgqueue: the client's and the server's functions called in-process
// (the server's loop in a child process), against messages the test sends and receives itself.
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>

#include "test/mq_testing.hpp"

using mqtest::Message;
using mqtest::QueueTest;

namespace {

// Thrown from ready() to stop run_server right after it created its queue.
struct StopServer : std::runtime_error {
    StopServer() : std::runtime_error("stopped by the test") {}
};

// What a failed msgsnd most likely means, in words.
std::string why_msgsnd_failed(const ipclab::SysError& e) {
    if (e.error() == EINVAL) {
        return std::string(e.what()) + ": msgsnd refuses mtype 0 (EINVAL); a request has mtype 1 "
               "(kRequestType), a reply the client's pid";
    }
    return e.what();
}

}  // namespace

class MqRequest : public QueueTest {};

// A request carries mtype 1, the client's pid and its text.
TEST_F(MqRequest, SendRequestHasType1ThePidAndTheText) {
    int id = make_queue(qkey());
    try {
        send_request(id, 4242, "hola");
    } catch (const ipclab::SysError& e) {
        FAIL() << "send_request failed with " << why_msgsnd_failed(e);
    }
    auto m = receive_raw(id, 0);
    ASSERT_TRUE(m) << "send_request put no message in the queue: call msgsnd";
    EXPECT_EQ(m->mtype, kRequestType)
        << "the request has mtype " << m->mtype << "; requests have mtype 1 (kRequestType), the type the server receives";
    pid_t pid = 0;
    if (m->data.size() >= sizeof(pid_t)) std::memcpy(&pid, m->data.data(), sizeof(pid_t));
    EXPECT_EQ(pid, 4242) << "the request's pid field is not the pid given: the server answers to that pid";
    EXPECT_EQ(mqtest::text_at(m->data, offsetof(Request, text) - sizeof(long)), "hola")
        << "the request's text is not the text given (copied into req.text, NUL-terminated)";
}

// msgsnd's size counts only what follows mtype: kRequestSize, not sizeof(Request).
TEST_F(MqRequest, SendRequestSizeCountsOnlyWhatFollowsMtype) {
    int id = make_queue(qkey());
    try {
        send_request(id, 4242, "hola");
    } catch (const ipclab::SysError& e) {
        FAIL() << "send_request failed with " << why_msgsnd_failed(e);
    }
    auto m = receive_raw(id, 0);
    ASSERT_TRUE(m) << "send_request put no message in the queue: call msgsnd";
    EXPECT_EQ(m->data.size(), kRequestSize)
        << "the request measures " << m->data.size() << " bytes and must measure kRequestSize = "
        << kRequestSize << ": msgsnd's size counts only what follows mtype"
        << (m->data.size() == sizeof(Request) ? " (you passed sizeof(Request), the whole struct, "
                                                "counting the long mtype)" : "");
}

// receive_request takes only requests (mtype 1); messages of other types stay in the queue.
TEST_F(MqRequest, ReceiveRequestTakesOnlyRequests) {
    int id = make_queue(qkey());
    send_raw(id, 5555, std::string(kReplySize, 'x'));
    send_raw(id, kRequestType, mqtest::request_bytes(777, "que tal"));
    Request req{};
    bool ok = false;
    try {
        ok = receive_request(id, req);
    } catch (const ipclab::SysError& e) {
        FAIL() << "receive_request failed with " << e.what()
               << (e.error() == E2BIG ? ": msgrcv got a message larger than the size given; "
                                        "receive requests with msgtyp = kRequestType (1)" : "");
    }
    EXPECT_TRUE(ok) << "receive_request returned false for a well-formed request of kRequestSize bytes";
    EXPECT_EQ(req.pid, 777) << "the request received is not the one of type 1: call msgrcv with "
                               "msgtyp = kRequestType (1), not 0";
    EXPECT_STREQ(req.text, "que tal");
    EXPECT_EQ(count(id), 1) << "the message of type 5555 (a reply for some client) must stay in the "
                               "queue: the server receives only mtype 1";
}

class MqReply : public QueueTest {};

// A reply is addressed to the client: mtype = its pid, kReplySize bytes, the text.
TEST_F(MqReply, SendReplyIsAddressedToThePid) {
    int id = make_queue(qkey());
    try {
        send_reply(id, 4242, "HOLA");
    } catch (const ipclab::SysError& e) {
        FAIL() << "send_reply failed with " << why_msgsnd_failed(e);
    }
    auto m = receive_raw(id, 0);
    ASSERT_TRUE(m) << "send_reply put no message in the queue: call msgsnd";
    EXPECT_EQ(m->mtype, 4242) << "the reply has mtype " << m->mtype
                              << " and must have mtype = the client's pid (4242): the client waits "
                                 "with msgtyp = its pid"
                              << (m->mtype == 1 ? "; with mtype 1 it goes back to the server as "
                                                  "if it were a request" : "");
    EXPECT_EQ(m->data.size(), kReplySize)
        << "the reply measures " << m->data.size() << " bytes and must measure kReplySize = "
        << kReplySize << ": msgsnd's size counts only what follows mtype"
        << (m->data.size() == sizeof(Reply) ? " (you passed sizeof(Reply), counting the long mtype)" : "");
    EXPECT_EQ(mqtest::text_at(m->data, 0), "HOLA") << "the reply's text is not the text given";
}

// receive_reply takes the reply of its own pid, not the first message in the queue.
TEST_F(MqReply, ReceiveReplyTakesOnlyItsOwn) {
    int id = make_queue(qkey());
    send_raw(id, 1111, std::string("OTRO") + std::string(kReplySize - 4, '\0'));
    send_raw(id, 2222, std::string("MIO") + std::string(kReplySize - 3, '\0'));
    std::string got;
    try {
        got = receive_reply(id, 2222);
    } catch (const ipclab::SysError& e) {
        FAIL() << "receive_reply failed with " << e.what();
    }
    EXPECT_EQ(got, "MIO") << "receive_reply(id, 2222) returned \"" << got
                          << "\", another client's answer: receive with msgtyp = pid, not 0 (0 "
                             "takes whatever message comes first)";
    EXPECT_EQ(count(id), 1) << "the reply for 1111 must stay in the queue for its client";
}

class MqClient : public QueueTest {};

// Without a server there is no queue: msgget ENOENT, and the client does not create one.
TEST_F(MqClient, AskWithoutServerIsMsggetEnoent) {
    key_t k = qkey();
    EXPECT_SYSERROR(ask(k, "hola"), "msgget", ENOENT);
    EXPECT_EQ(msgget(k, 0), -1)
        << "ask created a queue: the client finds the server's queue with msgget(key, 0), "
           "without IPC_CREAT";
}

// ask sends its own pid and returns the reply addressed to it, not another one.
TEST_F(MqClient, AskSendsItsPidAndReturnsItsOwnReply) {
    key_t k = qkey();
    int id = make_queue(k);
    const pid_t me = getpid();
    // Replies waiting already: one for another client first, then this process's.
    send_raw(id, me + 1, std::string("AJENA") + std::string(kReplySize - 5, '\0'));
    send_raw(id, me, std::string("PROPIA") + std::string(kReplySize - 6, '\0'));
    std::string got;
    try {
        got = ask(k, "propia");
    } catch (const ipclab::SysError& e) {
        FAIL() << "ask failed with " << why_msgsnd_failed(e);
    }
    EXPECT_EQ(got, "PROPIA") << "ask returned \"" << got << "\" and not the reply of type getpid(): "
                                "receive with msgtyp = getpid(), not 0";
    auto m = receive_raw(id, kRequestType);
    ASSERT_TRUE(m) << "ask sent no request of mtype 1 (kRequestType)";
    pid_t pid = 0;
    std::memcpy(&pid, m->data.data(), sizeof(pid_t));
    EXPECT_EQ(pid, me) << "the request must carry the client's own pid (getpid())";
    EXPECT_EQ(m->data.size(), kRequestSize) << "the request measures " << m->data.size()
                                            << " bytes, not kRequestSize = " << kRequestSize;
}

class MqServer : public QueueTest {};

// The server's queue is new (IPC_EXCL) and has mode 0600.
TEST_F(MqServer, CreatesItsQueueWithMode0600) {
    key_t k = qkey();
    unsigned mode = 0;
    bool ready = false;
    try {
        run_server(k, [&] {
            ready = true;
            msqid_ds ds{};
            int id = msgget(k, 0);
            if (id != -1 && msgctl(id, IPC_STAT, &ds) == 0) mode = ds.msg_perm.mode & 0777;
            throw StopServer();
        });
    } catch (const StopServer&) {
    } catch (const ipclab::SysError& e) {
        FAIL() << "run_server failed with " << e.what();
    }
    ASSERT_TRUE(ready) << "run_server returned without creating its queue and calling ready()";
    EXPECT_EQ(mode, 0600u) << "the queue was created with mode 0" << std::oct << mode
                           << "; create it with 0600 (IPC_CREAT | IPC_EXCL | 0600), never 0666 or 0777";
}

// A second server on the same key fails with msgget EEXIST instead of sharing the queue.
TEST_F(MqServer, SecondServerIsMsggetEexist) {
    key_t k = qkey();
    int id = make_queue(k);
    send_raw(id, 9999, "keep");
    bool served = false;
    try {
        run_server(k, [&] {
            served = true;
            throw StopServer();
        });
        ADD_FAILURE() << "run_server returned normally although a queue with its key exists: "
                         "create it with IPC_CREAT | IPC_EXCL and throw ipclab::SysError(\"msgget\")";
    } catch (const StopServer&) {
    } catch (const ipclab::SysError& e) {
        EXPECT_EQ(e.call(), "msgget");
        EXPECT_EQ(e.error(), EEXIST) << "expected File exists, got " << std::strerror(e.error());
    }
    EXPECT_FALSE(served) << "run_server started serving on another server's queue: use IPC_EXCL "
                            "so that msgget fails with EEXIST";
    EXPECT_EQ(count(id), 1) << "the existing queue must stay untouched";
}

// The server answers each client in upper case with mtype = its pid; "quit" gets "bye", then
// the server removes its queue and returns.
TEST_F(MqServer, AnswersEachPidThenQuitRemovesTheQueue) {
    key_t k = qkey();
    std::string why;
    pid_t server = start_server(k, why);
    ASSERT_NE(server, -1) << why;
    int id = msgget(k, 0);
    ASSERT_NE(id, -1) << "run_server called ready() but there is no queue with its key";
    send_raw(id, kRequestType, mqtest::request_bytes(1001, "hola"));
    send_raw(id, kRequestType, mqtest::request_bytes(1002, "Mundo 7!"));
    auto second = receive_raw(id, 1002, mqtest::kDeadline);
    auto first = receive_raw(id, 1001, mqtest::kDeadline);
    ASSERT_TRUE(first && second)
        << "no reply of mtype 1001/1002 (the pids in the requests) within 3 s: answer each request "
           "with mtype = req.pid (a reply of mtype 1 goes back to the server itself)";
    EXPECT_EQ(mqtest::text_at(first->data, 0), "HOLA") << "the reply must be the text in upper case";
    EXPECT_EQ(mqtest::text_at(second->data, 0), "MUNDO 7!")
        << "the reply must be the text in upper case (other bytes unchanged)";
    EXPECT_EQ(first->data.size(), kReplySize) << "a reply measures kReplySize bytes, not sizeof(Reply)";

    send_raw(id, kRequestType, mqtest::request_bytes(1003, "quit"));
    auto bye = receive_raw(id, 1003, mqtest::kDeadline);
    ASSERT_TRUE(bye) << "no reply to \"quit\" within 3 s"
                     << (msgget(k, 0) == -1 ? ": the queue is gone, removed before the \"bye\" was "
                                              "taken; call wait_until_taken(id) before IPC_RMID" : "");
    EXPECT_EQ(mqtest::text_at(bye->data, 0), "bye") << "\"quit\" is answered \"bye\"";
    int status = wait_exit(server);
    ASSERT_NE(status, -1) << "run_server did not return within 3 s after answering \"quit\"";
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "run_server threw after \"quit\" instead of returning";
    EXPECT_EQ(msgget(k, 0), -1) << "the queue is still there after \"quit\": remove it with "
                                   "msgctl(id, IPC_RMID, nullptr) (nothing else will)";
}
