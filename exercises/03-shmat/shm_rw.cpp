// 03-shmat — Asociación de un puntero. Lee README.md (o README.en.md) antes de empezar.
#include "shm_rw.hpp"

#include <sys/ipc.h>
#include <sys/shm.h>

#include <cstring>
#include <string>

#include "ipclab/error.hpp"

void write_values(key_t key, const std::vector<std::int32_t>& values) {
    // TODO: obtén el segmento con shmget(key, (n+1)*sizeof(std::int32_t), IPC_CREAT | 0600)
    //       (n = values.size()). Permisos 0600, nunca el 0777 de la diapositiva.
    //       Si devuelve -1, lanza ipclab::SysError("shmget") (un segmento existente más pequeño
    //       da EINVAL).
    // TODO: asócialo en lectura/escritura: void *p = shmat(id, nullptr, 0). Los flags son 0, no
    //       NULL. shmat falla devolviendo (void *)-1, no NULL: compáralo y lanza
    //       ipclab::SysError("shmat").
    // TODO: usa el puntero como el int *arreglo de la diapositiva (std::int32_t *):
    //       arreglo[0] = n y arreglo[1..n] = los valores.
    // TODO: desasócialo con shmdt(p); si falla, ipclab::SysError("shmdt"). El segmento se queda.
    (void)key;
    (void)values;
}

Reading read_values(key_t key) {
    // TODO: busca el segmento existente con shmget(key, 0, 0): sin IPC_CREAT, el lector nunca
    //       crea nada. Si no existe (-1, ENOENT), lanza ipclab::SysError("shmget").
    // TODO: pide su tamaño con shmctl(id, IPC_STAT, &ds) (struct shmid_ds; ds.shm_segsz).
    // TODO: asócialo SOLO lectura: shmat(id, nullptr, SHM_RDONLY), así basta con permiso de
    //       lectura (un segmento 0400). Comprueba (void *)-1 -> ipclab::SysError("shmat").
    // TODO: lee la cuenta arreglo[0] y compruébala ANTES de leer más: si es negativa o
    //       (cuenta+1)*sizeof(std::int32_t) > shm_segsz, lanza
    //       ipclab::Failure("shm_read: corrupt segment: count N does not fit in S bytes")
    //       (¡desasocia antes de salir! Una clase con destructor que llame a shmdt lo garantiza).
    // TODO: copia los valores, súmalos en std::int64_t (INT32_MAX + INT32_MAX no cabe en int),
    //       desasocia con shmdt y devuelve el resultado.
    (void)key;
    return Reading{{}, 0};
}
