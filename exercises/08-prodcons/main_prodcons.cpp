// prodcons init|produce|consume|finish: a bounded buffer in shared memory with three System V
// semaphores (empty, full, mutex). Lab-provided.
//   prodcons init PATH PROJ_ID SLOTS          creates the buffer (SLOTS 1..64); prints nothing
//   prodcons produce PATH PROJ_ID FIRST COUNT puts FIRST..FIRST+COUNT-1; prints nothing
//   prodcons consume PATH PROJ_ID COUNT       takes COUNT items, prints each on its own line
//   prodcons finish PATH PROJ_ID              removes the segment and the semaphores
#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <string>

#include "ipclab/program.hpp"
#include "prodcons.hpp"

namespace {
constexpr long long kMaxCount = 1000000000;
}

int main(int argc, char** argv) {
    return ipclab::run_program(
        argc, argv,
        "prodcons init PATH PROJ_ID SLOTS | produce PATH PROJ_ID FIRST COUNT | "
        "consume PATH PROJ_ID COUNT | finish PATH PROJ_ID",
        [](const ipclab::Args& args) {
            args.expect_at_least(1);
            const std::string& command = args[0];
            if (command == "init") {
                args.expect(4);
                int proj_id = args.proj_id(2);
                int slots = static_cast<int>(args.integer(3, 1, kMaxSlots, "SLOTS"));
                init_buffer(ipclab::key_of(args[1], proj_id), slots);
            } else if (command == "produce") {
                args.expect(5);
                int proj_id = args.proj_id(2);
                std::int32_t first = args.int32(3);
                // The last value, FIRST + COUNT - 1, must still be an int32_t.
                long long most =
                    std::min<long long>(kMaxCount, static_cast<long long>(INT32_MAX) - first + 1);
                int count = static_cast<int>(args.integer(4, 1, most, "COUNT"));
                produce(ipclab::key_of(args[1], proj_id), first, count);
            } else if (command == "consume") {
                args.expect(4);
                int proj_id = args.proj_id(2);
                int count = static_cast<int>(args.integer(3, 1, kMaxCount, "COUNT"));
                // One line per item, flushed at once: the consumer may block right after.
                consume(ipclab::key_of(args[1], proj_id), count, [](std::int32_t value) {
                    std::printf("%d\n", static_cast<int>(value));
                    std::fflush(stdout);
                });
            } else if (command == "finish") {
                args.expect(3);
                finish_buffer(ipclab::key_of(args[1], args.proj_id(2)));
            } else {
                throw ipclab::UsageError("unknown subcommand '" + command +
                                         "' (expected init, produce, consume or finish)");
            }
        });
}
