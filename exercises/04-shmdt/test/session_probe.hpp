// What 04-shmdt's unit tests use to watch attach_session() from inside: an input that runs a
// callback each time the code blocks for more input, and an output that tells what was really
// flushed from what is still sitting in a buffer. Shared by the visible and the hidden tests.
//
// The code runs in the worker (test/remote.cpp): the streams below stay in the test program and
// the worker's reads, writes and flushes reach them one by one, so the callbacks run while the
// code is really blocked. Its addresses are the worker's: the tests hand them back
// (detach_segment) and look at them from the kernel's side (mapped_at), never through them.
#pragma once

#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <istream>
#include <ostream>
#include <streambuf>
#include <string>
#include <utility>
#include <vector>

#include "ipclab/error.hpp"
#include "ipclab/remote.hpp"
#include "ipclab/testing.hpp"
#include "ipclab/unit_message.hpp"
#include "shm_attach.hpp"

namespace shmdt_test {

// Input served in chunks; before each chunk (and before the end of input) the code under test
// is "blocked", and on_wait(n) runs: n = 0 before the first chunk, 1 before the second, ...
class ScriptedInput : public std::streambuf {
public:
    ScriptedInput(std::vector<std::string> chunks, std::function<void(int)> on_wait)
        : chunks_(std::move(chunks)), on_wait_(std::move(on_wait)) {}

    int waits() const { return waits_; }
    bool reached_end() const { return reached_end_; }

protected:
    int_type underflow() override {
        if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
        if (reached_end_) return traits_type::eof();
        on_wait_(waits_++);
        if (next_ >= chunks_.size()) {
            reached_end_ = true;
            return traits_type::eof();
        }
        current_ = chunks_[next_++];
        setg(current_.data(), current_.data(), current_.data() + current_.size());
        return traits_type::to_int_type(*gptr());
    }

private:
    std::vector<std::string> chunks_;
    std::function<void(int)> on_wait_;
    std::string current_;
    std::size_t next_ = 0;
    int waits_ = 0;
    bool reached_end_ = false;
};

// Output with a buffer, like std::cout untied from std::cin: text only becomes visible
// (flushed()) on flush/std::endl or when the buffer fills; on_flush runs at that moment.
class RecordingOutput : public std::streambuf {
public:
    explicit RecordingOutput(std::function<void(const std::string&)> on_flush)
        : on_flush_(std::move(on_flush)) {
        setp(buf_, buf_ + sizeof buf_);
    }

    const std::string& flushed() const { return flushed_; }
    std::string buffered() const { return std::string(pbase(), pptr()); }

protected:
    int sync() override {
        publish();
        return 0;
    }
    int_type overflow(int_type c) override {
        publish();
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(c);
            pbump(1);
        }
        return traits_type::not_eof(c);
    }

private:
    void publish() {
        if (pptr() == pbase()) return;
        flushed_.append(pbase(), pptr());
        setp(buf_, buf_ + sizeof buf_);
        on_flush_(flushed_);
    }

    char buf_[256];
    std::string flushed_;
    std::function<void(const std::string&)> on_flush_;
};

// The lab's own shmat(shmid, nullptr, 0), made in the worker (test/remote.cpp): an attachment
// of the process that runs the code, for a test of detach_segment that must not rely on
// attach_segment. Throws ipclab::SysError("shmat") when it fails.
void* worker_shmat(int shmid);

// Each test starts with a fresh worker and ends it: what the code (or worker_shmat) left
// attached there is detached before TearDown removes the test's segments.
class SessionTest : public ipclab::testing::IpcTest {
protected:
    void TearDown() override {
        ipclab::remote::end_worker();
        IpcTest::TearDown();
    }
};

// The addresses where process `pid` has segment `shmid` attached, from its /proc/PID/maps
// (a System V segment is mapped as /SYSV<key>, its inode the shmid).
inline std::vector<const void*> mapped_at(pid_t pid, int shmid) {
    std::vector<const void*> out;
    std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
    std::string line;
    while (std::getline(maps, line)) {
        unsigned long start = 0, end = 0, offset = 0, inode = 0;
        unsigned major = 0, minor = 0;
        char perms[8] = {};
        int path = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx %7s %lx %x:%x %lu %n", &start, &end, perms, &offset,
                        &major, &minor, &inode, &path) < 7) {
            continue;
        }
        if (path > 0 && line.compare(static_cast<std::size_t>(path), 5, "/SYSV") == 0 &&
            inode == static_cast<unsigned long>(shmid)) {
            out.push_back(reinterpret_cast<const void*>(static_cast<std::uintptr_t>(start)));
        }
    }
    return out;
}

// The kernel's view of a segment at one moment.
struct Snapshot {
    bool exists = false;
    long nattch = -1;
    pid_t lpid = 0;
    time_t atime = 0;
    time_t dtime = 0;
};

inline Snapshot snapshot(int shmid) {
    Snapshot s;
    shmid_ds ds{};
    if (shmctl(shmid, IPC_STAT, &ds) == 0) {
        s.exists = true;
        s.nattch = static_cast<long>(ds.shm_nattch);
        s.lpid = ds.shm_lpid;
        s.atime = ds.shm_atime;
        s.dtime = ds.shm_dtime;
    }
    return s;
}

// Everything the tests look at after one attach_session() call.
struct Observed {
    bool threw = false;      // attach_session threw ipclab::SysError
    std::string error_call;  // ... naming this call
    int error_errno = 0;     // ... with this errno

    std::vector<Snapshot> at_wait;              // segment state each time the code blocked on input
    std::vector<std::string> flushed_at_wait;   // output flushed by then
    std::vector<std::string> buffered_at_wait;  // output written but NOT flushed by then

    bool attached_flushed = false;   // "attached\n" reached the output (flushed)
    Snapshot when_attached_flushed;  // segment state at that moment
    bool detached_flushed = false;
    Snapshot when_detached_flushed;

    bool reached_end = false;  // the code read its input until the end
    std::string flushed;       // output flushed by the time it returned
    std::string buffered;      // output left unflushed when it returned
    Snapshot after;            // segment state after it returned

    std::string output() const { return flushed + buffered; }
};

// Runs attach_session(key, in, out) on `chunks` of input, watching segment `shmid`.
inline Observed run_session(key_t key, int shmid, std::vector<std::string> chunks = {"go\n"}) {
    Observed o;
    RecordingOutput outbuf([&](const std::string& flushed) {
        if (!o.attached_flushed && flushed.find("attached\n") != std::string::npos) {
            o.attached_flushed = true;
            o.when_attached_flushed = snapshot(shmid);
        }
        if (!o.detached_flushed && flushed.find("detached\n") != std::string::npos) {
            o.detached_flushed = true;
            o.when_detached_flushed = snapshot(shmid);
        }
    });
    ScriptedInput inbuf(std::move(chunks), [&](int) {
        o.at_wait.push_back(snapshot(shmid));
        o.flushed_at_wait.push_back(outbuf.flushed());
        o.buffered_at_wait.push_back(outbuf.buffered());
    });
    std::istream in(&inbuf);
    std::ostream out(&outbuf);
    try {
        attach_session(key, in, out);
    } catch (const ipclab::SysError& e) {
        o.threw = true;
        o.error_call = e.call();
        o.error_errno = e.error();
    }
    o.reached_end = inbuf.reached_end();
    o.flushed = outbuf.flushed();
    o.buffered = outbuf.buffered();
    o.after = snapshot(shmid);
    return o;
}

// Output as a message shows it: each newline written as \n, so that «attached\ndetached\n» and
// an empty output («») read on one line.
inline std::string shown(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

// Expects the SysError attach_session threw to name `call`, with errno `err`.
inline void expect_thrown(const Observed& o, const char* call, int err) {
    using ipclab::testing::errno_name;
    using ipclab::testing::msg;
    EXPECT_EQ(o.error_call, call)
        << msg("syserror_wrong_call").with("call", call).with("got", o.error_call);
    EXPECT_EQ(o.error_errno, err) << msg("syserror_wrong_errno")
                                         .with("call", call)
                                         .with("error", errno_name(err))
                                         .with("got", errno_name(o.error_errno));
}

// The failure message for an unexpected SysError out of attach_session (when o.threw).
inline ipclab::testing::Msg describe_throw(const Observed& o) {
    using ipclab::testing::errno_name;
    using ipclab::testing::msg;
    if (o.error_call == "shmdt" && o.error_errno == EINVAL) {
        return msg("session_threw_shmdt_einval");
    }
    return msg("session_threw").with("call", o.error_call).with("error", errno_name(o.error_errno));
}

}  // namespace shmdt_test
