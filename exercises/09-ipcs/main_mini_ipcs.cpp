// mini_ipcs: prints the shared-memory table as util-linux `ipcs -m` does. Lab-provided.
#include <iostream>

#include "ipclab/program.hpp"
#include "mini_ipcs.hpp"

int main(int argc, char** argv) {
    return ipclab::run_program(argc, argv, "mini_ipcs", [](const ipclab::Args& args) {
        args.expect(0);
        const std::vector<ShmRow> rows = list_segments();
        // util-linux's header: "%-10s %-10s %-10s %-10s %-10s %-10s %-12s", after a blank line.
        std::cout
            << "\n------ Shared Memory Segments --------\n"
            << "key        shmid      owner      perms      bytes      nattch     status      \n";
        for (const ShmRow& row : rows) std::cout << format_row(row) << '\n';
        std::cout << '\n' << std::flush;
    });
}
