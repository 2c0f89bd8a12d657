// The worker: the program that holds the student's code (lab/include/ipclab/remote.hpp). It
// serves the calls of the unit-test program on fd 3 until that program closes the socket.
// Nothing here is trusted: it runs beside the student's code, and the test side decides.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "ipclab/remote.hpp"

namespace ipclab::remote {

std::map<std::string, Invoker>& registry() {
    static std::map<std::string, Invoker> functions;
    return functions;
}

Channel& worker_channel() {
    static Channel channel(3);
    return channel;
}

// ---- the worker's streams -------------------------------------------------------------------

std::streambuf::int_type InBuf::underflow() {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    Buf req;
    put(req, id_);
    put(req, std::uint32_t{4096});
    ch_.send(Kind::read, req);
    Buf answer;
    if (ch_.wait_answer(answer, serve_nested) != Kind::data) return traits_type::eof();
    chunk_ = get<std::string>(answer);
    if (chunk_.empty()) return traits_type::eof();
    setg(&chunk_[0], &chunk_[0], &chunk_[0] + chunk_.size());
    return traits_type::to_int_type(*gptr());
}

std::streambuf::int_type OutBuf::overflow(int_type c) {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    char ch = traits_type::to_char_type(c);
    return xsputn(&ch, 1) == 1 ? c : traits_type::eof();
}

std::streamsize OutBuf::xsputn(const char* s, std::streamsize n) {
    Buf req;
    put(req, id_);
    put(req, std::string(s, static_cast<std::size_t>(n)));
    ch_.send(Kind::write, req);
    return n;
}

int OutBuf::sync() {
    Buf req;
    put(req, id_);
    ch_.send(Kind::flush, req);
    return 0;
}

namespace {

void interrupting_handler(int) {}

// Lab requests answered here, not by the student's code.
void interrupt_on(int sig) {
    struct sigaction sa {};
    sa.sa_handler = interrupting_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: the signal interrupts a blocked call with EINTR
    sigaction(sig, &sa, nullptr);
}

const bool lab_requests = enlist("__ipclab.interrupt_on", &interrupt_on);

void dispatch(Channel& ch, Buf& body) {
    auto name = get<std::string>(body);
    auto found = registry().find(name);
    Buf answer;
    if (found == registry().end()) {
        put_exception(answer, std::make_exception_ptr(BadMessage("no function " + name)));
        ch.send(Kind::thrown, answer);
        return;
    }
    try {
        found->second(body, answer);
    } catch (const ChannelClosed&) {
        throw;
    } catch (...) {
        Buf thrown;
        put_exception(thrown, std::current_exception());
        ch.send(Kind::thrown, thrown);
        return;
    }
    ch.send(Kind::ret, answer);
}

}  // namespace

void serve_nested(Kind kind, Buf& body) {
    if (kind != Kind::call) throw BadMessage("unexpected request");
    dispatch(worker_channel(), body);
}

}  // namespace ipclab::remote

int main() {
    using namespace ipclab::remote;
    (void)lab_requests;
    Channel& ch = worker_channel();
    try {
        for (;;) {
            Kind kind{};
            Buf body;
            if (!ch.receive(kind, body)) break;
            serve_nested(kind, body);
        }
    } catch (const ChannelClosed&) {}
    return 0;
}
