// 08-prodcons — Productor y consumidor con un búfer acotado. Lee README.md (o README.en.md) antes
// de empezar.
#include "prodcons.hpp"

#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <cerrno>
#include <string>

#include "ipclab/error.hpp"

// TODO: define la union semun que pide semctl(2) (int val; struct semid_ds *buf;
//       unsigned short *array;) y una función auxiliar para P y V, por ejemplo
//       void cambiar(int semid, unsigned short num, short delta, short flags), que haga
//       semop con un struct sembuf {num, delta, flags} y lo repita si errno == EINTR
//       (cualquier otro error: ipclab::SysError("semop")).
//       SEM_UNDO solo en kMutex: una unidad de empty o de full la toma un proceso y la devuelve
//       otro; si el núcleo la «deshiciera» al salir el primero, contaría huecos o elementos de más.

void init_buffer(key_t key, int slots) {
    // TODO: crea el segmento NUEVO: shmget(key, (kHeader + slots) * sizeof(std::int32_t),
    //       IPC_CREAT | IPC_EXCL | 0600); -1 -> ipclab::SysError("shmget").
    // TODO: asócialo (shmat(shmid, nullptr, 0); (void *)-1 -> ipclab::SysError("shmat")) y
    //       escribe arreglo[kSlotsAt] = slots, arreglo[kInAt] = 0, arreglo[kOutAt] = 0; shmdt.
    // TODO: crea el conjunto NUEVO de 3 semáforos: semget(key, 3, IPC_CREAT | IPC_EXCL | 0600)
    //       (-1 -> ipclab::SysError("semget")) y dale valores {slots, 0, 1} (empty, full, mutex)
    //       con semctl(semid, 0, SETALL, arg), arg.array apuntando a un unsigned short[3]
    //       (-1 -> ipclab::SysError("semctl")). Sin esto los valores no están definidos.
    // TODO: si algo falla a mitad, borra lo que ya hayas creado (IPC_RMID) antes de relanzar.
    (void)key;
    (void)slots;
}

void produce(key_t key, std::int32_t first, int count) {
    // TODO: busca los objetos existentes: shmget(key, 0, 0) y semget(key, 0, 0), sin IPC_CREAT
    //       (-1 -> ipclab::SysError("shmget") / ipclab::SysError("semget")). Asocia el segmento.
    // TODO: no te fíes del segmento: shmctl(shmid, IPC_STAT, &ds) (-1 -> ipclab::SysError("shmctl"))
    //       y comprueba SLOTS; dentro del mutex, comprueba in. Si el búfer está corrupto, devuelve
    //       lo que tomaste para ese elemento y lanza ipclab::Failure (mensajes exactos: README.md,
    //       «No confíes a ciegas en el segmento»).
    // TODO: para cada valor first + i (i de 0 a count-1):
    //         P(empty)   espera un hueco libre (dormido en semop, nunca en un bucle que pregunta)
    //         P(mutex)   ¡en este orden! Esperar un hueco con el mutex tomado bloquea a todos
    //         arreglo[kHeader + in] = valor; in = (in + 1) % SLOTS
    //         V(mutex)
    //         V(full)    un elemento más para los consumidores
    // TODO: desasocia con shmdt (-1 -> ipclab::SysError("shmdt")).
    (void)key;
    (void)first;
    (void)count;
}

void consume(key_t key, int count, const std::function<void(std::int32_t)>& deliver) {
    // TODO: como produce, pero count veces:
    //         P(full)    espera un elemento
    //         P(mutex)
    //         valor = arreglo[kHeader + out]; out = (out + 1) % SLOTS
    //         V(mutex)
    //         V(empty)   un hueco más para los productores
    //         deliver(valor)   fuera de la sección crítica (imprimir puede bloquear)
    (void)key;
    (void)count;
    (void)deliver;
}

void finish_buffer(key_t key) {
    // TODO: busca los dos objetos (sin IPC_CREAT) y bórralos: shmctl(shmid, IPC_RMID, nullptr)
    //       (-1 -> ipclab::SysError("shmctl")) y semctl(semid, 0, IPC_RMID)
    //       (-1 -> ipclab::SysError("semctl")).
    (void)key;
}
