// 05-shmctl, modern C++17: a scope guard owns the IPC_RMID of remove_segment.
#include "shm_ctl.hpp"

#include <sys/ipc.h>
#include <sys/shm.h>

#include <optional>

#include "ipclab/error.hpp"

namespace {

constexpr unsigned kPermissionBits = 0777;

// The id of the segment that already has this key, if any (errno tells why not).
std::optional<int> existing(key_t key) noexcept {
    const int shmid = ::shmget(key, 0, 0);
    if (shmid == -1) return std::nullopt;
    return shmid;
}

int existing_or_throw(key_t key) {
    if (const auto shmid = existing(key)) return *shmid;
    throw ipclab::SysError{"shmget"};
}

// Removes the segment when the scope ends; commit() does it now and reports a failure.
class RemovalGuard {
public:
    explicit RemovalGuard(int shmid) noexcept : shmid_{shmid} {}
    RemovalGuard(const RemovalGuard&) = delete;
    RemovalGuard& operator=(const RemovalGuard&) = delete;
    ~RemovalGuard() {
        if (shmid_) ::shmctl(*shmid_, IPC_RMID, nullptr);
    }

    int commit() {
        const int shmid = *shmid_;
        shmid_.reset();
        if (::shmctl(shmid, IPC_RMID, nullptr) == -1) throw ipclab::SysError{"shmctl"};
        return shmid;
    }

private:
    std::optional<int> shmid_;
};

}  // namespace

SegmentInfo stat_segment(key_t key) {
    const int shmid = existing_or_throw(key);
    shmid_ds ds{};
    if (::shmctl(shmid, IPC_STAT, &ds) == -1) throw ipclab::SysError{"shmctl"};

    return SegmentInfo{
        ds.shm_perm.__key,
        shmid,
        static_cast<std::size_t>(ds.shm_segsz),
        static_cast<unsigned>(ds.shm_perm.mode) & kPermissionBits,
        ds.shm_cpid,
        ds.shm_lpid,
        static_cast<unsigned long>(ds.shm_nattch),
        ds.shm_atime,
        ds.shm_dtime,
        ds.shm_ctime,
    };
}

int remove_segment(key_t key) {
    RemovalGuard removal{existing_or_throw(key)};
    return removal.commit();
}
