// Student code in a process of its own: the unit tests call the exercise's functions through
// this, and no line the student wrote runs in the test program that decides the verdict.
//
// A unit-test program is linked without the student's file. Its copy of each function of the
// exercise's header (make_key, attach_session, ...) is a proxy: it sends the arguments to a
// worker process -- the student's file linked with lab/src/remote_worker.cpp -- which calls
// the real function and sends back its result, its out-parameters or the exception it threw.
// Streams (std::istream&/std::ostream&) and callbacks (std::function) travel the other way,
// as requests from the worker that the test side answers while it waits. The worker can lie
// about a result, as a wrong function would; it cannot reach the test program's memory, its
// pipes or its report (docs/sandbox.en.md, "Threat model").
//
// One file per exercise names its functions once (exercises/NN-name/test/remote.cpp):
//   IPCLAB_REMOTE(make_key, key_t, (const std::string& path, int proj_id), (path, proj_id))
// compiled with IPCLAB_REMOTE_WORKER it registers the student's function for the worker;
// without it, it defines the proxy the tests link with.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace ipclab::remote {

// No message is larger: a worker that claims more is lying, not slow.
constexpr std::uint32_t kMaxMessage = 16u << 20;

// The worker ended (exit, crash, killed) while the test waited for it.
struct WorkerEnded {
    std::string how;       // "exit status 0", "signal SIGSEGV", ...
    std::string function;  // what the test had called
};

// The socket broke: the other side is gone.
struct ChannelClosed {};

// A message that does not decode: the worker sent something no real function returns.
struct BadMessage : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Thrown on the test side for a student exception that is neither one of the lab's nor of
// the standard library's: what() says what it said.
class ForeignException : public std::exception {
public:
    explicit ForeignException(std::string what) : what_(std::move(what)) {}
    const char* what() const noexcept override { return what_.c_str(); }

private:
    std::string what_;
};

// Thrown on the test side for `throw 42` and the like: nothing that derives from
// std::exception, just as the student's code threw.
struct UnknownException {};

// ---- bytes ----------------------------------------------------------------------------------

class Buf {
public:
    Buf() = default;
    explicit Buf(std::string data) : data_(std::move(data)) {}

    void put_raw(const void* p, std::size_t n) { data_.append(static_cast<const char*>(p), n); }
    void get_raw(void* p, std::size_t n) {
        if (n > data_.size() - pos_) throw BadMessage("message ends early");
        std::memcpy(p, data_.data() + pos_, n);
        pos_ += n;
    }
    std::uint32_t get_size(std::size_t each) {
        std::uint32_t n = 0;
        get_raw(&n, sizeof n);
        if (each != 0 && n > (data_.size() - pos_) / each) throw BadMessage("length too large");
        return n;
    }
    const std::string& data() const { return data_; }

private:
    std::string data_;
    std::size_t pos_ = 0;
};

// How a value travels: Wire<T>::put(buf, value) and Wire<T>::get(buf, value).
template <class T, class = void>
struct Wire;

// Plain data (numbers, enums, structs of them, char arrays): their bytes.
template <class T>
struct Wire<T, std::enable_if_t<std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>>> {
    static void put(Buf& b, const T& v) { b.put_raw(&v, sizeof v); }
    static void get(Buf& b, T& v) { b.get_raw(&v, sizeof v); }
};

// An address in the worker: only ever handed back to it (detach_segment(addr)).
template <class T>
struct Wire<T*, std::enable_if_t<std::is_void_v<std::remove_cv_t<T>>>> {
    static void put(Buf& b, T* v) {
        auto n = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(v));
        b.put_raw(&n, sizeof n);
    }
    static void get(Buf& b, T*& v) {
        std::uint64_t n = 0;
        b.get_raw(&n, sizeof n);
        v = reinterpret_cast<T*>(static_cast<std::uintptr_t>(n));
    }
};

template <>
struct Wire<std::string> {
    static void put(Buf& b, const std::string& s) {
        auto n = static_cast<std::uint32_t>(s.size());
        b.put_raw(&n, sizeof n);
        b.put_raw(s.data(), s.size());
    }
    static void get(Buf& b, std::string& s) {
        s.resize(b.get_size(1));
        if (!s.empty()) b.get_raw(&s[0], s.size());
    }
};

template <class T>
struct Wire<std::vector<T>, std::enable_if_t<!std::is_trivially_copyable_v<std::vector<T>>>> {
    static void put(Buf& b, const std::vector<T>& v) {
        auto n = static_cast<std::uint32_t>(v.size());
        b.put_raw(&n, sizeof n);
        for (const auto& x : v) Wire<T>::put(b, x);
    }
    static void get(Buf& b, std::vector<T>& v) {
        v.clear();
        v.resize(b.get_size(1));
        for (auto& x : v) Wire<T>::get(b, x);
    }
};

// A struct with members that are not plain data:
//   template <> struct ipclab::remote::Wire<Reading> : Fields<&Reading::values, &Reading::sum> {};
template <auto... Member>
struct Fields {
    template <class T>
    static void put(Buf& b, const T& v) {
        (Wire<std::decay_t<decltype(v.*Member)>>::put(b, v.*Member), ...);
    }
    template <class T>
    static void get(Buf& b, T& v) {
        (Wire<std::decay_t<decltype(v.*Member)>>::get(b, v.*Member), ...);
    }
};

template <class T>
void put(Buf& b, const T& v) {
    Wire<T>::put(b, v);
}
template <class T>
T get(Buf& b) {
    T v{};
    Wire<T>::get(b, v);
    return v;
}

// ---- the channel ----------------------------------------------------------------------------

enum class Kind : std::uint8_t {
    call = 1,  // test -> worker: name, arguments
    ret,       // worker -> test: out-parameters, value
    thrown,    // either way: an exception (Thrown below)
    callback,  // worker -> test: callback id, arguments
    read,      // worker -> test: stream id, how many bytes at most
    data,      // test -> worker: the bytes read (empty: end of input), an answer as
               // ret and thrown are
    write,     // worker -> test: stream id, bytes
    flush,     // worker -> test: stream id
};

// One end of the socket between the test program and its worker; framed messages.
class Channel {
public:
    explicit Channel(int fd) : fd_(fd) {}
    int fd() const { return fd_; }

    void send(Kind kind, const Buf& body);
    // The next message; false at the end (the other side is gone).
    bool receive(Kind& kind, Buf& body);

    // Runs the handlers of requests that come while waiting for a ret/thrown; returns it.
    using Handler = std::function<void(Kind, Buf&)>;
    Kind wait_answer(Buf& answer, const Handler& on_request);

private:
    int fd_;
};

// An exception as it travels: its kind and what is needed to rebuild it on the other side.
void put_exception(Buf& b, std::exception_ptr e);
[[noreturn]] void throw_exception(Buf& b);

// ---- arguments: how each parameter kind crosses ------------------------------------------------

// The test side's registry of the streams and callbacks one call passes.
class Outbound {
public:
    std::uint32_t add_in(std::istream& in) {
        ins_.push_back(&in);
        return static_cast<std::uint32_t>(ins_.size() - 1);
    }
    std::uint32_t add_out(std::ostream& out) {
        outs_.push_back(&out);
        return static_cast<std::uint32_t>(outs_.size() - 1);
    }
    std::uint32_t add_callback(std::function<void(Buf&, Buf&)> f) {
        callbacks_.push_back(std::move(f));
        return static_cast<std::uint32_t>(callbacks_.size() - 1);
    }
    // Answers one request of the worker's (a read, a write, a callback).
    void handle(Channel& ch, Kind kind, Buf& body);

private:
    std::vector<std::istream*> ins_;
    std::vector<std::ostream*> outs_;
    std::vector<std::function<void(Buf&, Buf&)>> callbacks_;
};

// The worker's streams: reads and writes become requests to the test side.
class InBuf : public std::streambuf {
public:
    InBuf(Channel& ch, std::uint32_t id) : ch_(ch), id_(id) {}

protected:
    int_type underflow() override;

private:
    Channel& ch_;
    std::uint32_t id_;
    std::string chunk_;
};

class OutBuf : public std::streambuf {
public:
    OutBuf(Channel& ch, std::uint32_t id) : ch_(ch), id_(id) {}

protected:
    // Unbuffered: a write is seen by the test at once, as in a string stream; a flush is
    // passed on as one, so the test's own buffered stream sees it where the student put it.
    int_type overflow(int_type c) override;
    std::streamsize xsputn(const char* s, std::streamsize n) override;
    int sync() override;

private:
    Channel& ch_;
    std::uint32_t id_;
};

template <class F>
struct CallbackTraits;
template <class R, class... A>
struct CallbackTraits<std::function<R(A...)>> {
    using result = R;
    using args = std::tuple<std::decay_t<A>...>;
};

template <class T>
struct is_function_object : std::false_type {};
template <class R, class... A>
struct is_function_object<std::function<R(A...)>> : std::true_type {};

Channel& worker_channel();  // the worker's end (worker side only)
// The worker's answer to a call that comes while it waits (a callback that calls the code).
void serve_nested(Kind kind, Buf& body);

// Param<P>: one parameter of type P. Test side: send(buf, outbound, value). Worker side:
// Param<P>::Held holds what the real function receives; after the call, put_back() sends
// what a non-const reference now holds, and take_back() stores it on the test side.
template <class P, class = void>
struct Param {
    using T = std::decay_t<P>;
    static constexpr bool out =
        std::is_lvalue_reference_v<P> && !std::is_const_v<std::remove_reference_t<P>>;
    static void send(Buf& b, Outbound&, const T& v) { put(b, v); }
    struct Held {
        T value{};
        Held(Buf& b, Channel&) { Wire<T>::get(b, value); }
        T& arg() { return value; }
        void put_back(Buf& b) {
            if constexpr (out) put(b, value);
        }
    };
    static void take_back(Buf& b, P v) {
        if constexpr (out) Wire<T>::get(b, v);
    }
};

template <class P>
struct Param<P, std::enable_if_t<std::is_same_v<std::decay_t<P>, std::istream>>> {
    static void send(Buf& b, Outbound& o, std::istream& in) { put(b, o.add_in(in)); }
    struct Held {
        std::unique_ptr<InBuf> buf;
        std::unique_ptr<std::istream> stream;
        Held(Buf& b, Channel& ch)
            : buf(new InBuf(ch, get<std::uint32_t>(b))), stream(new std::istream(buf.get())) {}
        std::istream& arg() { return *stream; }
        void put_back(Buf&) {}
    };
    static void take_back(Buf&, std::istream&) {}
};

template <class P>
struct Param<P, std::enable_if_t<std::is_same_v<std::decay_t<P>, std::ostream>>> {
    static void send(Buf& b, Outbound& o, std::ostream& out) { put(b, o.add_out(out)); }
    struct Held {
        std::unique_ptr<OutBuf> buf;
        std::unique_ptr<std::ostream> stream;
        Held(Buf& b, Channel& ch)
            : buf(new OutBuf(ch, get<std::uint32_t>(b))), stream(new std::ostream(buf.get())) {}
        std::ostream& arg() { return *stream; }
        void put_back(Buf&) {}
    };
    static void take_back(Buf&, std::ostream&) {}
};

template <class P>
struct Param<P, std::enable_if_t<is_function_object<std::decay_t<P>>::value>> {
    using F = std::decay_t<P>;
    using R = typename CallbackTraits<F>::result;
    using Args = typename CallbackTraits<F>::args;
    static_assert(std::is_void_v<R>, "callbacks return nothing");

    static void send(Buf& b, Outbound& o, const F& f) {
        put(b, o.add_callback([&f](Buf& in, Buf&) {
            Args args;
            std::apply([&](auto&... a) { (Wire<std::decay_t<decltype(a)>>::get(in, a), ...); },
                       args);
            std::apply(f, args);
        }));
    }
    struct Held {
        F fn;
        Held(Buf& b, Channel& ch) {
            auto id = get<std::uint32_t>(b);
            fn = [&ch, id](auto... a) {
                Buf req;
                put(req, id);
                (put(req, a), ...);
                ch.send(Kind::callback, req);
                Buf answer;
                if (ch.wait_answer(answer, serve_nested) == Kind::thrown) throw_exception(answer);
            };
        }
        F& arg() { return fn; }
        void put_back(Buf&) {}
    };
    static void take_back(Buf&, const F&) {}
};

// ---- the test side: the proxies ----------------------------------------------------------------

// The worker of this thread of this process, started on first use (tests fork children that
// call the student's code: each gets a worker of its own, which dies with it).
Channel& test_channel();
pid_t worker_pid();
// Ends this thread's worker now (the next call starts a fresh one).
void end_worker();
// Lab requests the worker answers itself, not the student's code.
void worker_ignore_signal_interrupting(int sig);  // a no-op handler without SA_RESTART

[[noreturn]] void worker_ended(const char* function);

template <class Sig>
struct Call;

template <class R, class... A>
struct Call<R(A...)> {
    template <class... Given>
    static R run(const char* name, Given&&... given) {
        Channel& ch = test_channel();
        Buf req;
        put(req, std::string(name));
        Outbound outbound;
        (Param<A>::send(req, outbound, given), ...);
        Buf answer;
        Kind kind{};
        try {
            ch.send(Kind::call, req);
            kind = ch.wait_answer(answer, [&](Kind k, Buf& body) { outbound.handle(ch, k, body); });
        } catch (const ChannelClosed&) {
            worker_ended(name);
        }
        if (kind == Kind::thrown) throw_exception(answer);
        (Param<A>::take_back(answer, given), ...);
        if constexpr (!std::is_void_v<R>) return get<std::decay_t<R>>(answer);
    }
};

// ---- the worker side: the registry -----------------------------------------------------------

using Invoker = std::function<void(Buf& args, Buf& answer)>;
std::map<std::string, Invoker>& registry();

template <class R, class... A>
bool enlist(const char* name, R (*fn)(A...)) {
    registry()[name] = [fn](Buf& args, Buf& answer) {
        Channel& ch = worker_channel();
        // Braced: the arguments are read in order.
        std::tuple<typename Param<A>::Held...> held{typename Param<A>::Held(args, ch)...};
        if constexpr (std::is_void_v<R>) {
            std::apply([&](auto&... h) { fn(h.arg()...); }, held);
            std::apply([&](auto&... h) { (h.put_back(answer), ...); }, held);
        } else {
            auto value = std::apply([&](auto&... h) { return fn(h.arg()...); }, held);
            std::apply([&](auto&... h) { (h.put_back(answer), ...); }, held);
            put(answer, static_cast<std::decay_t<R>>(value));
        }
    };
    return true;
}

}  // namespace ipclab::remote

#define IPCLAB_REMOTE_CAT2(a, b) a##b
#define IPCLAB_REMOTE_CAT(a, b) IPCLAB_REMOTE_CAT2(a, b)

#ifdef IPCLAB_REMOTE_WORKER
// The worker: the student's function, by name.
#define IPCLAB_REMOTE(name, result, params, args)                 \
    static const bool IPCLAB_REMOTE_CAT(ipclab_enlisted_, name) = \
        ::ipclab::remote::enlist(#name, &::name);
#else
// The test program: a proxy with the header's signature. A function without parameters
// is named with () for both: IPCLAB_REMOTE(list_segments, std::vector<ShmRow>, (), ()).
#define IPCLAB_REMOTE(name, result, params, args)                                              \
    result name params {                                                                       \
        return ::ipclab::remote::Call<decltype(::name)>::run(#name IPCLAB_REMOTE_UNPACK args); \
    }
#define IPCLAB_REMOTE_UNPACK(...) __VA_OPT__(, ) __VA_ARGS__
#endif
