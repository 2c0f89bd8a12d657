// Threads until the kernel refuses (threads count against RLIMIT_NPROC too), then crashes.
#include "ftok_key.hpp"
#include <thread>
#include <vector>
#include <unistd.h>
key_t make_key(const std::string&, int) {
    std::vector<std::thread> threads;
    for (;;) threads.emplace_back([] { pause(); });
}
