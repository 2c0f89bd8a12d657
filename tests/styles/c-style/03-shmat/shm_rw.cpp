/* 03-shmat, written C-style: raw pointers, index loops, explicit shmdt on every way out. */
#include "shm_rw.hpp"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>

#include "ipclab/error.hpp"

#define SLOT_BYTES sizeof(int32_t)

void write_values(key_t key, const std::vector<std::int32_t>& values)
{
    size_t how_many = values.size();
    size_t bytes = (how_many + 1) * SLOT_BYTES;
    int seg_id;
    void *raw;
    int32_t *arreglo;
    size_t i;

    seg_id = shmget(key, bytes, IPC_CREAT | S_IRUSR | S_IWUSR);
    if (seg_id == -1)
        throw ipclab::SysError("shmget", errno);

    raw = shmat(seg_id, NULL, 0);
    if (raw == (void *)-1)
        throw ipclab::SysError("shmat", errno);

    arreglo = (int32_t *)raw;
    arreglo[0] = (int32_t)how_many;
    for (i = 0; i < how_many; i++)
        arreglo[i + 1] = values[i];

    if (shmdt(raw) == -1)
        throw ipclab::SysError("shmdt", errno);
}

Reading read_values(key_t key)
{
    Reading result;
    struct shmid_ds desc;
    int seg_id;
    void *raw;
    const unsigned char *bytes;
    int32_t count;
    size_t segsz;
    size_t i;
    int32_t item;
    char why[160];

    result.sum = 0;

    seg_id = shmget(key, 0, 0);              /* no IPC_CREAT: find, never make */
    if (seg_id == -1)
        throw ipclab::SysError("shmget", errno);

    memset(&desc, 0, sizeof desc);
    if (shmctl(seg_id, IPC_STAT, &desc) == -1)
        throw ipclab::SysError("shmctl", errno);
    segsz = (size_t)desc.shm_segsz;

    raw = shmat(seg_id, NULL, SHM_RDONLY);
    if (raw == (void *)-1)
        throw ipclab::SysError("shmat", errno);
    bytes = (const unsigned char *)raw;

    if (segsz < SLOT_BYTES) {
        snprintf(why, sizeof why, "shm_read: corrupt segment: %zu bytes cannot hold the count",
                 segsz);
        goto corrupt;
    }
    memcpy(&count, bytes, SLOT_BYTES);       /* one read: the writer may change it */
    if (count < 0 || ((uint64_t)count + 1) * SLOT_BYTES > (uint64_t)segsz) {
        snprintf(why, sizeof why, "shm_read: corrupt segment: count %ld does not fit in %zu bytes",
                 (long)count, segsz);
        goto corrupt;
    }

    try {
        result.values.reserve((size_t)count);
        for (i = 0; i < (size_t)count; i++) {
            memcpy(&item, bytes + (i + 1) * SLOT_BYTES, SLOT_BYTES);
            result.values.push_back(item);
            result.sum += (int64_t)item;
        }
    } catch (...) {
        shmdt(raw);
        throw;
    }

    if (shmdt(raw) == -1)
        throw ipclab::SysError("shmdt", errno);
    return result;

corrupt:
    shmdt(raw);
    throw ipclab::Failure(why);
}
