// The functions of shm_create.hpp the unit tests call in the worker (lab/include/ipclab/remote.hpp).
#include "shm_create.hpp"
#include "ipclab/remote.hpp"

IPCLAB_REMOTE(create_segment, int, (key_t key, std::size_t size), (key, size))
