// shm_read PATH PROJ_ID: prints the values of the segment of (PATH, PROJ_ID) on one line,
// separated by single spaces, then sum=S. Lab-provided.
#include <iostream>

#include "ipclab/program.hpp"
#include "shm_rw.hpp"

int main(int argc, char** argv) {
    return ipclab::run_program(argc, argv, "shm_read PATH PROJ_ID", [](const ipclab::Args& args) {
        args.expect(2);
        Reading r = read_values(ipclab::key_of(args[0], args.proj_id(1)));
        for (std::size_t i = 0; i < r.values.size(); ++i) {
            if (i > 0) std::cout << ' ';
            std::cout << r.values[i];
        }
        std::cout << '\n' << std::flush;
        std::cout << "sum=" << r.sum << '\n' << std::flush;
    });
}
