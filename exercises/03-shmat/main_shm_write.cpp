// shm_write PATH PROJ_ID VALUE...: stores the values in the segment of (PATH, PROJ_ID).
// Prints nothing. Lab-provided.
#include <cstdint>
#include <vector>

#include "ipclab/program.hpp"
#include "shm_rw.hpp"

int main(int argc, char** argv) {
    return ipclab::run_program(argc, argv, "shm_write PATH PROJ_ID VALUE...",
                               [](const ipclab::Args& args) {
                                   args.expect_at_least(3);
                                   int proj_id = args.proj_id(1);
                                   std::vector<std::int32_t> values;
                                   for (std::size_t i = 2; i < args.size(); ++i)
                                       values.push_back(args.int32(i));
                                   write_values(ipclab::key_of(args[0], proj_id), values);
                               });
}
