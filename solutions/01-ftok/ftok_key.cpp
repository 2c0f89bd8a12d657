// 01-ftok — reference solution.
#include "ftok_key.hpp"

#include <sys/ipc.h>

#include "ipclab/error.hpp"

key_t make_key(const std::string& path, int proj_id) {
    key_t key = ftok(path.c_str(), proj_id);
    if (key == -1) {
        // An unchecked -1 is a valid-looking key (0xffffffff) that every failing caller shares.
        throw ipclab::SysError("ftok");
    }
    return key;
}
