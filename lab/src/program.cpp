#include "ipclab/program.hpp"

#include <sys/ipc.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <iostream>

namespace ipclab {

Args::Args(int argc, char** argv) : args_(argv + 1, argv + argc) {}

void Args::expect(std::size_t n) const {
    if (args_.size() != n) {
        throw UsageError("expected " + std::to_string(n) + " arguments, got " +
                         std::to_string(args_.size()));
    }
}

void Args::expect_at_least(std::size_t n) const {
    if (args_.size() < n) {
        throw UsageError("expected at least " + std::to_string(n) + " arguments, got " +
                         std::to_string(args_.size()));
    }
}

long long Args::integer(std::size_t i, long long lo, long long hi, const char* what) const {
    const std::string& text = args_.at(i);
    // strtoll accepts leading spaces and a '+'; the spec says "decimal integer", so the
    // first character must be a digit or a minus sign and the whole text must be used.
    if (text.empty() || !(text[0] == '-' || (text[0] >= '0' && text[0] <= '9'))) {
        throw UsageError(std::string(what) + " is not a decimal integer: '" + text + "'");
    }
    errno = 0;
    char* end = nullptr;
    long long value = std::strtoll(text.c_str(), &end, 10);
    if (*end != '\0') {
        throw UsageError(std::string(what) + " is not a decimal integer: '" + text + "'");
    }
    if (errno == ERANGE || value < lo || value > hi) {
        throw UsageError(std::string(what) + " out of range " + std::to_string(lo) + ".." +
                         std::to_string(hi) + ": '" + text + "'");
    }
    return value;
}

int Args::proj_id(std::size_t i) const { return static_cast<int>(integer(i, 1, 255, "PROJ_ID")); }

std::size_t Args::positive_size(std::size_t i) const {
    const std::string& text = args_.at(i);
    // Up to SIZE_MAX, not LLONG_MAX: a size above kernel.shmmax (by default larger than
    // LLONG_MAX) must reach shmget and fail there with EINVAL (lab-spec, 02-shmget).
    const std::string range =
        "SIZE out of range 1.." + std::to_string(SIZE_MAX) + ": '" + text + "'";
    if (!text.empty() && text[0] == '-') throw UsageError(range);
    if (text.empty() || text[0] < '0' || text[0] > '9') {
        throw UsageError("SIZE is not a decimal integer: '" + text + "'");
    }
    errno = 0;
    char* end = nullptr;
    unsigned long long value = std::strtoull(text.c_str(), &end, 10);
    if (*end != '\0') throw UsageError("SIZE is not a decimal integer: '" + text + "'");
    if (errno == ERANGE || value == 0 || value > SIZE_MAX) throw UsageError(range);
    return static_cast<std::size_t>(value);
}

std::int32_t Args::int32(std::size_t i) const {
    return static_cast<std::int32_t>(integer(i, INT32_MIN, INT32_MAX, "VALUE"));
}

key_t key_of(const std::string& path, int proj_id) {
    key_t key = ftok(path.c_str(), proj_id);
    if (key == -1) {
        throw SysError("ftok");
    }
    return key;
}

int run_program(int argc, char** argv, const char* usage,
                const std::function<void(const Args&)>& body) {
    std::ios::sync_with_stdio(false);
    std::cin.tie(nullptr);
    try {
        body(Args(argc, argv));
        std::cout.flush();
        return std::cout.good() ? 0 : 1;
    } catch (const UsageError& e) {
        std::cout.flush();
        std::cerr << "usage: " << usage << "\n" << e.what() << std::endl;
        return 2;
    } catch (const std::exception& e) {
        // SysError::what() is already "call: reason"; a Failure names its program.
        std::cout.flush();
        std::cerr << e.what() << std::endl;
        return 1;
    }
}

}  // namespace ipclab
