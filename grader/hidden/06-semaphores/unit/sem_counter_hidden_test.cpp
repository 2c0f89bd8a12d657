// Hidden unit tests of 06-semaphores (grading only): races, undo bookkeeping, signals, the edges.
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "ipclab/remote.hpp"
#include "ipclab/testing.hpp"
#include "sem_counter.hpp"
#include "test/sem_counter_fixture.hpp"

using namespace semtest;  // the lab's test support (ipclab::testing) and the fixture's helpers

class SemCounterHidden : public SemCounterBase {};

// Four processes released together, each adding 25000: exactly 100000, and semop was used
// (the process check concurrent_adds_exact_total does the same with more adds).
TEST_F(SemCounterHidden, ConcurrentAddsGiveTheExactTotal) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, shmid, semid));
    ASSERT_EQ(value_of(semid), 1) << msg("init_left_semaphore_at").with("got", value_of(semid));
    int go[2];
    ASSERT_EQ(pipe(go), 0);
    std::vector<pid_t> kids;
    for (int i = 0; i < 4; ++i) {
        kids.push_back(semtest::spawn_with_worker([&]() -> int {
            close(go[1]);
            char c;
            if (read(go[0], &c, 1) != 0) return 98;  // wait until the test closes the pipe
            add_to_counter(k, 25000);
            return 0;
        }));
    }
    close(go[0]);
    close(go[1]);  // all four start together
    for (pid_t kid : kids) {
        int code = semtest::finish_child(kid, 25.0);
        EXPECT_EQ(code, 0) << msg("concurrent_add_failed").with("status", code);
    }
    EXPECT_NE(semtest::stat_set(semid).sem_otime, 0) << msg("add_never_did_semop");
    std::uint64_t counter = semtest::read_counter(shmid);
    EXPECT_EQ(counter, 100000u) << msg("concurrent_adds_lost_updates").with("got", counter);
    EXPECT_EQ(value_of(semid), 1) << msg("add_left_semaphore_at").with("got", value_of(semid));
}

// P and V both with SEM_UNDO: a process that did P then V and exited leaves the value at 1.
TEST_F(SemCounterHidden, PAndVBalanceTheirUndo) {
    int semid = make_set(skey(), {1});
    ASSERT_NE(semid, -1);
    pid_t child = semtest::spawn_with_worker([&] {
        for (int i = 0; i < 3; ++i) {
            sem_p(semid);
            sem_v(semid);
        }
        return 0;
    });
    int code = semtest::finish_child(child);
    EXPECT_EQ(code, 0) << msg("p_v_child_failed").with("status", code);
    int v = value_of(semid);
    // Above 1: the kernel gave back P's it thought were never undone; below: it took back V's.
    if (v > 1) {
        EXPECT_EQ(v, 1) << msg("undo_only_in_p").with("got", v);
    } else {
        EXPECT_EQ(v, 1) << msg("undo_only_in_v").with("got", v);
    }
}

// A signal interrupting a waiting sem_p (EINTR) is not an error: sem_p waits again.
TEST_F(SemCounterHidden, PRetriesWhenASignalInterruptsIt) {
    int semid = make_set(skey(), {0});  // taken: sem_p must wait
    ASSERT_NE(semid, -1);
    int sig[2];
    ASSERT_EQ(pipe(sig), 0);
    pid_t child = semtest::spawn_with_worker([&]() -> int {
        close(sig[0]);
        // A handler without SA_RESTART in the process that runs sem_p (the child's worker):
        // semop returns -1 with EINTR.
        ipclab::remote::worker_ignore_signal_interrupting(SIGUSR1);
        semtest::tell_worker_pid(sig[1]);
        close(sig[1]);
        try {
            sem_p(semid);
        } catch (const ipclab::SysError& e) {
            return e.error() == EINTR ? 3 : 4;
        }
        return 0;
    });
    close(sig[1]);
    pid_t waiting = semtest::read_pid(sig[0]);  // the process that waits in sem_p
    close(sig[0]);
    if (waiting == -1) {  // the child ended before its worker could take the handler
        setup_failed("worker_ignore_signal_interrupting");
        semtest::finish_child(child);
        return;
    }
    ASSERT_TRUE(semtest::wait_until([&] { return semtest::waiters_of(semid) == 1; }))
        << msg("p_did_not_wait");
    kill(waiting, SIGUSR1);
    ASSERT_TRUE(semtest::wait_until([&] { return !semtest::signal_pending(waiting, SIGUSR1); }))
        << msg("signal_handler_did_not_run");
    int status = 0;
    bool reaped = false;
    semtest::wait_until([&] {
        reaped = reaped || waitpid(child, &status, WNOHANG) == child;
        return reaped || semtest::waiters_of(semid) == 1;
    });
    semtest::give(semid);
    int code =
        reaped ? (WIFEXITED(status) ? WEXITSTATUS(status) : 128) : semtest::finish_child(child);
    // 3: the child caught a SysError with EINTR.
    if (code == 3) {
        EXPECT_EQ(code, 0) << msg("p_threw_on_eintr");
    } else {
        EXPECT_EQ(code, 0) << msg("p_did_not_resume").with("status", code);
    }
}

// The counter is 64 bits: it goes on past 2^32 - 1.
TEST_F(SemCounterHidden, TheCounterHas64Bits) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, shmid, semid));
    ASSERT_EQ(value_of(semid), 1) << msg("init_left_semaphore_at").with("got", value_of(semid));
    semtest::write_counter(shmid, 0xFFFFFFFFull);
    add_to_counter(k, 2);
    std::uint64_t counter = semtest::read_counter(shmid);
    EXPECT_EQ(counter, 0x100000001ull) << msg("counter_not_64_bits").with("got", counter);
    std::uint64_t got = finish_counter(k);
    EXPECT_EQ(got, 0x100000001ull) << msg("finish_not_64_bits").with("got", got);
}

// A stale semaphore set under the key: init fails in semget and leaves no segment behind.
TEST_F(SemCounterHidden, FailedInitLeavesNothingBehind) {
    key_t k = skey();
    int semid = make_set(k, {1});
    ASSERT_NE(semid, -1);
    EXPECT_SYSERROR(init_counter(k), "semget", EEXIST);
    int shmid = segment_of(k);
    track(shmid);
    EXPECT_EQ(shmid, -1) << msg("failed_init_left_segment").with("shmid", shmid);
    EXPECT_EQ(value_of(semid), 1)
        << msg("failed_init_changed_foreign_set").with("got", value_of(semid));
}

// A stale segment under the key: init fails in shmget and creates no semaphore set.
TEST_F(SemCounterHidden, InitOnAUsedSegmentCreatesNoSemaphore) {
    key_t k = skey();
    ASSERT_NE(make_segment(k, 8, 0600), -1);
    EXPECT_SYSERROR(init_counter(k), "shmget", EEXIST);
    EXPECT_EQ(semaphore_of(k), -1) << msg("failed_init_left_set").with("semid", semaphore_of(k));
}

// A segment the caller may not read (mode 0200): IPC_STAT and shmat both need read permission, so
// whichever of them comes first fails with EACCES (the order is the student's); nothing changes.
TEST_F(SemCounterHidden, AnUnreadableSegmentFailsInShmctlOrShmat) {
    key_t k = skey();
    int shmid = make_segment(k, sizeof(std::uint64_t), 0200);
    int semid = make_set(k, {1});
    ASSERT_NE(shmid, -1);
    ASSERT_NE(semid, -1);
    for (int which = 0; which < 2; ++which) {
        const char* function = which == 0 ? "add_to_counter" : "finish_counter";
        try {
            if (which == 0)
                add_to_counter(k, 1);
            else
                finish_counter(k);
            ADD_FAILURE() << msg("unreadable_accepted").with("function", function);
        } catch (const ipclab::SysError& e) {
            EXPECT_TRUE(e.call() == "shmctl" || e.call() == "shmat")
                << msg("unreadable_wrong_call").with("function", function).with("got", e.call());
            EXPECT_EQ(e.error(), EACCES)
                << msg("unreadable_wrong_errno")
                       .with("function", function)
                       .with("call", e.call())
                       .with("got", ipclab::testing::errno_name(e.error()));
        } catch (const ipclab::Failure& e) {
            ADD_FAILURE()
                << msg("unreadable_not_syserror").with("function", function).with("got", e.what());
        }
        EXPECT_EQ(segment_of(k), shmid) << msg("unreadable_removed").with("function", function);
        EXPECT_EQ(semaphore_of(k), semid) << msg("unreadable_removed").with("function", function);
        EXPECT_EQ(value_of(semid), 1)
            << msg("unreadable_semaphore").with("function", function).with("got", value_of(semid));
    }
}
