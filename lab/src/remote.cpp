// What both ends of the test-to-worker socket share: framing, exceptions as they travel, and
// the test side's answers to the worker's requests (lab/include/ipclab/remote.hpp).
#include "ipclab/remote.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <new>
#include <system_error>
#include <typeinfo>

#include "ipclab/error.hpp"

namespace ipclab::remote {

namespace {

bool write_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        ssize_t k = ::send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        p += k;
        n -= static_cast<std::size_t>(k);
    }
    return true;
}

bool read_all(int fd, char* p, std::size_t n) {
    while (n > 0) {
        ssize_t k = ::read(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        p += k;
        n -= static_cast<std::size_t>(k);
    }
    return true;
}

// The kinds an exception travels as: the lab's, then the standard library's from the most
// derived, so the test side catches what it would have caught in one process.
enum class Exc : std::uint8_t {
    sys_error = 1,
    failure,
    usage_error,
    invalid_argument,
    domain_error,
    length_error,
    out_of_range,
    logic_error,
    range_error,
    overflow_error,
    underflow_error,
    system_error,
    runtime_error,
    bad_alloc,
    other_std,
    unknown,
    ended
};

}  // namespace

void Channel::send(Kind kind, const Buf& body) {
    std::uint32_t n = static_cast<std::uint32_t>(body.data().size() + 1);
    std::string frame;
    frame.reserve(n + 4);
    frame.append(reinterpret_cast<const char*>(&n), sizeof n);
    frame.push_back(static_cast<char>(kind));
    frame += body.data();
    if (!write_all(fd_, frame.data(), frame.size())) throw ChannelClosed{};
}

bool Channel::receive(Kind& kind, Buf& body) {
    std::uint32_t n = 0;
    if (!read_all(fd_, reinterpret_cast<char*>(&n), sizeof n)) return false;
    if (n == 0 || n > kMaxMessage) throw BadMessage("message size out of range");
    std::string data(n, '\0');
    if (!read_all(fd_, &data[0], n)) return false;
    kind = static_cast<Kind>(static_cast<std::uint8_t>(data[0]));
    body = Buf(data.substr(1));
    return true;
}

Kind Channel::wait_answer(Buf& answer, const Handler& on_request) {
    for (;;) {
        Kind kind{};
        Buf body;
        if (!receive(kind, body)) throw ChannelClosed{};
        if (kind == Kind::ret || kind == Kind::thrown || kind == Kind::data) {
            answer = std::move(body);
            return kind;
        }
        if (!on_request) throw BadMessage("unexpected request");
        on_request(kind, body);
    }
}

void put_exception(Buf& b, std::exception_ptr e) {
    auto say = [&](Exc kind, const std::string& what) {
        put(b, kind);
        put(b, what);
    };
    try {
        std::rethrow_exception(e);
    } catch (const ipclab::SysError& x) {
        say(Exc::sys_error, x.call());
        put(b, x.error());
    } catch (const ipclab::Failure& x) {
        say(Exc::failure, x.what());
    } catch (const ipclab::UsageError& x) {
        say(Exc::usage_error, x.what());
    } catch (const std::invalid_argument& x) {
        say(Exc::invalid_argument, x.what());
    } catch (const std::domain_error& x) {
        say(Exc::domain_error, x.what());
    } catch (const std::length_error& x) {
        say(Exc::length_error, x.what());
    } catch (const std::out_of_range& x) {
        say(Exc::out_of_range, x.what());
    } catch (const std::logic_error& x) {
        say(Exc::logic_error, x.what());
    } catch (const std::range_error& x) {
        say(Exc::range_error, x.what());
    } catch (const std::overflow_error& x) {
        say(Exc::overflow_error, x.what());
    } catch (const std::underflow_error& x) {
        say(Exc::underflow_error, x.what());
    } catch (const std::system_error& x) {
        say(Exc::system_error, x.what());
        put(b, x.code().value());
    } catch (const std::runtime_error& x) {
        say(Exc::runtime_error, x.what());
    } catch (const std::bad_alloc& x) {
        say(Exc::bad_alloc, x.what());
    } catch (const std::exception& x) {
        say(Exc::other_std, x.what());
    } catch (const WorkerEnded& x) {
        say(Exc::ended, x.how);
        put(b, x.function);
    } catch (...) {
        say(Exc::unknown, "");
    }
}

void throw_exception(Buf& b) {
    auto kind = get<Exc>(b);
    auto what = get<std::string>(b);
    switch (kind) {
        case Exc::sys_error: {
            int err = get<int>(b);
            throw ipclab::SysError(what.c_str(), err);
        }
        case Exc::failure:
            throw ipclab::Failure(what);
        case Exc::usage_error:
            throw ipclab::UsageError(what);
        case Exc::invalid_argument:
            throw std::invalid_argument(what);
        case Exc::domain_error:
            throw std::domain_error(what);
        case Exc::length_error:
            throw std::length_error(what);
        case Exc::out_of_range:
            throw std::out_of_range(what);
        case Exc::logic_error:
            throw std::logic_error(what);
        case Exc::range_error:
            throw std::range_error(what);
        case Exc::overflow_error:
            throw std::overflow_error(what);
        case Exc::underflow_error:
            throw std::underflow_error(what);
        case Exc::system_error: {
            int err = get<int>(b);
            throw std::system_error(err, std::generic_category(), what);
        }
        case Exc::runtime_error:
            throw std::runtime_error(what);
        case Exc::bad_alloc:
            throw std::bad_alloc();
        case Exc::other_std:
            throw ForeignException(what);
        case Exc::ended:
            throw WorkerEnded{what, get<std::string>(b)};
        case Exc::unknown:
            throw UnknownException{};
    }
    throw BadMessage("unknown exception kind");
}

// ---- the test side's answers ----------------------------------------------------------------

void Outbound::handle(Channel& ch, Kind kind, Buf& body) {
    auto id = get<std::uint32_t>(body);
    switch (kind) {
        case Kind::read: {
            if (id >= ins_.size()) throw BadMessage("no such input");
            auto most = get<std::uint32_t>(body);
            std::streambuf* in = ins_[id]->rdbuf();
            std::string got;
            // Never ask the test's stream for more than it has ready: a stream that tells
            // when the code under test blocks for input must see the same waits as in one
            // process. One character blocks as the code's own read would; the rest is ready.
            if (in != nullptr && most > 0) {
                int c = in->sbumpc();
                if (c != std::char_traits<char>::eof()) {
                    got.push_back(static_cast<char>(c));
                    std::streamsize ready = in->in_avail();
                    if (ready > 0) {
                        std::size_t more =
                            std::min<std::size_t>(static_cast<std::size_t>(ready), most - 1);
                        std::string rest(more, '\0');
                        rest.resize(static_cast<std::size_t>(
                            in->sgetn(&rest[0], static_cast<std::streamsize>(more))));
                        got += rest;
                    }
                }
            }
            Buf answer;
            put(answer, got);
            ch.send(Kind::data, answer);
            return;
        }
        case Kind::write: {
            if (id >= outs_.size()) throw BadMessage("no such output");
            auto text = get<std::string>(body);
            outs_[id]->write(text.data(), static_cast<std::streamsize>(text.size()));
            return;
        }
        case Kind::flush: {
            if (id >= outs_.size()) throw BadMessage("no such output");
            outs_[id]->flush();
            return;
        }
        case Kind::callback: {
            if (id >= callbacks_.size()) throw BadMessage("no such callback");
            Buf answer;
            try {
                Buf unused;
                callbacks_[id](body, unused);
            } catch (const ChannelClosed&) {
                throw;
            } catch (...) {
                put_exception(answer, std::current_exception());
                ch.send(Kind::thrown, answer);
                return;
            }
            ch.send(Kind::ret, answer);
            return;
        }
        default:
            throw BadMessage("unexpected request");
    }
}

}  // namespace ipclab::remote
