// 02-shmget, modern C++17: the creation flags named once, as a constant.
#include "shm_create.hpp"

#include <sys/ipc.h>
#include <sys/shm.h>

#include "ipclab/error.hpp"

namespace {

constexpr int kOwnerReadWrite = 0600;
// Brand new or fail with EEXIST: never adopt a segment that someone else already made.
constexpr int kCreateNew = IPC_CREAT | IPC_EXCL | kOwnerReadWrite;

}  // namespace

int create_segment(key_t key, std::size_t size) {
    if (const int shmid = ::shmget(key, size, kCreateNew); shmid != -1) return shmid;
    throw ipclab::SysError{"shmget"};
}
