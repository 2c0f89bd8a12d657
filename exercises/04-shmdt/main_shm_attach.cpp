// shm_attach PATH PROJ_ID: attaches to the existing segment of (PATH, PROJ_ID), prints
// "attached", waits for one line on stdin, detaches, prints "detached", waits for the end of
// stdin. Lab-provided.
#include <iostream>

#include "ipclab/program.hpp"
#include "shm_attach.hpp"

int main(int argc, char** argv) {
    return ipclab::run_program(argc, argv, "shm_attach PATH PROJ_ID", [](const ipclab::Args& args) {
        args.expect(2);
        key_t key = ipclab::key_of(args[0], args.proj_id(1));
        // run_program unties std::cin from std::cout: attach_session flushes its own lines.
        attach_session(key, std::cin, std::cout);
    });
}
