// 09-ipcs — Tus propios ipcs e ipcrm. Lee README.md (o README.en.md) antes de empezar.
#include "mini_ipcs.hpp"

#include <pwd.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ipclab/error.hpp"

std::vector<ShmRow> list_segments() {
    // TODO: pide el índice más alto en uso con
    //       shm_info info{}; int max = shmctl(0, SHM_INFO, reinterpret_cast<shmid_ds*>(&info));
    //       (-1 -> ipclab::SysError("shmctl")).
    // TODO: para cada ÍNDICE 0..max, shmctl(indice, SHM_STAT, &ds) devuelve el shmid y rellena
    //       ds. Un índice libre da -1 con EINVAL (y uno sin permiso de lectura, EACCES): sáltalo.
    //       Ojo: el shmid NO es el índice (se reutilizan con otro número de secuencia).
    // TODO: guarda en cada ShmRow key (ds.shm_perm.__key), shmid, uid (ds.shm_perm.uid), mode
    //       (ds.shm_perm.mode, con los bits SHM_DEST y SHM_LOCKED), bytes y nattch.
    //       Nada de system("ipcs") ni popen: los datos salen de shmctl.
    return {};
}

std::string format_row(const ShmRow& row) {
    // TODO: el dueño es getpwuid(row.uid)->pw_name, o el uid en decimal si getpwuid da nullptr.
    // TODO: forma la línea con snprintf y el formato de ipcs:
    //       "0x%08x %-10d %-10s %-10o %-10zu %-10lu %-6s %-6s"
    //       clave en hexadecimal, permisos en octal (row.mode & 0777), y al final "dest" si
    //       row.mode tiene SHM_DEST (si no, " ") y "locked" si tiene SHM_LOCKED (si no, " ").
    (void)row;
    return "";
}

key_t parse_key(const std::string& text) {
    // TODO: convierte con std::strtoull(text.c_str(), &end, 0): base 0, como ipcrm, para que
    //       "0x1234abcd" sea hexadecimal (con base 10 se leería 0 y pararía en la 'x').
    // TODO: el texto debe empezar por una cifra, usarse entero (*end == '\0') y caber en 32 bits;
    //       si no, lanza ipclab::UsageError("failed to parse argument: '" + text + "'").
    (void)text;
    return 0;
}

void remove_id(int shmid) {
    // TODO: shmctl(shmid, IPC_RMID, nullptr); si devuelve -1, lanza ipclab::SysError("shmctl").
    (void)shmid;
}

void remove_key(key_t key) {
    // TODO: busca el id con shmget(key, 0, 0) (-1 -> ipclab::SysError("shmget")) y llama a
    //       remove_id con él.
    (void)key;
}
