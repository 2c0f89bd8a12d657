// Hidden unit tests of 06-semaphores (grading only): races, undo bookkeeping, signals, the edges.
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "ipclab/testing.hpp"
#include "sem_counter.hpp"
#include "test/sem_counter_fixture.hpp"

using ipclab::testing::segment_of;
using semtest::semaphore_of;
using semtest::value_of;

namespace {
int g_signal_pipe = -1;
void on_usr1(int) {
    char c = 's';
    (void)!write(g_signal_pipe, &c, 1);
}
}  // namespace

class SemCounterHidden : public SemCounterBase {};

// Four processes released together, each adding 25000: exactly 100000, and semop was used
// (the process check concurrent_adds_exact_total does the same with more adds).
TEST_F(SemCounterHidden, ConcurrentAddsGiveTheExactTotal) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, shmid, semid));
    ASSERT_EQ(value_of(semid), 1) << "init must leave the semaphore at 1 (SETVAL)";
    int go[2];
    ASSERT_EQ(pipe(go), 0);
    std::vector<pid_t> kids;
    for (int i = 0; i < 4; ++i) {
        kids.push_back(semtest::spawn([&]() -> int {
            close(go[1]);
            char c;
            if (read(go[0], &c, 1) != 0) return 98;  // wait until the test closes the pipe
            add_to_counter(k, 25000);
            return 0;
        }));
    }
    close(go[0]);
    close(go[1]);  // all four start together
    for (pid_t kid : kids) EXPECT_EQ(semtest::finish_child(kid, 25.0), 0) << "an add_to_counter failed or hung";
    semid_ds ds{};
    semtest::Semun arg{};
    arg.buf = &ds;
    ASSERT_EQ(semctl(semid, 0, IPC_STAT, arg), 0);
    EXPECT_NE(ds.sem_otime, 0) << "sem_otime is 0: add_to_counter never did a semop on the "
                                  "semaphore. Without P/V around it, the increment is a race";
    EXPECT_EQ(semtest::read_counter(shmid), 100000u)
        << "four concurrent add_to_counter(key, 25000) lost updates: *counter += 1 is read, add, "
           "write; two processes in it at once both write the same value. Do it between sem_p and sem_v";
    EXPECT_EQ(value_of(semid), 1) << "after all the adds the semaphore must be free (1)";
}

// P and V both with SEM_UNDO: a process that did P then V and exited leaves the value at 1.
TEST_F(SemCounterHidden, PAndVBalanceTheirUndo) {
    int semid = make_set(skey(), 1);
    ASSERT_NE(semid, -1);
    pid_t child = semtest::spawn([&] {
        for (int i = 0; i < 3; ++i) {
            sem_p(semid);
            sem_v(semid);
        }
        return 0;
    });
    EXPECT_EQ(semtest::finish_child(child), 0);
    int v = value_of(semid);
    EXPECT_EQ(v, 1) << "after a process did sem_p, sem_v three times and exited, the semaphore is "
                    << v << ", not 1: "
                    << (v > 1 ? "sem_p uses SEM_UNDO but sem_v does not, so at exit the kernel "
                                "gives back P's it thinks were never undone"
                              : "sem_v uses SEM_UNDO but sem_p does not, so at exit the kernel "
                                "takes back the V's")
                    << ". Use sem_flg = SEM_UNDO in both";
}

// A signal interrupting a waiting sem_p (EINTR) is not an error: sem_p waits again.
TEST_F(SemCounterHidden, PRetriesWhenASignalInterruptsIt) {
    int semid = make_set(skey(), 0);  // taken: sem_p must wait
    ASSERT_NE(semid, -1);
    int sig[2];
    ASSERT_EQ(pipe(sig), 0);
    pid_t child = semtest::spawn([&]() -> int {
        g_signal_pipe = sig[1];
        struct sigaction sa {};
        sa.sa_handler = on_usr1;  // no SA_RESTART: semop returns -1 with EINTR
        sigaction(SIGUSR1, &sa, nullptr);
        try {
            sem_p(semid);
        } catch (const ipclab::SysError& e) {
            return e.error() == EINTR ? 3 : 4;
        }
        return 0;
    });
    ASSERT_TRUE(semtest::wait_until([&] { return semtest::waiters_of(semid) == 1; }))
        << "sem_p did not wait on a semaphore worth 0 (semop with sem_op = -1 blocks at 0)";
    kill(child, SIGUSR1);
    char c = 0;
    ASSERT_EQ(read(sig[0], &c, 1), 1) << "test: the signal handler did not run";
    int status = 0;
    bool reaped = false;
    semtest::wait_until([&] {
        reaped = reaped || waitpid(child, &status, WNOHANG) == child;
        return reaped || semtest::waiters_of(semid) == 1;
    });
    semtest::give(semid);
    int code = reaped ? (WIFEXITED(status) ? WEXITSTATUS(status) : 128) : semtest::finish_child(child);
    EXPECT_EQ(code, 0) << (code == 3
                               ? "a signal interrupted sem_p's wait and sem_p threw semop: Interrupted "
                                 "system call. EINTR is not a failure: when semop returns -1 with "
                                 "errno == EINTR, call semop again"
                               : "sem_p did not wait again after a signal and return once the "
                                 "semaphore was given");
}

// The counter is 64 bits: it goes on past 2^32 - 1.
TEST_F(SemCounterHidden, TheCounterHas64Bits) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, shmid, semid));
    ASSERT_EQ(value_of(semid), 1) << "init must leave the semaphore at 1 (SETVAL)";
    semtest::write_counter(shmid, 0xFFFFFFFFull);
    add_to_counter(k, 2);
    EXPECT_EQ(semtest::read_counter(shmid), 0x100000001ull)
        << "4294967295 + 2 must give 4294967297: the counter is a std::uint64_t, not an int";
    EXPECT_EQ(finish_counter(k), 0x100000001ull) << "finish_counter must return all 64 bits";
}

// A stale semaphore set under the key: init fails in semget and leaves no segment behind.
TEST_F(SemCounterHidden, FailedInitLeavesNothingBehind) {
    key_t k = skey();
    int semid = make_set(k, 1);
    ASSERT_NE(semid, -1);
    EXPECT_SYSERROR(init_counter(k), "semget", EEXIST);
    int shmid = segment_of(k);
    track(shmid);
    EXPECT_EQ(shmid, -1) << "init_counter failed in semget but left the segment it had created: "
                            "remove it (shmctl IPC_RMID) before letting the error out";
    EXPECT_EQ(value_of(semid), 1) << "init_counter changed a semaphore set that was not its own";
}

// A stale segment under the key: init fails in shmget and creates no semaphore set.
TEST_F(SemCounterHidden, InitOnAUsedSegmentCreatesNoSemaphore) {
    key_t k = skey();
    ASSERT_NE(make_segment(k, 8, 0600), -1);
    EXPECT_SYSERROR(init_counter(k), "shmget", EEXIST);
    EXPECT_EQ(semaphore_of(k), -1) << "init_counter failed in shmget but left a semaphore set behind";
}
