// The functions of mini_ipcs.hpp the unit tests call in the worker (lab/include/ipclab/remote.hpp).
// ShmRow is plain data and travels as its bytes; parse_key's ipclab::UsageError, like any std
// exception a wrong parse_key throws instead (std::invalid_argument from std::stoul, ...),
// keeps its type.
#include "mini_ipcs.hpp"
#include "ipclab/remote.hpp"

IPCLAB_REMOTE(list_segments, std::vector<ShmRow>, (), ())
IPCLAB_REMOTE(format_row, std::string, (const ShmRow& row), (row))
IPCLAB_REMOTE(parse_key, key_t, (const std::string& text), (text))
IPCLAB_REMOTE(remove_id, void, (int shmid), (shmid))
IPCLAB_REMOTE(remove_key, void, (key_t key), (key))
