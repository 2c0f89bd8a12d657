// 06-semaphores — Exclusión mutua con semáforos System V. Lee README.md (o README.en.md) antes de
// empezar.
#include "sem_counter.hpp"

#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <cerrno>

#include "ipclab/error.hpp"

// TODO: define aquí la union semun que pide semctl(2) (la biblioteca de C NO la define):
//       un int val, un struct semid_ds *buf y un unsigned short *array.

int create_semaphore(key_t key) {
    // TODO: crea un conjunto NUEVO de 1 semáforo: semget(key, 1, IPC_CREAT | IPC_EXCL | 0600).
    //       Si devuelve -1, lanza ipclab::SysError("semget") (EEXIST: la clave ya está en uso).
    // TODO: dale valor 1 con semctl(semid, 0, SETVAL, arg), con arg una union semun y arg.val = 1.
    //       Pasa arg POR VALOR (no &arg). Sin SETVAL el valor no está definido (en Linux, 0) y
    //       el primer P se bloquea para siempre. Si semctl devuelve -1, borra el conjunto
    //       (semctl(semid, 0, IPC_RMID)) y lanza ipclab::SysError("semctl").
    // TODO: devuelve el semid.
    (void)key;
    return -1;
}

void sem_p(int semid) {
    // TODO: P: un struct sembuf con sem_num = 0, sem_op = -1 y sem_flg = SEM_UNDO, y
    //       semop(semid, &op, 1). SEM_UNDO: si el proceso muere dentro de la sección crítica,
    //       el núcleo devuelve la unidad y los demás no se quedan bloqueados para siempre.
    // TODO: si semop devuelve -1 con errno == EINTR (una señal interrumpió la espera), repítelo;
    //       con cualquier otro error, lanza ipclab::SysError("semop").
    (void)semid;
}

void sem_v(int semid) {
    // TODO: V: igual que sem_p pero con sem_op = +1 (y también SEM_UNDO, para que las dos
    //       operaciones se compensen).
    (void)semid;
}

void init_counter(key_t key) {
    // TODO: crea el segmento NUEVO del contador: shmget(key, sizeof(std::uint64_t),
    //       IPC_CREAT | IPC_EXCL | 0600); -1 -> ipclab::SysError("shmget"). El núcleo lo llena de
    //       ceros: el contador ya vale 0.
    // TODO: crea el semáforo con create_semaphore(key). Si falla, borra el segmento que acabas de
    //       crear (shmctl(shmid, IPC_RMID, nullptr)) antes de dejar salir la excepción: un init
    //       fallido no deja nada.
    (void)key;
}

void add_to_counter(key_t key, std::uint64_t n) {
    // TODO: busca los dos objetos YA creados: shmget(key, 0, 0) y semget(key, 0, 0), sin
    //       IPC_CREAT (-1 -> ipclab::SysError("shmget") / ipclab::SysError("semget")).
    // TODO: comprueba su tamaño: shmctl(shmid, IPC_STAT, &ds) (-1 -> ipclab::SysError("shmctl"));
    //       si ds.shm_segsz < sizeof(std::uint64_t), lanza ipclab::Failure("sem_counter: corrupt
    //       segment: S bytes cannot hold the counter") (S el tamaño) sin tocar nada.
    // TODO: asocia el segmento (shmat(shmid, nullptr, 0); error: (void *)-1 ->
    //       ipclab::SysError("shmat")) y míralo como un std::uint64_t *contador.
    // TODO: n veces: sem_p(semid); *contador += 1; sem_v(semid);  (la suma es leer-sumar-escribir:
    //       sin el semáforo, dos procesos a la vez pierden sumas).
    // TODO: desasocia con shmdt (-1 -> ipclab::SysError("shmdt")).
    (void)key;
    (void)n;
}

std::uint64_t finish_counter(key_t key) {
    // TODO: busca los dos objetos y comprueba el tamaño como en add_to_counter, asocia, lee el
    //       contador y desasocia. Si algo de esto falla, no borres nada.
    // TODO: bórralos: shmctl(shmid, IPC_RMID, nullptr) (-1 -> ipclab::SysError("shmctl")) y
    //       semctl(semid, 0, IPC_RMID) (-1 -> ipclab::SysError("semctl")). Sin IPC_RMID siguen
    //       existiendo cuando todos los procesos han terminado (míralo con ipcs -s / ipcs -m).
    // TODO: devuelve el valor leído.
    (void)key;
    return 0;
}
