// ftok_key PATH PROJ_ID: prints the key of (PATH, PROJ_ID) as 0x%08x. Lab-provided.
#include <cstdio>

#include "ftok_key.hpp"
#include "ipclab/program.hpp"

int main(int argc, char** argv) {
    return ipclab::run_program(argc, argv, "ftok_key PATH PROJ_ID", [](const ipclab::Args& args) {
        args.expect(2);
        key_t key = make_key(args[0], args.proj_id(1));
        std::printf("0x%08x\n", static_cast<unsigned>(key));
        std::fflush(stdout);
    });
}
