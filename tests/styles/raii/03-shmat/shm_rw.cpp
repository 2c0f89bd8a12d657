// 03-shmat, modern C++17: an attachment is a unique_ptr whose deleter calls shmdt.
#include "shm_rw.hpp"

#include <sys/ipc.h>
#include <sys/shm.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>

#include "ipclab/error.hpp"

namespace {

constexpr std::size_t kSlotBytes = sizeof(std::int32_t);

// Detaches on scope exit, whatever way the scope is left.
struct Shmdt {
    void operator()(const void* addr) const noexcept { ::shmdt(addr); }
};
using Attached = std::unique_ptr<void, Shmdt>;

Attached attach(int shmid, int flags) {
    void* addr = ::shmat(shmid, nullptr, flags);
    if (addr == reinterpret_cast<void*>(-1)) throw ipclab::SysError{"shmat"};
    return Attached{addr};
}

// The normal way out: give up ownership first so a failing shmdt is reported once, not retried.
void detach(Attached& seg) {
    if (::shmdt(seg.release()) == -1) throw ipclab::SysError{"shmdt"};
}

}  // namespace

void write_values(key_t key, const std::vector<std::int32_t>& values) {
    const int shmid = ::shmget(key, (values.size() + 1) * kSlotBytes, IPC_CREAT | 0600);
    if (shmid == -1) throw ipclab::SysError{"shmget"};

    Attached seg = attach(shmid, 0);
    auto* const arreglo = static_cast<std::int32_t*>(seg.get());
    arreglo[0] = static_cast<std::int32_t>(values.size());
    std::copy(values.begin(), values.end(), arreglo + 1);
    detach(seg);
}

Reading read_values(key_t key) {
    const int shmid = ::shmget(key, 0, 0);
    if (shmid == -1) throw ipclab::SysError{"shmget"};

    shmid_ds ds{};
    if (::shmctl(shmid, IPC_STAT, &ds) == -1) throw ipclab::SysError{"shmctl"};
    const std::uint64_t capacity = ds.shm_segsz;

    Attached seg = attach(shmid, SHM_RDONLY);
    const auto* const raw = static_cast<const unsigned char*>(seg.get());

    if (capacity < kSlotBytes) {
        throw ipclab::Failure{"shm_read: corrupt segment: " + std::to_string(capacity) +
                              " bytes cannot hold the count"};
    }
    std::int32_t n = 0;
    std::memcpy(&n, raw, kSlotBytes);  // taken once, then trusted no further
    if (n < 0 || (static_cast<std::uint64_t>(n) + 1) * kSlotBytes > capacity) {
        throw ipclab::Failure{"shm_read: corrupt segment: count " + std::to_string(n) +
                              " does not fit in " + std::to_string(capacity) + " bytes"};
    }

    std::vector<std::int32_t> found(static_cast<std::size_t>(n));
    if (!found.empty()) std::memcpy(found.data(), raw + kSlotBytes, found.size() * kSlotBytes);
    detach(seg);

    const std::int64_t total = std::accumulate(found.begin(), found.end(), std::int64_t{0});
    return Reading{std::move(found), total};
}
