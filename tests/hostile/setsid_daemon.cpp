// A daemon: forks, escapes with setsid, keeps a segment attached and sleeps; the parent
// answers correctly. The PID namespace kills it with the check; the leftover costs points.
#include "ftok_key.hpp"
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>
#include "ipclab/error.hpp"
key_t make_key(const std::string& path, int proj_id) {
    if (fork() == 0) {
        setsid();
        if (fork() == 0) {
            int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
            if (id != -1) shmat(id, nullptr, 0);
            for (;;) pause();
        }
        _exit(0);
    }
    key_t key = ftok(path.c_str(), proj_id);
    if (key == -1) throw ipclab::SysError("ftok");
    return key;
}
