// The part of every exercise program that is not the lesson: reading the command line and
// turning errors into exit statuses. Students do not edit this; their code is the system calls.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ipclab/error.hpp"

namespace ipclab {

// The command line of one program, with the parsers the spec's rules ask for.
class Args {
public:
    Args(int argc, char** argv);

    std::size_t size() const { return args_.size(); }
    const std::string& operator[](std::size_t i) const { return args_.at(i); }

    // Throws UsageError unless there are exactly n arguments (at least n with at_least).
    void expect(std::size_t n) const;
    void expect_at_least(std::size_t n) const;

    // A decimal integer 1..255 (lab-spec: PROJ_ID).
    int proj_id(std::size_t i) const;
    // A positive decimal integer that fits in size_t.
    std::size_t positive_size(std::size_t i) const;
    // Any decimal integer that fits in int32_t.
    std::int32_t int32(std::size_t i) const;
    // A decimal integer in [lo, hi].
    long long integer(std::size_t i, long long lo, long long hi, const char* what) const;

private:
    std::vector<std::string> args_;
};

// The key of (path, proj_id), for exercises after 01: ftok was 01's lesson.
// Throws SysError("ftok") when the file is missing or unreadable.
key_t key_of(const std::string& path, int proj_id);

// Runs body with the program's arguments and returns the exit status the spec asks for:
// 0 on success, 1 for SysError or Failure ("call: reason" on stderr), 2 for UsageError
// ("usage: <usage>" on stderr). Standard output is not synchronised with stdio and std::cin
// does not flush std::cout: a program flushes its own lines, as the spec requires.
int run_program(int argc, char** argv, const char* usage,
                const std::function<void(const Args&)>& body);

}  // namespace ipclab
