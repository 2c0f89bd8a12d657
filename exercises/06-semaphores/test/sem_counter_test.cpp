// Visible unit tests of 06-semaphores: the functions of sem_counter.cpp called in-process (and
// in forked children where another process is needed).
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "ipclab/testing.hpp"
#include "sem_counter.hpp"
#include "test/sem_counter_fixture.hpp"

using ipclab::testing::segment_of;
using semtest::semaphore_of;
using semtest::value_of;

class SemCounter : public SemCounterBase {};

// init: an 8-byte segment holding 0 and a set of one semaphore worth 1, both 0600.
TEST_F(SemCounter, InitCreatesAZeroCounterAndAFreeSemaphore) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, shmid, semid));
    shmid_ds ds{};
    ASSERT_TRUE(ipclab::testing::stat_segment(shmid, ds));
    EXPECT_EQ(ds.shm_segsz, sizeof(std::uint64_t))
        << "the segment holds one std::uint64_t: its size is sizeof(std::uint64_t) = 8 bytes";
    EXPECT_EQ(ds.shm_perm.mode & 0777, 0600u)
        << "the segment was created with mode 0" << std::oct << (ds.shm_perm.mode & 0777)
        << "; create it with 0600 (IPC_CREAT | IPC_EXCL | 0600), never 0666 or 0777";
    EXPECT_EQ(semtest::mode_of_set(semid), 0600u)
        << "the semaphore set was created with mode 0" << std::oct << semtest::mode_of_set(semid)
        << "; create it with semget(key, 1, IPC_CREAT | IPC_EXCL | 0600), never 0666 or 0777";
    EXPECT_EQ(semtest::nsems_of(semid), 1u) << "the set must hold exactly one semaphore: semget(key, 1, ...)";
    EXPECT_EQ(semtest::read_counter(shmid), 0u) << "a new counter starts at 0";
    EXPECT_EQ(value_of(semid), 1)
        << "after init the semaphore is worth " << value_of(semid)
        << ": it must be 1 (free). A new semaphore has no defined value until "
           "semctl(semid, 0, SETVAL, arg) with arg.val = 1 (no SETVAL leaves it at 0 and every "
           "add waits forever)";
}

// add N adds exactly N, and leaves the semaphore free (1) afterwards.
TEST_F(SemCounter, AddAddsNAndLeavesTheSemaphoreFree) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, shmid, semid));
    ASSERT_EQ(value_of(semid), 1) << "init must leave the semaphore at 1 (SETVAL)";
    add_to_counter(k, 1000);
    add_to_counter(k, 234);
    EXPECT_EQ(semtest::read_counter(shmid), 1234u)
        << "add_to_counter(key, 1000) then (key, 234) must leave 1234 in the segment's std::uint64_t";
    EXPECT_EQ(value_of(semid), 1)
        << "after add the semaphore must be free again (1): every sem_p needs its sem_v";
}

// finish returns the counter and removes both objects (IPC_RMID on each).
TEST_F(SemCounter, FinishReturnsTheCounterAndRemovesBoth) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, shmid, semid));
    semtest::write_counter(shmid, 77);
    EXPECT_EQ(finish_counter(k), 77u) << "finish_counter must return the counter read from the segment";
    EXPECT_EQ(segment_of(k), -1)
        << "the segment is still there after finish: remove it with shmctl(shmid, IPC_RMID, nullptr)";
    EXPECT_EQ(semaphore_of(k), -1)
        << "the semaphore set is still there after finish: remove it with semctl(semid, 0, IPC_RMID) "
           "(semaphores are not removed when the processes end)";
}

class SemaphoreOps : public SemCounterBase {};

// create_semaphore: a set of one semaphore, worth 1 thanks to SETVAL with a union semun.
TEST_F(SemaphoreOps, CreateGivesTheValueOne) {
    key_t k = skey();
    int semid = -1;
    try {
        semid = create_semaphore(k);
    } catch (const ipclab::SysError& e) {
        FAIL() << "create_semaphore threw " << e.what()
               << (e.call() == "semctl" && e.error() == ERANGE
                       ? ": SETVAL got a value out of range. Pass the union semun itself, "
                         "semctl(semid, 0, SETVAL, arg), not a pointer (&arg): the address "
                         "was taken as the value"
                       : "");
    }
    track_set(semid);
    ASSERT_NE(semid, -1) << "create_semaphore must return the semid of a new set";
    EXPECT_EQ(semid, semaphore_of(k)) << "create_semaphore must return the set of this key";
    EXPECT_EQ(value_of(semid), 1)
        << "the new semaphore is worth " << value_of(semid)
        << ", not 1: set it with semctl(semid, 0, SETVAL, arg), arg a union semun with "
           "arg.val = 1, passed by value (not &arg). Without SETVAL its value is undefined (0 "
           "on Linux) and the first P waits forever";
}

// sem_p takes the unit (1 -> 0), sem_v gives it back (0 -> 1).
TEST_F(SemaphoreOps, PTakesAndVGivesBack) {
    int semid = make_set(skey(), 1);
    ASSERT_NE(semid, -1);
    sem_p(semid);
    EXPECT_EQ(value_of(semid), 0) << "after sem_p a semaphore worth 1 must be 0: semop with sem_op = -1";
    sem_v(semid);
    EXPECT_EQ(value_of(semid), 1) << "after sem_v it must be 1 again: semop with sem_op = +1";
}

// While another process holds the semaphore, add waits in its P and does not touch the counter.
TEST_F(SemaphoreOps, AddWaitsWhileAnotherProcessHoldsTheSemaphore) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, shmid, semid));
    ASSERT_EQ(value_of(semid), 1) << "init must leave the semaphore at 1 (SETVAL)";
    ASSERT_TRUE(semtest::take(semid));  // the test is now inside the critical section
    pid_t child = semtest::spawn([k] {
        add_to_counter(k, 1);
        return 0;
    });
    int status = 0;
    bool reaped = false;
    semtest::wait_until([&] {
        reaped = reaped || waitpid(child, &status, WNOHANG) == child;
        return reaped || semtest::waiters_of(semid) == 1;
    });
    EXPECT_EQ(semtest::read_counter(shmid), 0u)
        << "add_to_counter changed the counter while another process held the semaphore: "
           "no mutual exclusion (call sem_p, a semop of -1 that waits at 0, before the increment)";
    EXPECT_FALSE(reaped) << "add_to_counter ended without waiting for the semaphore another "
                            "process holds: wrap each increment in sem_p and sem_v";
    semtest::give(semid);
    if (!reaped) {
        EXPECT_EQ(semtest::finish_child(child), 0)
            << "add_to_counter did not finish once the semaphore was free";
    }
    EXPECT_EQ(semtest::read_counter(shmid), 1u) << "once free, the waiting add must add its 1";
}

// SEM_UNDO: a process killed inside the critical section gives its unit back.
TEST_F(SemaphoreOps, KilledHolderGivesTheSemaphoreBack) {
    int semid = make_set(skey(), 1);
    ASSERT_NE(semid, -1);
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    pid_t child = semtest::spawn([&]() -> int {
        sem_p(semid);
        char c = 'x';
        (void)!write(ready[1], &c, 1);  // "I hold it"
        for (;;) pause();                // ... and die here, killed
    });
    close(ready[1]);
    char c = 0;
    ASSERT_EQ(read(ready[0], &c, 1), 1) << "test: the child did not get through sem_p";
    close(ready[0]);
    ASSERT_EQ(value_of(semid), 0) << "sem_p must take the unit (1 -> 0)";
    kill(child, SIGKILL);
    semtest::finish_child(child);
    EXPECT_EQ(value_of(semid), 1)
        << "a process killed inside the critical section left the semaphore at 0, so every other "
           "process would wait forever: use sem_flg = SEM_UNDO in sem_p (and sem_v) so the kernel "
           "undoes the P of a process that dies";
}

class SemCounterErrors : public SemCounterBase {};

// A second init on the same key fails with EEXIST (IPC_EXCL) and does not reset the counter.
TEST_F(SemCounterErrors, InitTwiceFailsWithFileExists) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, shmid, semid));
    semtest::write_counter(shmid, 5);
    try {
        init_counter(k);
        ADD_FAILURE() << "a second init_counter on the same key returned normally: create with "
                         "IPC_CREAT | IPC_EXCL so it fails with EEXIST (shmget or semget)";
    } catch (const ipclab::SysError& e) {
        EXPECT_TRUE(e.call() == "shmget" || e.call() == "semget")
            << "the second init should fail in shmget or semget, not in " << e.call();
        EXPECT_EQ(e.error(), EEXIST) << "expected File exists (IPC_EXCL), got " << e.what();
    }
    EXPECT_EQ(segment_of(k), shmid) << "the failed init must leave the first segment in place";
    EXPECT_EQ(semaphore_of(k), semid) << "the failed init must leave the first semaphore set in place";
    EXPECT_EQ(semtest::read_counter(shmid), 5u) << "the failed init reset the counter";
    EXPECT_EQ(value_of(semid), 1) << "the failed init changed the semaphore's value";
}

// add and finish with no init: shmget or semget's ENOENT, and nothing is created.
TEST_F(SemCounterErrors, AddAndFinishWithoutInitFail) {
    key_t k = skey();
    for (int which = 0; which < 2; ++which) {
        try {
            if (which == 0) add_to_counter(k, 1);
            else finish_counter(k);
            ADD_FAILURE() << (which == 0 ? "add_to_counter" : "finish_counter")
                          << " returned normally with no segment and no semaphore: check the -1 of "
                             "shmget(key, 0, 0) / semget(key, 0, 0) and throw ipclab::SysError";
        } catch (const ipclab::SysError& e) {
            EXPECT_TRUE(e.call() == "shmget" || e.call() == "semget") << "failed in " << e.call();
            EXPECT_EQ(e.error(), ENOENT) << e.what();
        }
        EXPECT_EQ(segment_of(k), -1) << "a segment was created: only init creates (no IPC_CREAT here)";
        EXPECT_EQ(semaphore_of(k), -1) << "a semaphore set was created: only init creates (no IPC_CREAT here)";
    }
}

// create_semaphore on a key whose set already exists: semget's EEXIST.
TEST_F(SemCounterErrors, CreateSemaphoreOnAUsedKey) {
    key_t k = skey();
    int semid = make_set(k, 1);
    ASSERT_NE(semid, -1);
    EXPECT_SYSERROR(create_semaphore(k), "semget", EEXIST);
    EXPECT_EQ(value_of(semid), 1) << "create_semaphore changed a set that was not its own";
}
