// The functions of ftok_key.hpp the unit tests call in the worker (lab/include/ipclab/remote.hpp).
#include "ftok_key.hpp"
#include "ipclab/remote.hpp"

IPCLAB_REMOTE(make_key, key_t, (const std::string& path, int proj_id), (path, proj_id))
