// What the visible and the hidden unit tests of 06-semaphores share: the lab's fixture for
// exercises with semaphores (lab/include/ipclab/sem_testing.hpp) and the counter's own helpers.
#pragma once

#include <sys/ipc.h>
#include <sys/shm.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "ipclab/sem_testing.hpp"
#include "ipclab/testing.hpp"
#include "sem_counter.hpp"

namespace semtest {

using namespace ipclab::testing;

inline std::uint64_t read_counter(int shmid) {
    void* p = shmat(shmid, nullptr, SHM_RDONLY);
    if (p == reinterpret_cast<void*>(-1)) {
        int err = errno;
        ADD_FAILURE() << msg("counter_shmat_failed").with("error", errno_name(err));
        return 0;
    }
    std::uint64_t v = 0;
    std::memcpy(&v, p, sizeof v);
    shmdt(p);
    return v;
}

inline void write_counter(int shmid, std::uint64_t v) {
    void* p = shmat(shmid, nullptr, 0);
    if (p == reinterpret_cast<void*>(-1)) {
        int err = errno;
        ADD_FAILURE() << msg("counter_shmat_failed").with("error", errno_name(err));
        return;
    }
    std::memcpy(p, &v, sizeof v);
    shmdt(p);
}

}  // namespace semtest

class SemCounterBase : public ipclab::testing::SemTest {
protected:
    // init_counter(k), then the ids it made; fails the test when either object is missing.
    bool init_ok(key_t k, int& shmid, int& semid) {
        init_counter(k);
        return found_both(k, shmid, semid);
    }
};
