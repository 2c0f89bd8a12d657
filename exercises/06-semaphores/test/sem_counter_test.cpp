// Visible unit tests of 06-semaphores: the functions of sem_counter.cpp called through the test
// program's worker (lab/include/ipclab/remote.hpp), and through the workers of forked children
// where another process is needed.
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "ipclab/testing.hpp"
#include "sem_counter.hpp"
#include "test/sem_counter_fixture.hpp"

using namespace semtest;  // the lab's test support (ipclab::testing) and the fixture's helpers

class SemCounter : public SemCounterBase {};

// init: an 8-byte segment holding 0 and a set of one semaphore worth 1, both 0600.
TEST_F(SemCounter, InitCreatesAZeroCounterAndAFreeSemaphore) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, shmid, semid));
    shmid_ds ds{};
    ASSERT_TRUE(ipclab::testing::stat_segment(shmid, ds));
    EXPECT_EQ(ds.shm_segsz, sizeof(std::uint64_t))
        << msg("wrong_segment_size").with("got", ds.shm_segsz);
    EXPECT_EQ(ds.shm_perm.mode & 0777, 0600u)
        << msg("segment_wrong_mode").with("mode", octal(ds.shm_perm.mode & 0777));
    semid_ds sds = semtest::stat_set(semid);
    EXPECT_EQ(sds.sem_perm.mode & 0777, 0600u)
        << msg("set_wrong_mode").with("mode", octal(sds.sem_perm.mode & 0777));
    EXPECT_EQ(sds.sem_nsems, 1u) << msg("wrong_nsems").with("got", sds.sem_nsems);
    std::uint64_t counter = semtest::read_counter(shmid);
    EXPECT_EQ(counter, 0u) << msg("counter_not_zero").with("got", counter);
    EXPECT_EQ(value_of(semid), 1) << msg("init_value_not_one").with("got", value_of(semid));
}

// add N adds exactly N, and leaves the semaphore free (1) afterwards.
TEST_F(SemCounter, AddAddsNAndLeavesTheSemaphoreFree) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, shmid, semid));
    ASSERT_EQ(value_of(semid), 1) << msg("init_left_semaphore_at").with("got", value_of(semid));
    add_to_counter(k, 1000);
    add_to_counter(k, 234);
    std::uint64_t counter = semtest::read_counter(shmid);
    EXPECT_EQ(counter, 1234u) << msg("add_wrong_total").with("got", counter);
    EXPECT_EQ(value_of(semid), 1) << msg("add_left_semaphore_at").with("got", value_of(semid));
}

// finish returns the counter and removes both objects (IPC_RMID on each).
TEST_F(SemCounter, FinishReturnsTheCounterAndRemovesBoth) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, shmid, semid));
    semtest::write_counter(shmid, 77);
    std::uint64_t got = finish_counter(k);
    EXPECT_EQ(got, 77u) << msg("finish_wrong_value").with("got", got);
    EXPECT_EQ(segment_of(k), -1) << msg("finish_kept_segment");
    EXPECT_EQ(semaphore_of(k), -1) << msg("finish_kept_set");
}

class SemaphoreOps : public SemCounterBase {};

// create_semaphore: a set of one semaphore, worth 1 thanks to SETVAL with a union semun.
TEST_F(SemaphoreOps, CreateGivesTheValueOne) {
    key_t k = skey();
    int semid = -1;
    try {
        semid = create_semaphore(k);
    } catch (const ipclab::SysError& e) {
        // ERANGE from semctl: SETVAL got an address (&arg) as the value.
        if (e.call() == "semctl" && e.error() == ERANGE) {
            FAIL() << msg("create_setval_out_of_range");
        } else {
            FAIL()
                << msg("create_threw").with("call", e.call()).with("error", errno_name(e.error()));
        }
    }
    track_set(semid);
    ASSERT_NE(semid, -1) << msg("create_returned_minus_one");
    EXPECT_EQ(semid, semaphore_of(k))
        << msg("create_wrong_set").with("got", semid).with("want", semaphore_of(k));
    EXPECT_EQ(value_of(semid), 1) << msg("create_value_not_one").with("got", value_of(semid));
}

// sem_p takes the unit (1 -> 0), sem_v gives it back (0 -> 1).
TEST_F(SemaphoreOps, PTakesAndVGivesBack) {
    int semid = make_set(skey(), {1});
    ASSERT_NE(semid, -1);
    sem_p(semid);
    EXPECT_EQ(value_of(semid), 0) << msg("p_did_not_take").with("got", value_of(semid));
    sem_v(semid);
    EXPECT_EQ(value_of(semid), 1) << msg("v_did_not_give").with("got", value_of(semid));
}

// While another process holds the semaphore, add waits in its P and does not touch the counter.
TEST_F(SemaphoreOps, AddWaitsWhileAnotherProcessHoldsTheSemaphore) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, shmid, semid));
    ASSERT_EQ(value_of(semid), 1) << msg("init_left_semaphore_at").with("got", value_of(semid));
    ASSERT_TRUE(semtest::take(semid));  // the test is now inside the critical section
    pid_t child = semtest::spawn_with_worker([k] {
        add_to_counter(k, 1);
        return 0;
    });
    int status = 0;
    bool reaped = false;
    semtest::wait_until([&] {
        reaped = reaped || waitpid(child, &status, WNOHANG) == child;
        return reaped || semtest::waiters_of(semid) == 1;
    });
    std::uint64_t counter = semtest::read_counter(shmid);
    EXPECT_EQ(counter, 0u) << msg("add_ignored_held_semaphore").with("got", counter);
    EXPECT_FALSE(reaped) << msg("add_did_not_wait");
    semtest::give(semid);
    if (!reaped) {
        int code = semtest::finish_child(child);
        EXPECT_EQ(code, 0) << msg("add_not_finished_once_free").with("status", code);
    }
    counter = semtest::read_counter(shmid);
    EXPECT_EQ(counter, 1u) << msg("add_lost_once_free").with("got", counter);
}

// SEM_UNDO: a process killed inside the critical section gives its unit back.
TEST_F(SemaphoreOps, KilledHolderGivesTheSemaphoreBack) {
    int semid = make_set(skey(), {1});
    ASSERT_NE(semid, -1);
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    pid_t child = semtest::spawn_with_worker([&]() -> int {
        sem_p(semid);
        semtest::tell_worker_pid(ready[1]);  // "I hold it": the process whose semop took it
        for (;;) pause();                    // ... and die here, killed
    });
    close(ready[1]);
    pid_t holder = semtest::read_pid(ready[0]);
    close(ready[0]);
    if (holder == -1 || value_of(semid) != 0) {
        kill(child, SIGKILL);
        semtest::finish_child(child);
    }
    ASSERT_NE(holder, -1) << msg("child_did_not_pass_p");
    ASSERT_EQ(value_of(semid), 0) << msg("p_did_not_take").with("got", value_of(semid));
    kill(child, SIGKILL);
    semtest::finish_child(child);
    // The child's worker, which did the P, dies with it (PR_SET_PDEATHSIG), a moment later.
    semtest::wait_until([&] { return semtest::has_ended(holder); });
    EXPECT_EQ(value_of(semid), 1) << msg("killed_holder_kept_unit").with("got", value_of(semid));
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
        ADD_FAILURE() << msg("init_twice_returned");
    } catch (const ipclab::SysError& e) {
        EXPECT_TRUE(e.call() == "shmget" || e.call() == "semget")
            << msg("init_twice_wrong_call").with("got", e.call());
        EXPECT_EQ(e.error(), EEXIST) << msg("init_twice_wrong_errno")
                                            .with("call", e.call())
                                            .with("got", errno_name(e.error()));
    }
    EXPECT_EQ(segment_of(k), shmid)
        << msg("init_twice_lost_segment").with("want", shmid).with("got", segment_of(k));
    EXPECT_EQ(semaphore_of(k), semid)
        << msg("init_twice_lost_set").with("want", semid).with("got", semaphore_of(k));
    std::uint64_t counter = semtest::read_counter(shmid);
    EXPECT_EQ(counter, 5u) << msg("init_twice_reset_counter").with("got", counter);
    EXPECT_EQ(value_of(semid), 1) << msg("init_twice_changed_value").with("got", value_of(semid));
}

// add and finish with no init: shmget or semget's ENOENT, and nothing is created.
TEST_F(SemCounterErrors, AddAndFinishWithoutInitFail) {
    key_t k = skey();
    semtest::expect_lookup_error("add_to_counter", [k] { add_to_counter(k, 1); });
    semtest::expect_nothing_created(k, "add_to_counter");
    semtest::expect_lookup_error("finish_counter", [k] { finish_counter(k); });
    semtest::expect_nothing_created(k, "finish_counter");
}

// Only one of the two objects: add and finish fail in the look-up of the missing one, whatever
// the order of their look-ups, and change nothing (finish removes nothing).
TEST_F(SemCounterErrors, WithOnlyOneObjectAddAndFinishChangeNothing) {
    key_t k = skey(42);
    int shmid = make_segment(k, sizeof(std::uint64_t), 0600);
    ASSERT_NE(shmid, -1);
    semtest::write_counter(shmid, 9);
    semtest::expect_lookup_error(
        "add_to_counter", [k] { add_to_counter(k, 1); }, "semget");
    semtest::expect_lookup_error(
        "finish_counter", [k] { finish_counter(k); }, "semget");
    EXPECT_EQ(segment_of(k), shmid)
        << msg("half_removed_segment").with("want", shmid).with("got", segment_of(k));
    if (segment_of(k) == shmid) {
        std::uint64_t counter = semtest::read_counter(shmid);
        EXPECT_EQ(counter, 9u) << msg("half_changed_counter").with("got", counter);
    }
    EXPECT_EQ(semaphore_of(k), -1)
        << msg("missing_created_set").with("function", "add_to_counter / finish_counter");

    key_t k2 = skey(43);
    int semid = make_set(k2, {1});
    ASSERT_NE(semid, -1);
    semtest::expect_lookup_error(
        "add_to_counter", [k2] { add_to_counter(k2, 1); }, "shmget");
    semtest::expect_lookup_error(
        "finish_counter", [k2] { finish_counter(k2); }, "shmget");
    EXPECT_EQ(semaphore_of(k2), semid)
        << msg("half_removed_set").with("want", semid).with("got", semaphore_of(k2));
    if (semaphore_of(k2) == semid) {
        EXPECT_EQ(value_of(semid), 1) << msg("half_changed_set").with("got", value_of(semid));
    }
    EXPECT_EQ(segment_of(k2), -1)
        << msg("missing_created_segment").with("function", "add_to_counter / finish_counter");
}

// A segment smaller than the counter (not one init made): add and finish throw ipclab::Failure
// with the statement's message and change nothing; a larger one is fine (its first 8 bytes).
TEST_F(SemCounterErrors, ASegmentTooSmallForTheCounterIsCorrupt) {
    key_t k = skey(44);
    int shmid = make_segment(k, 4, 0600, {7});
    int semid = make_set(k, {1});
    ASSERT_NE(shmid, -1);
    ASSERT_NE(semid, -1);
    const std::string want = "sem_counter: corrupt segment: 4 bytes cannot hold the counter";
    for (int which = 0; which < 2; ++which) {
        const char* function = which == 0 ? "add_to_counter" : "finish_counter";
        try {
            if (which == 0)
                add_to_counter(k, 3);
            else
                finish_counter(k);
            ADD_FAILURE() << msg("small_segment_accepted").with("function", function);
        } catch (const ipclab::Failure& e) {
            EXPECT_EQ(e.what(), want) << msg("small_segment_wrong_message")
                                             .with("function", function)
                                             .with("got", e.what())
                                             .with("want", want);
        } catch (const ipclab::SysError& e) {
            ADD_FAILURE()
                << msg("small_segment_syserror").with("function", function).with("got", e.what());
        }
        EXPECT_EQ(segment_of(k), shmid) << msg("small_segment_removed").with("function", function);
        EXPECT_EQ(semaphore_of(k), semid)
            << msg("small_segment_removed").with("function", function);
        if (segment_of(k) != shmid || semaphore_of(k) != semid) break;
        // The segment's 4 bytes (the test reads them within the page the kernel maps).
        auto first = static_cast<std::uint32_t>(semtest::read_counter(shmid));
        EXPECT_EQ(first, 7u)
            << msg("small_segment_written").with("function", function).with("got", first);
        EXPECT_EQ(value_of(semid), 1) << msg("small_segment_semaphore")
                                             .with("function", function)
                                             .with("got", value_of(semid));
    }

    key_t big = skey(45);
    int bigid = make_segment(big, 16, 0600);
    ASSERT_NE(bigid, -1);
    ASSERT_NE(make_set(big, {1}), -1);
    try {
        add_to_counter(big, 3);
        std::uint64_t got = finish_counter(big);
        EXPECT_EQ(got, 3u) << msg("large_segment_refused").with("got", got);
    } catch (const std::exception& e) {
        ADD_FAILURE() << msg("large_segment_threw").with("got", e.what());
    }
}

// create_semaphore on a key whose set already exists: semget's EEXIST.
TEST_F(SemCounterErrors, CreateSemaphoreOnAUsedKey) {
    key_t k = skey();
    int semid = make_set(k, {1});
    ASSERT_NE(semid, -1);
    EXPECT_SYSERROR(create_semaphore(k), "semget", EEXIST);
    EXPECT_EQ(value_of(semid), 1) << msg("create_changed_foreign_set").with("got", value_of(semid));
}
