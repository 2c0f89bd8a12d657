// Visible unit tests of 07-msgqueue: the client's and the server's functions, called in the
// worker that runs the student's code (lab/include/ipclab/remote.hpp; the server's loop from a
// child process, which has a worker of its own), against messages the test sends and receives
// itself.
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>

#include "ipclab/remote.hpp"
#include "test/mq_testing.hpp"

using ipclab::testing::errno_name;
using ipclab::testing::msg;
using ipclab::testing::Msg;
using ipclab::testing::octal;
using mqtest::Message;
using mqtest::QueueTest;

namespace {

// Thrown from ready() to stop run_server right after it created its queue. ready() runs in the
// test program and run_server in the worker: an exception keeps its standard type across, not
// the test's own, so run_server sees (and the test catches back) a std::runtime_error with
// this text.
struct StopServer : std::runtime_error {
    StopServer() : std::runtime_error("stopped by the test") {}
};

bool is_stop_server(const std::runtime_error& e) {
    return std::string(e.what()) == StopServer().what();
}

// What a failed msgsnd most likely means, as the message that says it.
Msg why_msgsnd_failed(const char* function, const ipclab::SysError& e) {
    if (e.error() == EINVAL) {
        return msg("msgsnd_mtype_zero").with("function", function).with("call", e.call());
    }
    return msg("call_failed")
        .with("function", function)
        .with("call", e.call())
        .with("error", errno_name(e.error()));
}

// A request of the wrong size, and why when the size is the whole struct's.
Msg request_size_wrong(std::size_t got) {
    if (got == sizeof(Request)) {
        return msg("request_size_is_sizeof").with("got", got).with("want", kRequestSize);
    }
    return msg("request_wrong_size").with("got", got).with("want", kRequestSize);
}

// A reply of the wrong size, and why when the size is the whole struct's.
Msg reply_size_wrong(std::size_t got) {
    if (got == sizeof(Reply)) {
        return msg("reply_size_is_sizeof").with("got", got).with("want", kReplySize);
    }
    return msg("reply_wrong_size").with("got", got).with("want", kReplySize);
}

// A reply not addressed to `pid`, and where it goes when its mtype is 1.
Msg reply_mtype_wrong(long got, pid_t pid) {
    if (got == 1) return msg("reply_mtype_one").with("pid", pid);
    return msg("reply_wrong_mtype").with("got", got).with("pid", pid);
}

}  // namespace

class MqRequest : public QueueTest {};

// A request carries mtype 1, the client's pid and its text.
TEST_F(MqRequest, SendRequestHasType1ThePidAndTheText) {
    int id = make_queue(qkey());
    try {
        send_request(id, 4242, "hola");
    } catch (const ipclab::SysError& e) {
        FAIL() << why_msgsnd_failed("send_request", e);
    }
    auto m = receive_raw(id, 0);
    ASSERT_TRUE(m) << msg("nothing_sent").with("function", "send_request");
    EXPECT_EQ(m->mtype, kRequestType) << msg("request_wrong_mtype").with("got", m->mtype);
    pid_t pid = 0;
    if (m->data.size() >= sizeof(pid_t)) std::memcpy(&pid, m->data.data(), sizeof(pid_t));
    EXPECT_EQ(pid, 4242) << msg("request_wrong_pid").with("want", 4242).with("got", pid);
    const std::string text = mqtest::text_at(m->data, offsetof(Request, text) - sizeof(long));
    EXPECT_EQ(text, "hola") << msg("request_wrong_text").with("want", "hola").with("got", text);
}

// msgsnd's size counts only what follows mtype: kRequestSize, not sizeof(Request).
TEST_F(MqRequest, SendRequestSizeCountsOnlyWhatFollowsMtype) {
    int id = make_queue(qkey());
    try {
        send_request(id, 4242, "hola");
    } catch (const ipclab::SysError& e) {
        FAIL() << why_msgsnd_failed("send_request", e);
    }
    auto m = receive_raw(id, 0);
    ASSERT_TRUE(m) << msg("nothing_sent").with("function", "send_request");
    EXPECT_EQ(m->data.size(), kRequestSize) << request_size_wrong(m->data.size());
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
        if (e.error() == E2BIG) {
            FAIL() << msg("receive_request_e2big").with("call", e.call());
        } else {
            FAIL() << msg("call_failed")
                          .with("function", "receive_request")
                          .with("call", e.call())
                          .with("error", errno_name(e.error()));
        }
    }
    EXPECT_TRUE(ok) << msg("good_request_rejected").with("size", kRequestSize);
    EXPECT_EQ(req.pid, 777) << msg("received_not_a_request").with("want", 777).with("got", req.pid);
    EXPECT_STREQ(req.text, "que tal")
        << msg("received_wrong_text").with("want", "que tal").with("got", req.text);
    const long left = count(id);
    EXPECT_EQ(left, 1) << msg("server_took_a_reply").with("got", left);
}

class MqReply : public QueueTest {};

// A reply is addressed to the client: mtype = its pid, kReplySize bytes, the text.
TEST_F(MqReply, SendReplyIsAddressedToThePid) {
    int id = make_queue(qkey());
    try {
        send_reply(id, 4242, "HOLA");
    } catch (const ipclab::SysError& e) {
        FAIL() << why_msgsnd_failed("send_reply", e);
    }
    auto m = receive_raw(id, 0);
    ASSERT_TRUE(m) << msg("nothing_sent").with("function", "send_reply");
    EXPECT_EQ(m->mtype, 4242) << reply_mtype_wrong(m->mtype, 4242);
    EXPECT_EQ(m->data.size(), kReplySize) << reply_size_wrong(m->data.size());
    const std::string text = mqtest::text_at(m->data, 0);
    EXPECT_EQ(text, "HOLA") << msg("reply_wrong_text").with("want", "HOLA").with("got", text);
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
        FAIL() << msg("call_failed")
                      .with("function", "receive_reply")
                      .with("call", e.call())
                      .with("error", errno_name(e.error()));
    }
    EXPECT_EQ(got, "MIO") << msg("reply_of_another_pid").with("pid", 2222).with("got", got);
    const long left = count(id);
    EXPECT_EQ(left, 1) << msg("other_reply_taken").with("pid", 1111).with("got", left);
}

class MqClient : public QueueTest {};

// Without a server there is no queue: msgget ENOENT, and the client does not create one.
TEST_F(MqClient, AskWithoutServerIsMsggetEnoent) {
    key_t k = qkey();
    EXPECT_SYSERROR(ask(k, "hola"), "msgget", ENOENT);
    EXPECT_EQ(msgget(k, 0), -1) << msg("ask_created_queue");
}

// ask sends its own pid and returns the reply addressed to it, not another one.
TEST_F(MqClient, AskSendsItsPidAndReturnsItsOwnReply) {
    key_t k = qkey();
    int id = make_queue(k);
    // The client's pid is the one of the process that runs ask: the worker.
    const pid_t me = ipclab::remote::worker_pid();
    // Replies waiting already: one for another client first, then the client's.
    send_raw(id, me + 1, std::string("AJENA") + std::string(kReplySize - 5, '\0'));
    send_raw(id, me, std::string("PROPIA") + std::string(kReplySize - 6, '\0'));
    std::string got;
    try {
        got = ask(k, "propia");
    } catch (const ipclab::SysError& e) {
        FAIL() << why_msgsnd_failed("ask", e);
    }
    EXPECT_EQ(got, "PROPIA") << msg("ask_took_another_reply").with("got", got);
    auto m = receive_raw(id, kRequestType);
    ASSERT_TRUE(m) << msg("ask_sent_no_request");
    pid_t pid = 0;
    std::memcpy(&pid, m->data.data(), sizeof(pid_t));
    EXPECT_EQ(pid, me) << msg("ask_wrong_pid").with("want", me).with("got", pid);
    EXPECT_EQ(m->data.size(), kRequestSize) << request_size_wrong(m->data.size());
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
    } catch (const ipclab::SysError& e) {
        FAIL() << msg("call_failed")
                      .with("function", "run_server")
                      .with("call", e.call())
                      .with("error", errno_name(e.error()));
    } catch (const std::runtime_error& e) {
        if (!is_stop_server(e)) throw;
    }
    ASSERT_TRUE(ready) << msg("server_returned_before_ready");
    EXPECT_EQ(mode, 0600u) << msg("queue_wrong_mode").with("mode", octal(mode));
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
        ADD_FAILURE() << msg("second_server_returned");
    } catch (const ipclab::SysError& e) {
        ipclab::testing::expect_syserror_is(e, "msgget", EEXIST);
    } catch (const std::runtime_error& e) {
        if (!is_stop_server(e)) throw;
    }
    EXPECT_FALSE(served) << msg("served_on_existing_queue");
    const long left = count(id);
    if (left == -1) {
        ADD_FAILURE() << msg("existing_queue_removed");
    } else {
        EXPECT_EQ(left, 1) << msg("existing_queue_changed").with("got", left);
    }
}

// The server answers each client in upper case with mtype = its pid; "quit" gets "bye", then
// the server removes its queue and returns.
TEST_F(MqServer, AnswersEachPidThenQuitRemovesTheQueue) {
    key_t k = qkey();
    pid_t server = start_server(k);
    ASSERT_NE(server, -1);
    int id = msgget(k, 0);
    ASSERT_NE(id, -1) << msg("no_queue_after_ready");
    send_raw(id, kRequestType, mqtest::request_bytes(1001, "hola"));
    send_raw(id, kRequestType, mqtest::request_bytes(1002, "Mundo 7!"));
    auto second = receive_raw(id, 1002, mqtest::kDeadline);
    auto first = receive_raw(id, 1001, mqtest::kDeadline);
    ASSERT_TRUE(first && second) << msg("no_replies_to_pids");
    const std::string first_text = mqtest::text_at(first->data, 0);
    EXPECT_EQ(first_text, "HOLA")
        << msg("reply_not_upper_case").with("want", "HOLA").with("got", first_text);
    const std::string second_text = mqtest::text_at(second->data, 0);
    EXPECT_EQ(second_text, "MUNDO 7!")
        << msg("reply_not_upper_case").with("want", "MUNDO 7!").with("got", second_text);
    EXPECT_EQ(first->data.size(), kReplySize) << reply_size_wrong(first->data.size());

    send_raw(id, kRequestType, mqtest::request_bytes(1003, "quit"));
    auto bye = receive_raw(id, 1003, mqtest::kDeadline);
    if (!bye) {
        if (msgget(k, 0) == -1) {
            FAIL() << msg("bye_removed_with_queue");
        } else {
            FAIL() << msg("no_bye");
        }
    }
    const std::string bye_text = mqtest::text_at(bye->data, 0);
    EXPECT_EQ(bye_text, "bye") << msg("quit_not_answered_bye").with("got", bye_text);
    int status = wait_exit(server);
    ASSERT_NE(status, -1) << msg("server_did_not_return");
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << msg("server_threw_after_quit");
    EXPECT_EQ(msgget(k, 0), -1) << msg("queue_left_after_quit");
}
