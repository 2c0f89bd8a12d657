// mq_server PATH PROJ_ID: creates the queue of (PATH, PROJ_ID), prints "ready" and answers
// requests until one says "quit"; then removes the queue. Lab-provided.
#include <iostream>

#include "ipclab/program.hpp"
#include "mq_chat.hpp"

int main(int argc, char** argv) {
    return ipclab::run_program(argc, argv, "mq_server PATH PROJ_ID", [](const ipclab::Args& args) {
        args.expect(2);
        run_server(ipclab::key_of(args[0], args.proj_id(1)), [] {
            std::cout << "ready\n" << std::flush;
        });
    });
}
