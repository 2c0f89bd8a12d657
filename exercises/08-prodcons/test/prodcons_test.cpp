// Visible unit tests of 08-prodcons: init_buffer, produce, consume and finish_buffer called
// in-process, and in forked children where a second process must wait.
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "ipclab/testing.hpp"
#include "prodcons.hpp"
#include "test/prodcons_fixture.hpp"

using ipclab::testing::segment_of;
using pctest::semaphore_of;
using pctest::values_of;
using Ints = std::vector<std::int32_t>;
using Vals = std::vector<int>;

namespace {
Ints take_all(key_t k, int count) {
    Ints got;
    consume(k, count, [&](std::int32_t v) { got.push_back(v); });
    return got;
}
}  // namespace

class ProdCons : public ProdConsBase {};

// init: the documented layout (SLOTS, in 0, out 0, the slots) and {empty, full, mutex} = {SLOTS, 0, 1}.
TEST_F(ProdCons, InitLaysOutTheBufferAndTheSemaphores) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, 4, shmid, semid));
    shmid_ds ds{};
    ASSERT_TRUE(ipclab::testing::stat_segment(shmid, ds));
    EXPECT_EQ(ds.shm_segsz, (kHeader + 4) * sizeof(std::int32_t))
        << "4 slots need (kHeader + SLOTS) * sizeof(std::int32_t) = 28 bytes";
    EXPECT_EQ(ds.shm_perm.mode & 0777, 0600u)
        << "the segment was created with mode 0" << std::oct << (ds.shm_perm.mode & 0777)
        << "; create it with 0600 (IPC_CREAT | IPC_EXCL | 0600)";
    semid_ds sds = pctest::stat_set(semid);
    EXPECT_EQ(sds.sem_perm.mode & 0777, 0600u)
        << "the semaphore set was created with mode 0" << std::oct << (sds.sem_perm.mode & 0777)
        << "; create it with semget(key, 3, IPC_CREAT | IPC_EXCL | 0600)";
    EXPECT_EQ(sds.sem_nsems, 3u) << "one set of three semaphores: empty, full, mutex";
    EXPECT_EQ(pctest::ints_of(shmid, 3), (Ints{4, 0, 0}))
        << "the segment starts with arreglo[kSlotsAt] = SLOTS, arreglo[kInAt] = 0, arreglo[kOutAt] = 0";
}

// Three items in, three out, in the order they went in; the semaphores count them.
TEST_F(ProdCons, ProduceThenConsumeInOrder) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, 4, shmid, semid));
    produce(k, 10, 3);
    EXPECT_EQ(values_of(semid), (Vals{1, 3, 1}))
        << "after 3 items in 4 slots {empty, full, mutex} must be {1, 3, 1}: the producer does "
           "P(empty) and V(full) per item (empty/full swapped, or SEM_UNDO on them, gives other values)";
    EXPECT_EQ(pctest::ints_of(shmid, kHeader + 3), (Ints{4, 3, 0, 10, 11, 12}))
        << "the items go in arreglo[kHeader + in], and in advances by one per item";
    EXPECT_EQ(take_all(k, 3), (Ints{10, 11, 12})) << "consume must take the items in the order they went in";
    EXPECT_EQ(values_of(semid), (Vals{4, 0, 1}))
        << "after taking them back {empty, full, mutex} must be {4, 0, 1}: P(full), V(empty) per item";
}

// in and out go round: (in + 1) % SLOTS, so a 2-slot buffer carries any number of items.
TEST_F(ProdCons, IndexesWrapAround) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, 2, shmid, semid));
    Ints got;
    for (int round = 0; round < 5; ++round) {
        produce(k, 100 + 2 * round, 2);
        Ints two = take_all(k, 2);
        got.insert(got.end(), two.begin(), two.end());
    }
    EXPECT_EQ(got, (Ints{100, 101, 102, 103, 104, 105, 106, 107, 108, 109}))
        << "ten items through two slots: in and out must wrap with (index + 1) % SLOTS";
    EXPECT_EQ(values_of(semid), (Vals{2, 0, 1}));
}

// finish removes the segment and the semaphore set.
TEST_F(ProdCons, FinishRemovesBoth) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, 3, shmid, semid));
    finish_buffer(k);
    EXPECT_EQ(segment_of(k), -1) << "the segment is still there after finish: shmctl(shmid, IPC_RMID, nullptr)";
    EXPECT_EQ(semaphore_of(k), -1) << "the semaphore set is still there after finish: semctl(semid, 0, IPC_RMID)";
}

class ProdConsSync : public ProdConsBase {};

// An empty buffer: the consumer sleeps in P(full) until a producer puts an item.
TEST_F(ProdConsSync, ConsumerWaitsForAnItem) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, 2, shmid, semid));
    pctest::Consumer c = pctest::start_consumer(k, 1);
    pctest::wait_until([&] { return c.child.reaped() || pctest::waiters_of(semid, kFull) == 1; });
    EXPECT_FALSE(c.child.reaped()) << "consume ended with nothing in the buffer: it must wait in "
                                      "P(full) (semop -1 on kFull) until an item is there";
    EXPECT_EQ(pctest::waiters_of(semid, kFull), 1)
        << "the consumer is not asleep in P(full): wait for an item with semop on kFull, never "
           "with a loop that checks the buffer";
    produce(k, 42, 1);
    EXPECT_EQ(c.child.finish(), 0) << "the consumer did not end once an item was there";
    EXPECT_EQ(c.collect(), (Ints{42}));
}

// A full buffer: the producer sleeps in P(empty) until a consumer frees a slot.
TEST_F(ProdConsSync, ProducerWaitsForAFreeSlot) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, 1, shmid, semid));
    produce(k, 1, 1);
    pctest::Child p;
    p.pid = pctest::spawn([k] {
        produce(k, 2, 1);
        return 0;
    });
    pctest::wait_until([&] { return p.reaped() || pctest::waiters_of(semid, kEmpty) == 1; });
    EXPECT_FALSE(p.reaped()) << "produce ended although the 1-slot buffer was full: it must wait in "
                                "P(empty) until a consumer frees a slot (was the item overwritten?)";
    EXPECT_EQ(pctest::waiters_of(semid, kEmpty), 1)
        << "the producer is not asleep in P(empty) (semop -1 on kEmpty)";
    if (pctest::values_of(semid) == Vals{0, 1, 1} && !p.reaped()) {
        EXPECT_EQ(take_all(k, 1), (Ints{1}));
        EXPECT_EQ(p.finish(), 0) << "the producer did not end once a slot was free";
        EXPECT_EQ(take_all(k, 1), (Ints{2}));
    } else {
        p.finish(0.5);
    }
}

// While another process holds the mutex, produce waits in P(mutex) and touches nothing.
TEST_F(ProdConsSync, ProducerWaitsForTheMutex) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, 2, shmid, semid));
    ASSERT_TRUE(pctest::take(semid, kMutex));  // the test is inside the critical section
    pctest::Child p;
    p.pid = pctest::spawn([k] {
        produce(k, 7, 1);
        return 0;
    });
    pctest::wait_until([&] { return p.reaped() || pctest::waiters_of(semid, kMutex) == 1; });
    EXPECT_EQ(pctest::values_of(semid)[kFull], 0)
        << "produce put an item while another process held the mutex: no mutual exclusion. Take "
           "P(mutex) around the update of the slot and of in";
    EXPECT_EQ(pctest::waiters_of(semid, kMutex), 1)
        << "the producer is not waiting for the mutex (semop -1 on kMutex) another process holds";
    pctest::give(semid, kMutex);
    EXPECT_EQ(p.finish(), 0) << "the producer did not end once the mutex was free";
    EXPECT_EQ(values_of(semid), (Vals{1, 1, 1}));
}

// empty and full are not undone at exit: a producer that put 2 items and exited leaves {2, 2, 1}.
TEST_F(ProdConsSync, EmptyAndFullSurviveTheProducersExit) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, 4, shmid, semid));
    pctest::Child p;
    p.pid = pctest::spawn([k] {
        produce(k, 1, 2);
        return 0;
    });
    EXPECT_EQ(p.finish(), 0);
    Vals v = values_of(semid);
    EXPECT_EQ(v, (Vals{2, 2, 1}))
        << "a producer put 2 items in 4 slots and exited; {empty, full, mutex} should be {2, 2, 1}"
        << (v.size() == 3 && (v[0] == 4 || v[1] == 0)
                ? ": the kernel undid its P(empty)/V(full) at exit. Use SEM_UNDO only on the mutex: "
                  "a unit of empty or full taken by one process is given back by another"
                : "");
}

class ProdConsErrors : public ProdConsBase {};

// A second init on the same key: EEXIST, and the first buffer is untouched.
TEST_F(ProdConsErrors, InitTwiceFailsWithFileExists) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, 2, shmid, semid));
    produce(k, 5, 1);
    try {
        init_buffer(k, 2);
        ADD_FAILURE() << "a second init_buffer returned normally: create with IPC_CREAT | IPC_EXCL";
    } catch (const ipclab::SysError& e) {
        EXPECT_TRUE(e.call() == "shmget" || e.call() == "semget") << "failed in " << e.call();
        EXPECT_EQ(e.error(), EEXIST) << e.what();
    }
    EXPECT_EQ(values_of(semid), (Vals{1, 1, 1})) << "the failed init changed the semaphores";
    EXPECT_EQ(pctest::ints_of(shmid, 4), (Ints{2, 1, 0, 5})) << "the failed init changed the buffer";
}

// produce, consume and finish with no init: ENOENT from shmget or semget, nothing created.
TEST_F(ProdConsErrors, WithoutInitEverythingFails) {
    key_t k = skey();
    for (int which = 0; which < 3; ++which) {
        try {
            if (which == 0) produce(k, 1, 1);
            else if (which == 1) consume(k, 1, [](std::int32_t) {});
            else finish_buffer(k);
            ADD_FAILURE() << "call " << which << " returned normally with no buffer: check the -1 "
                             "of shmget(key, 0, 0) / semget(key, 0, 0)";
        } catch (const ipclab::SysError& e) {
            EXPECT_TRUE(e.call() == "shmget" || e.call() == "semget") << "failed in " << e.call();
            EXPECT_EQ(e.error(), ENOENT) << e.what();
        }
        EXPECT_EQ(segment_of(k), -1) << "a segment was created: only init creates (no IPC_CREAT)";
        EXPECT_EQ(semaphore_of(k), -1) << "a semaphore set was created: only init creates";
    }
}
