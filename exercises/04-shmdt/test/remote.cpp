// The functions of shm_attach.hpp the unit tests call in the worker (lab/include/ipclab/remote.hpp).
#include <sys/ipc.h>
#include <sys/shm.h>

#include "shm_attach.hpp"
#include "ipclab/error.hpp"
#include "ipclab/remote.hpp"

IPCLAB_REMOTE(attach_segment, void*, (key_t key), (key))
IPCLAB_REMOTE(detach_segment, void, (const void* addr), (addr))
IPCLAB_REMOTE(attach_session, void, (key_t key, std::istream& in, std::ostream& out),
              (key, in, out))

// The lab's own attach, made in the worker: a test of detach_segment needs an attachment of
// the process that runs the student's code, and must not take it from attach_segment.
namespace shmdt_test {
void* worker_shmat(int shmid);
}

#ifdef IPCLAB_REMOTE_WORKER
void* shmdt_test::worker_shmat(int shmid) {
    void* addr = shmat(shmid, nullptr, 0);
    if (addr == reinterpret_cast<void*>(-1)) throw ipclab::SysError("shmat");
    return addr;
}
static const bool ipclab_enlisted_worker_shmat =
    ::ipclab::remote::enlist("shmdt_test.worker_shmat", &shmdt_test::worker_shmat);
#else
void* shmdt_test::worker_shmat(int shmid) {
    return ::ipclab::remote::Call<void*(int)>::run("shmdt_test.worker_shmat", shmid);
}
#endif
