/* 02-shmget, written C-style: the flags spelled out bit by bit. */
#include "shm_create.hpp"

#include <errno.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>

#include "ipclab/error.hpp"

int create_segment(key_t key, std::size_t size)
{
    int how = IPC_EXCL | IPC_CREAT;   /* a brand-new segment or nothing */
    int id;

    how |= S_IRUSR | S_IWUSR;         /* == 0600: owner reads and writes, nobody else */
    id = shmget(key, size, how);
    if (id < 0)
        throw ipclab::SysError("shmget", errno);
    return id;
}
