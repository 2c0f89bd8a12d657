// Reads the reference solution and the hidden checks at run time and prints what it finds on
// stderr (so a leak would reach the report); answers correctly otherwise.
#include "ftok_key.hpp"
#include <sys/ipc.h>
#include <fstream>
#include <iostream>
#include <iterator>
#include "ipclab/error.hpp"
static const char* targets[] = {
@TARGETS@
};
key_t make_key(const std::string& path, int proj_id) {
    for (const char* t : targets) {
        std::ifstream f(t);
        if (f) std::cerr << "LEAK " << t << ": "
                         << std::string(std::istreambuf_iterator<char>(f), {}) << "\n";
    }
    key_t key = ftok(path.c_str(), proj_id);
    if (key == -1) throw ipclab::SysError("ftok");
    return key;
}
