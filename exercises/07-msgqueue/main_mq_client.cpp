// mq_client PATH PROJ_ID TEXT: sends TEXT to the server of (PATH, PROJ_ID) and prints the
// answer addressed to this process's pid. Lab-provided.
#include <iostream>
#include <string>

#include "ipclab/program.hpp"
#include "mq_chat.hpp"

int main(int argc, char** argv) {
    return ipclab::run_program(
        argc, argv, "mq_client PATH PROJ_ID TEXT", [](const ipclab::Args& args) {
            args.expect(3);
            int proj_id = args.proj_id(1);
            const std::string& text = args[2];
            // The text travels in a char[kTextMax] with its '\0': a longer one does not fit.
            if (text.size() > kTextMax - 1) {
                throw ipclab::UsageError("TEXT has " + std::to_string(text.size()) +
                                         " bytes; at most " + std::to_string(kTextMax - 1));
            }
            std::cout << ask(ipclab::key_of(args[0], proj_id), text) << '\n' << std::flush;
        });
}
