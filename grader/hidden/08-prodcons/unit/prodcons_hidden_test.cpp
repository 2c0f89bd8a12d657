// Hidden unit tests of 08-prodcons (grading only): many processes at once, the mutex for
// consumers, signals, a failed init.
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <map>
#include <vector>

#include "ipclab/testing.hpp"
#include "prodcons.hpp"
#include "test/prodcons_fixture.hpp"

using ipclab::testing::segment_of;
using pctest::values_of;
using Ints = std::vector<std::int32_t>;
using Vals = std::vector<int>;

namespace {
int g_signal_pipe = -1;
void on_usr1(int) {
    char c = 's';
    (void)!write(g_signal_pipe, &c, 1);
}
}  // namespace

class ProdConsHidden : public ProdConsBase {};

// Three producers and three consumers released together over 2 slots: every value exactly once,
// and each producer's values reach each consumer in the order they were produced.
TEST_F(ProdConsHidden, ManyProducersAndConsumersDeliverEveryValueOnce) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, 2, shmid, semid));
    constexpr int kEach = 3000;
    int go[2];
    ASSERT_EQ(pipe(go), 0);
    std::vector<pctest::Consumer> consumers;
    for (int i = 0; i < 3; ++i) consumers.push_back(pctest::start_consumer(k, kEach, go[0], go[1]));
    std::vector<pctest::Child> producers(3);
    for (int i = 0; i < 3; ++i) {
        producers[i].pid = pctest::spawn([&, i]() -> int {
            close(go[1]);
            char c;
            if (read(go[0], &c, 1) != 0) return 98;
            produce(k, (i + 1) * 100000, kEach);
            return 0;
        });
    }
    close(go[0]);
    close(go[1]);  // everybody starts now
    Ints all;
    for (auto& c : consumers) {
        Ints got = c.collect();  // until the consumer ends (or is killed below)
        std::map<int, std::int32_t> last;
        for (std::int32_t v : got) {
            int producer = v / 100000;
            EXPECT_TRUE(last[producer] < v) << "a consumer got " << v << " after " << last[producer]
                                            << ": the buffer must hand out items in the order they went in";
            last[producer] = v;
        }
        all.insert(all.end(), got.begin(), got.end());
        EXPECT_EQ(c.child.finish(25.0), 0) << "a consumer failed or hung (deadlock?)";
    }
    for (auto& p : producers) EXPECT_EQ(p.finish(25.0), 0) << "a producer failed or hung (deadlock?)";
    Ints want;
    for (int i = 1; i <= 3; ++i)
        for (int j = 0; j < kEach; ++j) want.push_back(i * 100000 + j);
    std::sort(all.begin(), all.end());
    EXPECT_EQ(all.size(), want.size()) << "the consumers got " << all.size() << " items, not " << want.size();
    EXPECT_TRUE(all == want) << "some values were lost or delivered twice: with several producers "
                                "and consumers, in and out must only change inside P(mutex)..V(mutex)";
    EXPECT_EQ(values_of(semid), (Vals{2, 0, 1})) << "at the end the buffer must be empty: {2, 0, 1}";
}

// While another process holds the mutex, consume waits in P(mutex) and takes nothing.
TEST_F(ProdConsHidden, ConsumerWaitsForTheMutex) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, 2, shmid, semid));
    produce(k, 9, 1);
    ASSERT_TRUE(pctest::take(semid, kMutex));
    pctest::Consumer c = pctest::start_consumer(k, 1);
    pctest::wait_until([&] { return c.child.reaped() || pctest::waiters_of(semid, kMutex) == 1; });
    EXPECT_EQ(pctest::ints_of(shmid, 3)[kOutAt], 0)
        << "consume took an item while another process held the mutex: take P(mutex) around the "
           "read of the slot and the update of out";
    EXPECT_EQ(pctest::waiters_of(semid, kMutex), 1) << "the consumer is not waiting for the mutex";
    pctest::give(semid, kMutex);
    EXPECT_EQ(c.child.finish(), 0);
    EXPECT_EQ(c.collect(), (Ints{9}));
}

// A signal interrupting a consumer's wait (EINTR) is not an error: it waits again.
TEST_F(ProdConsHidden, WaitsAgainWhenASignalInterrupts) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, 2, shmid, semid));
    int sig[2], out[2];
    ASSERT_EQ(pipe(sig), 0);
    ASSERT_EQ(pipe(out), 0);
    pctest::Child c;
    c.pid = pctest::spawn([&]() -> int {
        g_signal_pipe = sig[1];
        struct sigaction sa {};
        sa.sa_handler = on_usr1;  // no SA_RESTART: semop returns -1 with EINTR
        sigaction(SIGUSR1, &sa, nullptr);
        try {
            consume(k, 1, [&](std::int32_t v) { (void)!write(out[1], &v, sizeof v); });
        } catch (const ipclab::SysError& e) {
            return e.error() == EINTR ? 3 : 4;
        }
        return 0;
    });
    close(out[1]);
    ASSERT_TRUE(pctest::wait_until([&] { return c.reaped() || pctest::waiters_of(semid, kFull) == 1; }));
    ASSERT_FALSE(c.reaped()) << "consume did not wait on an empty buffer";
    kill(c.pid, SIGUSR1);
    char ch = 0;
    ASSERT_EQ(read(sig[0], &ch, 1), 1) << "test: the signal handler did not run";
    pctest::wait_until([&] { return c.reaped() || pctest::waiters_of(semid, kFull) == 1; });
    produce(k, 11, 1);
    int code = c.finish();
    EXPECT_EQ(code, 0) << (code == 3 ? "a signal interrupted the wait and consume threw semop: "
                                       "Interrupted system call. On EINTR call semop again"
                                     : "consume did not end normally after the signal and the item");
    std::int32_t v = 0;
    EXPECT_EQ(read(out[0], &v, sizeof v), static_cast<ssize_t>(sizeof v));
    EXPECT_EQ(v, 11);
    close(out[0]);
}

// A stale semaphore set under the key: init fails in semget and leaves no segment behind.
TEST_F(ProdConsHidden, FailedInitLeavesNothingBehind) {
    key_t k = skey();
    int stale = semget(k, 3, IPC_CREAT | IPC_EXCL | 0600);
    ASSERT_NE(stale, -1);
    track_set(stale);
    EXPECT_SYSERROR(init_buffer(k, 2), "semget", EEXIST);
    int shmid = segment_of(k);
    track(shmid);
    EXPECT_EQ(shmid, -1) << "init_buffer failed in semget but left its segment: remove what you "
                            "created (shmctl IPC_RMID) before letting the error out";
}
