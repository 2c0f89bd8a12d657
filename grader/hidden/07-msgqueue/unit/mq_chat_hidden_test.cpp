// Hidden unit tests of 07-msgqueue (grading only): exact sizes on receive, malformed requests,
// EINTR and EIDRM while waiting, the queue removed when the server fails.
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "ipclab/remote.hpp"
#include "test/mq_testing.hpp"

using ipclab::testing::errno_name;
using ipclab::testing::msg;
using mqtest::QueueTest;

namespace {

// Ends a helper thread however the call under test ends (a SysError, another exception, or
// ipclab::remote::WorkerEnded when the worker died): says the call is over, then joins it.
class JoinWhenOver {
public:
    JoinWhenOver(std::thread& helper, std::atomic<bool>& returned)
        : helper_(helper), returned_(returned) {}
    ~JoinWhenOver() { now(); }
    void now() {
        returned_ = true;
        if (helper_.joinable()) helper_.join();
    }

private:
    std::thread& helper_;
    std::atomic<bool>& returned_;
};

}  // namespace

class MqHidden : public QueueTest {};

// A request larger than kRequestSize makes msgrcv fail with E2BIG: the server's size is exact.
TEST_F(MqHidden, OversizedRequestIsMsgrcvE2big) {
    int id = make_queue(qkey());
    send_raw(id, kRequestType, mqtest::request_bytes(777, "grande") + std::string(8, '\0'));
    Request req{};
    try {
        bool ok = receive_request(id, req);
        ADD_FAILURE() << msg("oversized_request_taken")
                             .with("size", kRequestSize + 8)
                             .with("returned", ok ? "true" : "false")
                             .with("want", kRequestSize);
    } catch (const ipclab::SysError& e) {
        ipclab::testing::expect_syserror_is(e, "msgrcv", E2BIG);
    }
}

// Requests that cannot be answered (too short, pid <= 0) make receive_request return false.
TEST_F(MqHidden, MalformedRequestsAreRejected) {
    int id = make_queue(qkey());
    send_raw(id, kRequestType, std::string("\x05\x00\x00\x00hi", 6));
    send_raw(id, kRequestType, mqtest::request_bytes(0, "pid cero"));
    send_raw(id, kRequestType, mqtest::request_bytes(-5, "pid negativo"));
    // The three requests as sent, in queue order: bytes after mtype and the pid they carry.
    struct Sent {
        std::size_t size;
        int pid;
    };
    for (const Sent& sent : {Sent{6, 5}, Sent{kRequestSize, 0}, Sent{kRequestSize, -5}}) {
        Request req{};
        EXPECT_FALSE(receive_request(id, req)) << msg("malformed_request_accepted")
                                                      .with("size", sent.size)
                                                      .with("pid", sent.pid)
                                                      .with("want", kRequestSize);
    }
}

// The longest text, 255 bytes, goes through unchanged.
TEST_F(MqHidden, LongestTextGoesThrough) {
    int id = make_queue(qkey());
    const std::string text(kTextMax - 1, 'a');
    send_request(id, 31337, text);
    Request req{};
    ASSERT_TRUE(receive_request(id, req)) << msg("longest_request_rejected");
    const std::string got = req.text;
    EXPECT_EQ(got, text) << msg("longest_request_text_cut").with("got", got.size());
    send_reply(id, 31337, std::string(kTextMax - 1, 'A'));
    auto m = receive_raw(id, 31337);
    ASSERT_TRUE(m) << msg("no_reply_of_the_pid").with("pid", 31337);
    const std::string reply = mqtest::text_at(m->data, 0);
    EXPECT_EQ(reply, std::string(kTextMax - 1, 'A'))
        << msg("longest_reply_text_cut").with("got", reply.size());
}

// A signal while receive_reply waits (EINTR) is not an error: the call is repeated.
TEST_F(MqHidden, ReceiveReplyRetriesAfterEintr) {
    int id = make_queue(qkey());
    // receive_reply runs in this thread's worker: the signal goes there, and so does a SIGUSR1
    // handler without SA_RESTART (so a blocked msgrcv returns EINTR; by default SIGUSR1 kills).
    ipclab::remote::worker_ignore_signal_interrupting(SIGUSR1);
    const pid_t waiter = ipclab::remote::worker_pid();
    std::atomic<bool> returned{false};
    std::atomic<bool> signalled{false};
    std::thread helper([&] {
        if (!mqtest::wait_until_in_msgrcv(waiter, returned)) return;
        kill(waiter, SIGUSR1);
        signalled = mqtest::wait_until_signal_taken(waiter, SIGUSR1);
        mqtest::wait_until_in_msgrcv(waiter, returned);
        send_raw(id, 4242, std::string("TARDE") + std::string(kReplySize - 5, '\0'));
    });
    JoinWhenOver over(helper, returned);
    std::string got;
    try {
        got = receive_reply(id, 4242);
    } catch (const ipclab::SysError& e) {
        if (e.error() == EINTR) {
            ADD_FAILURE() << msg("eintr_not_retried").with("call", e.call());
        } else {
            ADD_FAILURE() << msg("call_failed")
                                 .with("function", "receive_reply")
                                 .with("call", e.call())
                                 .with("error", errno_name(e.error()));
        }
    }
    over.now();
    EXPECT_TRUE(signalled) << msg("signal_not_delivered");
    if (!got.empty()) {
        EXPECT_EQ(got, "TARDE") << msg("reply_after_eintr_wrong").with("got", got);
    }
}

// The queue removed while a client waits: msgrcv fails with EIDRM, reported as "msgrcv".
TEST_F(MqHidden, QueueRemovedWhileWaitingIsMsgrcvEidrm) {
    int id = make_queue(qkey());
    // receive_reply runs in this thread's worker: the queue goes once it waits there.
    const pid_t waiter = ipclab::remote::worker_pid();
    std::atomic<bool> returned{false};
    std::thread helper([&] {
        mqtest::wait_until_in_msgrcv(waiter, returned);
        msgctl(id, IPC_RMID, nullptr);
    });
    JoinWhenOver over(helper, returned);
    try {
        std::string got = receive_reply(id, 4242);
        ADD_FAILURE() << msg("returned_after_queue_removed").with("got", got);
    } catch (const ipclab::SysError& e) {
        ipclab::testing::expect_syserror_is(e, "msgrcv", EIDRM);
    }
    over.now();
}

// When something fails after the queue exists, run_server still removes it.
TEST_F(MqHidden, ServerRemovesItsQueueWhenSomethingThrows) {
    key_t k = qkey();
    bool ready = false;
    try {
        run_server(k, [&] {
            ready = true;
            throw std::runtime_error("stopped by the test");
        });
    } catch (const std::runtime_error&) {}
    ASSERT_TRUE(ready) << msg("server_returned_before_ready");
    EXPECT_EQ(msgget(k, 0), -1) << msg("queue_left_after_exception");
}

// After "quit" the server waits for the "bye" to be taken before removing the queue.
TEST_F(MqHidden, ByeIsNotDestroyedWithTheQueue) {
    key_t k = qkey();
    pid_t server = start_server(k);
    ASSERT_NE(server, -1);
    int id = msgget(k, 0);
    ASSERT_NE(id, -1) << msg("no_queue_after_ready");
    send_raw(id, kRequestType, mqtest::request_bytes(1003, "quit"));
    // The client is slow: it looks for its reply only once the server has taken the request.
    mqtest::pause_ms(50);
    auto bye = receive_raw(id, 1003, mqtest::kDeadline);
    EXPECT_TRUE(bye) << msg("bye_lost");
    EXPECT_NE(wait_exit(server), -1) << msg("server_did_not_return");
}
