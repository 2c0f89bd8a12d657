// What the visible and the hidden unit tests of 08-prodcons share: the lab's fixture for
// exercises with semaphores (lab/include/ipclab/sem_testing.hpp) and the buffer's own helpers.
#pragma once

#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include "ipclab/sem_testing.hpp"
#include "ipclab/testing.hpp"
#include "prodcons.hpp"

namespace pctest {

using namespace ipclab::testing;

inline std::vector<std::int32_t> ints_of(int shmid, std::size_t count) {
    std::vector<std::int32_t> out(count);
    void* p = shmat(shmid, nullptr, SHM_RDONLY);
    if (p == reinterpret_cast<void*>(-1)) {
        int err = errno;
        ADD_FAILURE() << msg("buffer_shmat_failed").with("error", errno_name(err));
        return {};
    }
    std::memcpy(out.data(), p, count * sizeof(std::int32_t));
    shmdt(p);
    return out;
}

// consume() in a child: the values go back through a pipe as int32s. collect() reads them.
struct Consumer {
    Child child;
    int fd = -1;
    std::vector<std::int32_t> collect() {
        std::vector<std::int32_t> out;
        std::int32_t v;
        while (read(fd, &v, sizeof v) == static_cast<ssize_t>(sizeof v)) out.push_back(v);
        close(fd);
        fd = -1;
        return out;
    }
};

// With go_fd, the child first waits for end-of-file on it (go_close: the write end, closed in
// the child so that only the test holds it).
inline Consumer start_consumer(key_t k, int count, int go_fd = -1, int go_close = -1) {
    int p[2];
    if (pipe(p) != 0) return {};
    Consumer c;
    c.child.pid = spawn_with_worker([=]() -> int {
        close(p[0]);
        if (go_close != -1) close(go_close);
        if (go_fd != -1) {
            char ch;
            if (read(go_fd, &ch, 1) != 0) return 98;
        }
        consume(k, count, [&](std::int32_t v) { (void)!write(p[1], &v, sizeof v); });
        return 0;
    });
    close(p[1]);
    c.fd = p[0];
    return c;
}

}  // namespace pctest

class ProdConsBase : public ipclab::testing::SemTest {
protected:
    // init_buffer(k, slots) and the ids it made; checks the three starting values, so a test that
    // goes on to produce or consume in-process cannot hang on a semaphore left at 0.
    bool init_ok(key_t k, int slots, int& shmid, int& semid) {
        init_buffer(k, slots);
        if (!found_both(k, shmid, semid)) return false;
        using ipclab::testing::msg;
        std::vector<int> want{slots, 0, 1};
        std::vector<int> got = pctest::values_of(semid);
        EXPECT_EQ(got, want) << msg("init_wrong_values")
                                    .with("got", pctest::listed(got))
                                    .with("want", pctest::listed(want));
        return got == want;
    }
};
