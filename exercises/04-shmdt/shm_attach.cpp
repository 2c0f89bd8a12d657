// 04-shmdt — Desasociación. Lee README.md (o README.en.md) antes de empezar.
#include "shm_attach.hpp"

#include <sys/ipc.h>
#include <sys/shm.h>

#include <limits>
#include <string>

#include "ipclab/error.hpp"

void* attach_segment(key_t key) {
    // TODO: obtén el id del segmento que YA existe: shmget(key, 0, 0). Sin IPC_CREAT:
    //       este programa nunca crea segmentos. Si devuelve -1, lanza ipclab::SysError("shmget").
    // TODO: asócialo con shmat(id, nullptr, 0). Ojo: shmat indica el error con (void *)-1,
    //       no con NULL. En ese caso lanza ipclab::SysError("shmat").
    // TODO: devuelve la dirección que te dio shmat (la necesitarás para shmdt).
    (void)key;
    return nullptr;
}

void detach_segment(const void* addr) {
    // TODO: desasocia con shmdt(addr): la MISMA dirección que devolvió shmat, no &addr.
    // TODO: si shmdt devuelve -1, lanza ipclab::SysError("shmdt").
    (void)addr;
}

void attach_session(key_t key, std::istream& in, std::ostream& out) {
    // TODO: 1. asóciate con attach_segment(key) y guarda la dirección.
    // TODO: 2. escribe "attached\n" en out y VACÍA el búfer (std::flush o std::endl) antes de
    //          esperar: si no, quien lee tu salida no verá nada mientras estás bloqueado.
    // TODO: 3. lee una línea de in con std::getline.
    // TODO: 4. desasóciate con detach_segment(dirección) ANTES de escribir "detached".
    // TODO: 5. escribe "detached\n" en out y vacía el búfer.
    // TODO: 6. lee in hasta el final de la entrada (por ejemplo, in.ignore(...) con
    //          std::numeric_limits<std::streamsize>::max()) y vuelve.
    // Nunca borres el segmento (nada de IPC_RMID): eso es el ejercicio 05.
    (void)key;
    (void)in;
    (void)out;
}
