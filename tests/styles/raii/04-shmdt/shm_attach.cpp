// 04-shmdt, modern C++17: the session holds its attachment in a unique_ptr that detaches.
#include "shm_attach.hpp"

#include <sys/ipc.h>
#include <sys/shm.h>

#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "ipclab/error.hpp"

void* attach_segment(key_t key) {
    const int shmid = ::shmget(key, 0, 0);  // joins an existing segment, never makes one
    if (shmid == -1) throw ipclab::SysError{"shmget"};
    void* const addr = ::shmat(shmid, nullptr, 0);
    if (addr == reinterpret_cast<void*>(-1)) throw ipclab::SysError{"shmat"};
    return addr;
}

void detach_segment(const void* addr) {
    if (::shmdt(addr) == -1) throw ipclab::SysError{"shmdt"};
}

namespace {

constexpr std::string_view kAttached = "attached";
constexpr std::string_view kDetached = "detached";

// Only for the unusual exits (a stream that throws): the normal path detaches by hand.
struct QuietDetach {
    void operator()(const void* addr) const noexcept { ::shmdt(addr); }
};

void say(std::ostream& out, std::string_view line) { out << line << '\n' << std::flush; }

}  // namespace

void attach_session(key_t key, std::istream& in, std::ostream& out) {
    std::unique_ptr<const void, QuietDetach> segment{attach_segment(key)};
    say(out, kAttached);

    std::string go;
    std::getline(in, go);

    detach_segment(segment.release());  // ownership first: a failed shmdt is not retried
    say(out, kDetached);

    in.ignore(std::numeric_limits<std::streamsize>::max());
}
