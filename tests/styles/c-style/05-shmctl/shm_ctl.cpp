/* 05-shmctl, written C-style: a zeroed struct, field-by-field copies, NULL for IPC_RMID. */
#include "shm_ctl.hpp"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>

#include "ipclab/error.hpp"

#define PERM_BITS (S_IRWXU | S_IRWXG | S_IRWXO)   /* 0777 */

SegmentInfo stat_segment(key_t key)
{
    SegmentInfo out;
    struct shmid_ds ds;
    int seg_id;

    seg_id = shmget(key, 0, 0);
    if (seg_id == -1)
        throw ipclab::SysError("shmget", errno);

    memset(&ds, 0, sizeof ds);
    if (shmctl(seg_id, IPC_STAT, &ds) == -1)
        throw ipclab::SysError("shmctl", errno);

    memset(&out, 0, sizeof out);
    out.key = ds.shm_perm.__key;
    out.shmid = seg_id;
    out.size = (size_t)ds.shm_segsz;
    out.perms = (unsigned)(ds.shm_perm.mode & PERM_BITS);
    out.cpid = ds.shm_cpid;
    out.lpid = ds.shm_lpid;
    out.nattch = (unsigned long)ds.shm_nattch;
    out.atime = ds.shm_atime;
    out.dtime = ds.shm_dtime;
    out.ctime = ds.shm_ctime;
    return out;
}

int remove_segment(key_t key)
{
    int seg_id = shmget(key, 0, 0);
    if (seg_id == -1)
        throw ipclab::SysError("shmget", errno);
    if (shmctl(seg_id, IPC_RMID, NULL) == -1)
        throw ipclab::SysError("shmctl", errno);
    return seg_id;
}
