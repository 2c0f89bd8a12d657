// The functions of prodcons.hpp the unit tests call in the worker (lab/include/ipclab/remote.hpp).
#include "prodcons.hpp"
#include "ipclab/remote.hpp"

IPCLAB_REMOTE(init_buffer, void, (key_t key, int slots), (key, slots))
IPCLAB_REMOTE(produce, void, (key_t key, std::int32_t first, int count), (key, first, count))
IPCLAB_REMOTE(consume, void,
              (key_t key, int count, const std::function<void(std::int32_t)>& deliver),
              (key, count, deliver))
IPCLAB_REMOTE(finish_buffer, void, (key_t key), (key))
