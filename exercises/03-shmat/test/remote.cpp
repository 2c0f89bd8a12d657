// The functions of shm_rw.hpp the unit tests call in the worker (lab/include/ipclab/remote.hpp).
#include "shm_rw.hpp"
#include "ipclab/remote.hpp"

// A Reading holds a vector: it travels member by member.
template <>
struct ipclab::remote::Wire<Reading> : ipclab::remote::Fields<&Reading::values, &Reading::sum> {};

IPCLAB_REMOTE(write_values, void, (key_t key, const std::vector<std::int32_t>& values),
              (key, values))
IPCLAB_REMOTE(read_values, Reading, (key_t key), (key))
