// Errors every ipclab program reports the same way (lab-spec: "errors" and "exit status").
//
// Student code throws these; ipclab::run_program() (program.hpp) turns them into one line on
// stderr and the exit status the spec asks for. Unit tests catch them to see which call failed.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace ipclab {

// A system call failed. what() is "call: reason", exactly what perror(call) would print,
// e.g. "shmget: File exists". Exit status 1.
class SysError : public std::system_error {
public:
    // Captures errno now, so build the exception right after the failing call.
    explicit SysError(const char* call, int err = errno)
        : std::system_error(err, std::generic_category(), call), call_(call) {}

    const std::string& call() const noexcept { return call_; }
    int error() const noexcept { return code().value(); }

private:
    std::string call_;
};

// Something went wrong that is not a system call's failure (a corrupt segment). Exit status 1.
class Failure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The command line is wrong: wrong argument count, a number that does not parse or is out of
// range. Exit status 2, after a "usage:" line.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace ipclab
