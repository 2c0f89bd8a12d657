// Hidden unit tests of 07-msgqueue (grading only): exact sizes on receive, malformed requests,
// EINTR and EIDRM while waiting, the queue removed when the server fails.
#include <pthread.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "test/mq_testing.hpp"

using mqtest::QueueTest;

namespace {

std::atomic<bool> g_signalled{false};
void on_signal(int) { g_signalled = true; }

// Installs a SIGUSR1 handler without SA_RESTART (so a blocked msgrcv returns EINTR), and
// restores the old one on destruction.
class InterruptingHandler {
public:
    InterruptingHandler() {
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        sigaction(SIGUSR1, &sa, &old_);
        g_signalled = false;
    }
    ~InterruptingHandler() { sigaction(SIGUSR1, &old_, nullptr); }

private:
    struct sigaction old_ {};
};

pid_t this_thread_id() { return static_cast<pid_t>(syscall(SYS_gettid)); }

}  // namespace

class MqHidden : public QueueTest {};

// A request larger than kRequestSize makes msgrcv fail with E2BIG: the server's size is exact.
TEST_F(MqHidden, OversizedRequestIsMsgrcvE2big) {
    int id = make_queue(qkey());
    send_raw(id, kRequestType, mqtest::request_bytes(777, "grande") + std::string(8, '\0'));
    Request req{};
    try {
        bool ok = receive_request(id, req);
        ADD_FAILURE() << "receive_request took a request of " << kRequestSize + 8
                      << " bytes (returned " << ok << "): its msgrcv was given more than "
                      << "kRequestSize; give it kRequestSize, not sizeof(Request) (which counts mtype)";
    } catch (const ipclab::SysError& e) {
        EXPECT_EQ(e.call(), "msgrcv");
        EXPECT_EQ(e.error(), E2BIG) << "expected Argument list too long, got " << std::strerror(e.error());
    }
}

// Requests that cannot be answered (too short, pid <= 0) make receive_request return false.
TEST_F(MqHidden, MalformedRequestsAreRejected) {
    int id = make_queue(qkey());
    send_raw(id, kRequestType, std::string("\x05\x00\x00\x00hi", 6));
    send_raw(id, kRequestType, mqtest::request_bytes(0, "pid cero"));
    send_raw(id, kRequestType, mqtest::request_bytes(-5, "pid negativo"));
    for (const char* what : {"a 6-byte request", "a request with pid 0", "a request with pid -5"}) {
        Request req{};
        EXPECT_FALSE(receive_request(id, req))
            << "receive_request returned true for " << what
            << ": return false when msgrcv's result is not kRequestSize or req.pid <= 0";
    }
}

// The longest text, 255 bytes, goes through unchanged.
TEST_F(MqHidden, LongestTextGoesThrough) {
    int id = make_queue(qkey());
    const std::string text(kTextMax - 1, 'a');
    send_request(id, 31337, text);
    Request req{};
    ASSERT_TRUE(receive_request(id, req)) << "receive_request rejected a well-formed request with a 255-byte text";
    EXPECT_EQ(std::string(req.text), text) << "a request text of 255 bytes must arrive whole";
    send_reply(id, 31337, std::string(kTextMax - 1, 'A'));
    auto m = receive_raw(id, 31337);
    ASSERT_TRUE(m) << "send_reply sent no reply of mtype 31337 (the pid given)";
    EXPECT_EQ(mqtest::text_at(m->data, 0), std::string(kTextMax - 1, 'A'))
        << "a reply text of 255 bytes must arrive whole";
}

// A signal while receive_reply waits (EINTR) is not an error: the call is repeated.
TEST_F(MqHidden, ReceiveReplyRetriesAfterEintr) {
    int id = make_queue(qkey());
    InterruptingHandler handler;
    const pid_t waiter = this_thread_id();
    const pthread_t waiter_thread = pthread_self();
    std::thread helper([&] {
        if (!mqtest::wait_until_sleeping(waiter)) return;
        pthread_kill(waiter_thread, SIGUSR1);
        const auto deadline = mqtest::Clock::now() + mqtest::kDeadline;
        while (!g_signalled && mqtest::Clock::now() < deadline) mqtest::pause_ms(1);
        mqtest::wait_until_sleeping(waiter);
        send_raw(id, 4242, std::string("TARDE") + std::string(kReplySize - 5, '\0'));
    });
    std::string got;
    try {
        got = receive_reply(id, 4242);
    } catch (const ipclab::SysError& e) {
        ADD_FAILURE() << "receive_reply failed with " << e.what()
                      << (e.error() == EINTR ? ": a signal interrupted msgrcv; when errno is EINTR, "
                                               "call msgrcv again instead of failing" : "");
    }
    helper.join();
    EXPECT_TRUE(g_signalled) << "test set-up: the signal was not delivered";
    if (!got.empty()) {
        EXPECT_EQ(got, "TARDE");
    }
}

// The queue removed while a client waits: msgrcv fails with EIDRM, reported as "msgrcv".
TEST_F(MqHidden, QueueRemovedWhileWaitingIsMsgrcvEidrm) {
    int id = make_queue(qkey());
    const pid_t waiter = this_thread_id();
    std::thread helper([&] {
        mqtest::wait_until_sleeping(waiter);
        msgctl(id, IPC_RMID, nullptr);
    });
    try {
        std::string got = receive_reply(id, 4242);
        ADD_FAILURE() << "receive_reply returned \"" << got << "\" although its queue was removed: "
                      << "check msgrcv's result and throw ipclab::SysError(\"msgrcv\")";
    } catch (const ipclab::SysError& e) {
        EXPECT_EQ(e.call(), "msgrcv");
        EXPECT_EQ(e.error(), EIDRM) << "expected Identifier removed, got " << std::strerror(e.error());
    }
    helper.join();
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
    } catch (const std::runtime_error&) {
    }
    ASSERT_TRUE(ready) << "run_server never called ready()";
    EXPECT_EQ(msgget(k, 0), -1) << "the queue stayed after run_server ended with an exception: keep "
                                   "it in a class whose destructor calls msgctl(id, IPC_RMID, nullptr)";
}

// After "quit" the server waits for the "bye" to be taken before removing the queue.
TEST_F(MqHidden, ByeIsNotDestroyedWithTheQueue) {
    key_t k = qkey();
    std::string why;
    pid_t server = start_server(k, why);
    ASSERT_NE(server, -1) << why;
    int id = msgget(k, 0);
    ASSERT_NE(id, -1);
    send_raw(id, kRequestType, mqtest::request_bytes(1003, "quit"));
    // The client is slow: it looks for its reply only once the server has taken the request.
    mqtest::pause_ms(50);
    auto bye = receive_raw(id, 1003, mqtest::kDeadline);
    EXPECT_TRUE(bye) << "the \"bye\" was gone: the server removed the queue before the client took "
                        "its reply (that client's msgrcv fails with EIDRM); call wait_until_taken(id) "
                        "before msgctl(IPC_RMID)";
    EXPECT_NE(wait_exit(server), -1) << "run_server did not return after \"quit\"";
}
