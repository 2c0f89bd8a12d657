// 02-shmget — Creación del espacio de memoria. Lee README.md (o README.en.md) antes de empezar.
#include "shm_create.hpp"

#include <sys/ipc.h>
#include <sys/shm.h>

#include "ipclab/error.hpp"

int create_segment(key_t key, std::size_t size) {
    // TODO: crea un segmento NUEVO con shmget(key, size, IPC_CREAT | IPC_EXCL | 0600).
    //       - IPC_EXCL: si la clave ya está en uso, shmget debe fallar (EEXIST) en vez de
    //         devolver el segmento de otro.
    //       - 0600 (lectura y escritura solo para el dueño), nunca el 0777 de la diapositiva.
    //       - size es size_t y va tal cual: el segmento debe medir exactamente size bytes.
    // TODO: si shmget devuelve -1, lanza ipclab::SysError("shmget") justo después de la llamada.
    // TODO: devuelve el shmid. No llames a shmat: el segmento debe quedar sin procesos asociados.
    (void)key;
    (void)size;
    return -1;
}
