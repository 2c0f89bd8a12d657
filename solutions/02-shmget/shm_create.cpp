// 02-shmget — reference solution.
#include "shm_create.hpp"

#include <sys/ipc.h>
#include <sys/shm.h>

#include "ipclab/error.hpp"

int create_segment(key_t key, std::size_t size) {
    // IPC_EXCL: a key already in use is someone else's segment; reusing it silently would
    // share (and maybe clobber) their data. 0600: only the owner may read and write.
    int shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1) {
        throw ipclab::SysError("shmget");
    }
    return shmid;
}
