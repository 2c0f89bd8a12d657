// 03-shmat — reference solution.
#include "shm_rw.hpp"

#include <sys/ipc.h>
#include <sys/shm.h>

#include <cstring>
#include <string>

#include "ipclab/error.hpp"

namespace {

// One attachment of a segment. The destructor detaches, so an exception thrown between shmat
// and shmdt (a corrupt count) cannot leave nattch raised; detach() reports a failing shmdt.
class Attachment {
public:
    Attachment(int shmid, int flags) : addr_(shmat(shmid, nullptr, flags)) {
        // shmat reports failure with (void*)-1, never NULL: NULL could be a valid address.
        if (addr_ == reinterpret_cast<void*>(-1)) throw ipclab::SysError("shmat");
    }
    Attachment(const Attachment&) = delete;
    Attachment& operator=(const Attachment&) = delete;
    ~Attachment() {
        if (addr_ != nullptr) shmdt(addr_);
    }

    void* get() const { return addr_; }

    void detach() {
        void* addr = addr_;
        addr_ = nullptr;
        if (shmdt(addr) == -1) throw ipclab::SysError("shmdt");
    }

private:
    void* addr_;
};

constexpr std::size_t kSlot = sizeof(std::int32_t);

}  // namespace

void write_values(key_t key, const std::vector<std::int32_t>& values) {
    const std::size_t size = (values.size() + 1) * kSlot;
    // 0600: only the owner reads and writes; an existing segment smaller than size gives EINVAL.
    int shmid = shmget(key, size, IPC_CREAT | 0600);
    if (shmid == -1) throw ipclab::SysError("shmget");

    Attachment seg(shmid, 0);
    auto* arreglo = static_cast<std::int32_t*>(seg.get());
    arreglo[0] = static_cast<std::int32_t>(values.size());
    if (!values.empty()) std::memcpy(arreglo + 1, values.data(), values.size() * kSlot);
    seg.detach();
}

Reading read_values(key_t key) {
    // Size 0 and no IPC_CREAT: a reader only finds a segment, it never makes an empty one.
    int shmid = shmget(key, 0, 0);
    if (shmid == -1) throw ipclab::SysError("shmget");

    // The size the creator asked for is the only bound on what may be read.
    shmid_ds ds{};
    if (shmctl(shmid, IPC_STAT, &ds) == -1) throw ipclab::SysError("shmctl");
    const std::size_t segsz = ds.shm_segsz;

    // SHM_RDONLY needs only read permission, so a 0400 segment can still be read.
    Attachment seg(shmid, SHM_RDONLY);
    const auto* base = static_cast<const unsigned char*>(seg.get());
    if (segsz < kSlot) {
        throw ipclab::Failure("shm_read: corrupt segment: " + std::to_string(segsz) +
                              " bytes cannot hold the count");
    }
    std::int32_t count = 0;
    std::memcpy(&count, base, kSlot);  // read once: a writer may change it meanwhile
    // 64-bit arithmetic: (INT32_MAX + 1) * 4 must not overflow before the comparison.
    if (count < 0 || (static_cast<std::uint64_t>(count) + 1) * kSlot > segsz) {
        throw ipclab::Failure("shm_read: corrupt segment: count " + std::to_string(count) +
                              " does not fit in " + std::to_string(segsz) + " bytes");
    }

    Reading r{std::vector<std::int32_t>(static_cast<std::size_t>(count)), 0};
    if (count > 0) std::memcpy(r.values.data(), base + kSlot, r.values.size() * kSlot);
    seg.detach();
    for (std::int32_t v : r.values) r.sum += v;  // int64_t: INT32_MAX + INT32_MAX fits
    return r;
}
