// sem_counter init|add|finish PATH PROJ_ID [N]: a 64-bit counter in shared memory, guarded by a
// System V semaphore. init prints nothing; add N adds 1 N times and prints nothing; finish prints
// the counter on one line and removes both objects. Lab-provided.
#include <cstdint>
#include <cstdio>
#include <string>

#include "ipclab/program.hpp"
#include "sem_counter.hpp"

namespace {
constexpr long long kMaxN = 1000000000;  // 10^9 adds: more would take hours
}

int main(int argc, char** argv) {
    return ipclab::run_program(
        argc, argv, "sem_counter init PATH PROJ_ID | add PATH PROJ_ID N | finish PATH PROJ_ID",
        [](const ipclab::Args& args) {
            args.expect_at_least(1);
            const std::string& command = args[0];
            if (command == "init") {
                args.expect(3);
                init_counter(ipclab::key_of(args[1], args.proj_id(2)));
            } else if (command == "add") {
                args.expect(4);
                int proj_id = args.proj_id(2);
                auto n = static_cast<std::uint64_t>(args.integer(3, 1, kMaxN, "N"));
                add_to_counter(ipclab::key_of(args[1], proj_id), n);
            } else if (command == "finish") {
                args.expect(3);
                std::uint64_t value = finish_counter(ipclab::key_of(args[1], args.proj_id(2)));
                std::printf("%llu\n", static_cast<unsigned long long>(value));
                std::fflush(stdout);
            } else {
                throw ipclab::UsageError("unknown subcommand '" + command +
                                         "' (expected init, add or finish)");
            }
        });
}
