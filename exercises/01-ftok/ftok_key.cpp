// 01-ftok — Obtención de clave única. Lee README.md (o README.en.md) antes de empezar.
#include "ftok_key.hpp"

#include <sys/ipc.h>

#include "ipclab/error.hpp"

key_t make_key(const std::string& path, int proj_id) {
    // TODO: obtén la clave con ftok(path.c_str(), proj_id).
    // TODO: si ftok devuelve -1, lanza ipclab::SysError("ftok") (guarda errno y nombra la llamada).
    //       Devolver -1 sin avisar haría que shmget use la clave 0xffffffff sin que nadie lo note.
    (void)path;
    (void)proj_id;
    return 0;
}
