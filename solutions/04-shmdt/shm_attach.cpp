// 04-shmdt — reference solution.
#include "shm_attach.hpp"

#include <sys/ipc.h>
#include <sys/shm.h>

#include <limits>
#include <string>

#include "ipclab/error.hpp"

void* attach_segment(key_t key) {
    // Size 0 and no IPC_CREAT: this program joins a segment someone else made, never makes one.
    int shmid = shmget(key, 0, 0);
    if (shmid == -1) {
        throw ipclab::SysError("shmget");
    }
    void* addr = shmat(shmid, nullptr, 0);
    // shmat signals failure with (void *)-1; NULL would never be returned, so testing it misses errors.
    if (addr == reinterpret_cast<void*>(-1)) {
        throw ipclab::SysError("shmat");
    }
    return addr;
}

void detach_segment(const void* addr) {
    // shmdt wants the address shmat returned; anything else (e.g. &p) is EINVAL.
    if (shmdt(addr) == -1) {
        throw ipclab::SysError("shmdt");
    }
}

namespace {

// One attachment of this process. The normal path detaches explicitly (and checks the result);
// the destructor only covers the paths where reading or writing throws, so no exit from
// attach_session can leave the segment attached.
class Attachment {
public:
    explicit Attachment(key_t key) : addr_(attach_segment(key)) {}
    ~Attachment() {
        if (addr_ != nullptr) shmdt(addr_);  // already unwinding: nothing useful to report
    }
    Attachment(const Attachment&) = delete;
    Attachment& operator=(const Attachment&) = delete;

    void detach() {
        detach_segment(addr_);
        addr_ = nullptr;
    }

private:
    const void* addr_;
};

}  // namespace

void attach_session(key_t key, std::istream& in, std::ostream& out) {
    Attachment segment(key);
    // Whoever drives us waits for this line before writing ours: flush before blocking on `in`.
    out << "attached" << std::endl;

    std::string line;
    std::getline(in, line);

    segment.detach();
    out << "detached" << std::endl;

    // Stay alive, detached, until the input ends: the driver observes nattch while we still run.
    in.ignore(std::numeric_limits<std::streamsize>::max());
}
