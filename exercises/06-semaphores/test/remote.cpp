// The functions of sem_counter.hpp the unit tests call in the worker (lab/include/ipclab/remote.hpp).
#include "sem_counter.hpp"
#include "ipclab/remote.hpp"

IPCLAB_REMOTE(create_semaphore, int, (key_t key), (key))
IPCLAB_REMOTE(sem_p, void, (int semid), (semid))
IPCLAB_REMOTE(sem_v, void, (int semid), (semid))
IPCLAB_REMOTE(init_counter, void, (key_t key), (key))
IPCLAB_REMOTE(add_to_counter, void, (key_t key, std::uint64_t n), (key, n))
IPCLAB_REMOTE(finish_counter, std::uint64_t, (key_t key), (key))
