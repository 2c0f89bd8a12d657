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

#include "ipclab/remote.hpp"
#include "ipclab/testing.hpp"
#include "prodcons.hpp"
#include "test/prodcons_fixture.hpp"

using namespace pctest;  // the lab's test support (ipclab::testing) and the fixture's helpers
using Ints = std::vector<std::int32_t>;
using Vals = std::vector<int>;

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
        producers[i].pid = pctest::spawn_with_worker([&, i]() -> int {
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
        int disorders = 0;  // reported once: one broken consume repeats itself thousands of times
        for (std::int32_t v : got) {
            int producer = v / 100000;
            if (!(last[producer] < v) && disorders++ == 0) {
                ADD_FAILURE()
                    << msg("consumer_out_of_order").with("got", v).with("after", last[producer]);
            }
            last[producer] = v;
        }
        all.insert(all.end(), got.begin(), got.end());
        int code = c.child.finish(25.0);
        EXPECT_EQ(code, 0) << msg("consumer_failed_or_hung").with("status", code);
    }
    for (auto& p : producers) {
        int code = p.finish(25.0);
        EXPECT_EQ(code, 0) << msg("producer_failed_or_hung").with("status", code);
    }
    Ints want;
    for (int i = 1; i <= 3; ++i)
        for (int j = 0; j < kEach; ++j) want.push_back(i * 100000 + j);
    std::sort(all.begin(), all.end());
    EXPECT_EQ(all.size(), want.size())
        << msg("wrong_item_count").with("got", all.size()).with("want", want.size());
    EXPECT_TRUE(all == want) << msg("lost_or_delivered_twice");
    Vals at_end = values_of(semid);
    EXPECT_EQ(at_end, (Vals{2, 0, 1}))
        << msg("buffer_not_empty_at_end").with("got", listed(at_end));
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
    Ints header = pctest::ints_of(shmid, 3);
    EXPECT_EQ(header[kOutAt], 0) << msg("consume_ignored_mutex").with("got", listed(header));
    EXPECT_EQ(pctest::waiters_of(semid, kMutex), 1)
        << msg("consumer_not_waiting_for_mutex").with("got", pctest::waiters_of(semid, kMutex));
    pctest::give(semid, kMutex);
    int code = c.child.finish();
    EXPECT_EQ(code, 0) << msg("consumer_not_finished_after_mutex").with("status", code);
    Ints delivered = c.collect();
    EXPECT_EQ(delivered, (Ints{9}))
        << msg("consumer_got_wrong_items").with("got", listed(delivered)).with("want", "[9]");
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
    c.pid = pctest::spawn_with_worker([&]() -> int {
        close(sig[0]);
        close(out[0]);
        // A handler without SA_RESTART in the process that runs consume (the child's worker):
        // semop returns -1 with EINTR.
        ipclab::remote::worker_ignore_signal_interrupting(SIGUSR1);
        pctest::tell_worker_pid(sig[1]);
        close(sig[1]);
        try {
            consume(k, 1, [&](std::int32_t v) { (void)!write(out[1], &v, sizeof v); });
        } catch (const ipclab::SysError& e) {
            return e.error() == EINTR ? 3 : 4;
        }
        return 0;
    });
    close(out[1]);
    close(sig[1]);
    pid_t waiting = pctest::read_pid(sig[0]);  // the process that waits in consume
    close(sig[0]);
    if (waiting == -1) {  // the child ended before its worker could take the handler
        setup_failed("worker_ignore_signal_interrupting");
        c.finish();
        return;
    }
    ASSERT_TRUE(pctest::wait_until([&] {
        return c.reaped() || pctest::waiters_of(semid, kFull) == 1;
    })) << msg("consumer_not_asleep_in_full").with("got", pctest::waiters_of(semid, kFull));
    ASSERT_FALSE(c.reaped()) << msg("consume_did_not_wait");
    kill(waiting, SIGUSR1);
    ASSERT_TRUE(pctest::wait_until([&] { return !pctest::signal_pending(waiting, SIGUSR1); }))
        << msg("signal_handler_did_not_run");
    pctest::wait_until([&] { return c.reaped() || pctest::waiters_of(semid, kFull) == 1; });
    produce(k, 11, 1);
    int code = c.finish();
    // 3: the child caught a SysError with EINTR.
    if (code == 3) {
        EXPECT_EQ(code, 0) << msg("consume_threw_on_eintr");
    } else {
        EXPECT_EQ(code, 0) << msg("consume_did_not_resume").with("status", code);
    }
    std::int32_t v = 0;
    EXPECT_EQ(read(out[0], &v, sizeof v), static_cast<ssize_t>(sizeof v))
        << msg("consumer_delivered_nothing");
    EXPECT_EQ(v, 11) << msg("consumer_got_wrong_items").with("got", v).with("want", 11);
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
    EXPECT_EQ(shmid, -1) << msg("failed_init_left_segment").with("shmid", shmid);
}

// A stale segment under the key: init fails in shmget and creates no semaphore set.
TEST_F(ProdConsHidden, InitOnAUsedSegmentCreatesNoSemaphore) {
    key_t k = skey();
    ASSERT_NE(make_segment(k, 20, 0600), -1);
    EXPECT_SYSERROR(init_buffer(k, 2), "shmget", EEXIST);
    EXPECT_EQ(pctest::semaphore_of(k), -1)
        << msg("failed_init_left_set").with("semid", pctest::semaphore_of(k));
}
