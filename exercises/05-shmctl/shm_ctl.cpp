// 05-shmctl — Liberación de recursos y struct shmid_ds. Lee README.md (o README.en.md) antes de empezar.
#include "shm_ctl.hpp"

#include <sys/ipc.h>
#include <sys/shm.h>

#include "ipclab/error.hpp"

SegmentInfo stat_segment(key_t key) {
    // TODO: obtén el id del segmento QUE YA EXISTE con shmget(key, 0, 0) (sin IPC_CREAT:
    //       si no existe, es un error). Si devuelve -1, lanza ipclab::SysError("shmget").
    // TODO: pide al núcleo su struct shmid_ds (¡no shm_id_ds!) con shmctl(id, IPC_STAT, &ds).
    //       Si devuelve -1, lanza ipclab::SysError("shmctl").
    //       No uses shmat para "mirar": asociarte cambia nattch, lpid y atime.
    // TODO: copia cada campo en SegmentInfo: key (ds.shm_perm.__key), shmid, size (shm_segsz),
    //       perms (solo los nueve bits bajos: shm_perm.mode & 0777, en octal), cpid, lpid,
    //       nattch, atime, dtime, ctime.
    (void)key;
    SegmentInfo info{};
    info.shmid = -1;
    return info;
}

int remove_segment(key_t key) {
    // TODO: obtén el id del segmento que ya existe con shmget(key, 0, 0); -1 ->
    //       ipclab::SysError("shmget").
    // TODO: libéralo con shmctl(id, IPC_RMID, NULL) (para IPC_RMID el tercer argumento puede ser
    //       NULL). Si devuelve -1, lanza ipclab::SysError("shmctl").
    // TODO: devuelve el id del segmento.
    (void)key;
    return -1;
}
