// The functions of shm_ctl.hpp the unit tests call in the worker (lab/include/ipclab/remote.hpp).
#include "shm_ctl.hpp"
#include "ipclab/remote.hpp"

IPCLAB_REMOTE(stat_segment, SegmentInfo, (key_t key), (key))
IPCLAB_REMOTE(remove_segment, int, (key_t key), (key))
