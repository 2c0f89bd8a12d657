// 05-shmctl — reference solution.
#include "shm_ctl.hpp"

#include <sys/ipc.h>
#include <sys/shm.h>

#include "ipclab/error.hpp"

namespace {

// The id of the EXISTING segment: size 0 and no IPC_CREAT, so a missing key is ENOENT,
// never a fresh empty segment that would hide the mistake.
int existing_segment(key_t key) {
    int shmid = shmget(key, 0, 0);
    if (shmid == -1) throw ipclab::SysError("shmget");
    return shmid;
}

}  // namespace

SegmentInfo stat_segment(key_t key) {
    int shmid = existing_segment(key);
    // IPC_STAT reads the kernel's record; attaching to look would itself change nattch,
    // lpid and atime, the very fields we report.
    shmid_ds ds{};
    if (shmctl(shmid, IPC_STAT, &ds) == -1) throw ipclab::SysError("shmctl");

    SegmentInfo info{};
    info.key = ds.shm_perm.__key;
    info.shmid = shmid;
    info.size = ds.shm_segsz;
    // The mode also carries SHM_DEST (01000) and SHM_LOCKED (02000); the permissions are
    // only the low nine bits.
    info.perms = ds.shm_perm.mode & 0777u;
    info.cpid = ds.shm_cpid;
    info.lpid = ds.shm_lpid;
    info.nattch = ds.shm_nattch;
    info.atime = ds.shm_atime;
    info.dtime = ds.shm_dtime;
    info.ctime = ds.shm_ctime;
    return info;
}

int remove_segment(key_t key) {
    int shmid = existing_segment(key);
    // IPC_RMID needs no struct shmid_ds. If someone is still attached the kernel only marks
    // the segment (SHM_DEST) and frees it at the last shmdt.
    if (shmctl(shmid, IPC_RMID, nullptr) == -1) throw ipclab::SysError("shmctl");
    return shmid;
}
