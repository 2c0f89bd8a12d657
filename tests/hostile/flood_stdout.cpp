// 100 MB on stdout, then the right answer: the output is cut at the limit and the report says so.
#include "ftok_key.hpp"
#include <sys/ipc.h>
#include <cstdio>
#include <string>
#include "ipclab/error.hpp"
key_t make_key(const std::string& path, int proj_id) {
    std::string chunk(1 << 20, 'x');
    for (int i = 0; i < 100; ++i) fwrite(chunk.data(), 1, chunk.size(), stdout);
    fflush(stdout);
    key_t key = ftok(path.c_str(), proj_id);
    if (key == -1) throw ipclab::SysError("ftok");
    return key;
}
