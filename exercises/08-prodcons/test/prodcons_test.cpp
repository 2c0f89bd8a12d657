// Visible unit tests of 08-prodcons: init_buffer, produce, consume and finish_buffer called
// through the test program's worker (lab/include/ipclab/remote.hpp), and through the workers of
// forked children where a second process must wait.
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ipclab/testing.hpp"
#include "prodcons.hpp"
#include "test/prodcons_fixture.hpp"

using namespace pctest;  // the lab's test support (ipclab::testing) and the fixture's helpers
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
        << msg("wrong_segment_size").with("got", ds.shm_segsz);
    EXPECT_EQ(ds.shm_perm.mode & 0777, 0600u)
        << msg("segment_wrong_mode").with("mode", octal(ds.shm_perm.mode & 0777));
    semid_ds sds = pctest::stat_set(semid);
    EXPECT_EQ(sds.sem_perm.mode & 0777, 0600u)
        << msg("set_wrong_mode").with("mode", octal(sds.sem_perm.mode & 0777));
    EXPECT_EQ(sds.sem_nsems, 3u) << msg("wrong_nsems").with("got", sds.sem_nsems);
    Ints header = pctest::ints_of(shmid, 3);
    EXPECT_EQ(header, (Ints{4, 0, 0})) << msg("wrong_header").with("got", listed(header));
}

// Three items in, three out, in the order they went in; the semaphores count them.
TEST_F(ProdCons, ProduceThenConsumeInOrder) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, 4, shmid, semid));
    produce(k, 10, 3);
    Vals after_produce = values_of(semid);
    EXPECT_EQ(after_produce, (Vals{1, 3, 1}))
        << msg("produce_wrong_values").with("got", listed(after_produce));
    Ints buffer = pctest::ints_of(shmid, kHeader + 3);
    EXPECT_EQ(buffer, (Ints{4, 3, 0, 10, 11, 12}))
        << msg("produce_wrong_slots").with("got", listed(buffer));
    Ints taken = take_all(k, 3);
    EXPECT_EQ(taken, (Ints{10, 11, 12})) << msg("consume_wrong_order").with("got", listed(taken));
    Vals after_consume = values_of(semid);
    EXPECT_EQ(after_consume, (Vals{4, 0, 1}))
        << msg("consume_wrong_values").with("got", listed(after_consume));
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
        << msg("no_wrap_around").with("got", listed(got));
    Vals at_end = values_of(semid);
    EXPECT_EQ(at_end, (Vals{2, 0, 1})) << msg("wrap_left_wrong_values").with("got", listed(at_end));
}

// finish removes the segment and the semaphore set.
TEST_F(ProdCons, FinishRemovesBoth) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, 3, shmid, semid));
    finish_buffer(k);
    EXPECT_EQ(segment_of(k), -1) << msg("finish_kept_segment");
    EXPECT_EQ(semaphore_of(k), -1) << msg("finish_kept_set");
}

class ProdConsSync : public ProdConsBase {};

// An empty buffer: the consumer sleeps in P(full) until a producer puts an item.
TEST_F(ProdConsSync, ConsumerWaitsForAnItem) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, 2, shmid, semid));
    pctest::Consumer c = pctest::start_consumer(k, 1);
    pctest::wait_until([&] { return c.child.reaped() || pctest::waiters_of(semid, kFull) == 1; });
    EXPECT_FALSE(c.child.reaped()) << msg("consume_did_not_wait");
    EXPECT_EQ(pctest::waiters_of(semid, kFull), 1)
        << msg("consumer_not_asleep_in_full").with("got", pctest::waiters_of(semid, kFull));
    produce(k, 42, 1);
    int code = c.child.finish();
    EXPECT_EQ(code, 0) << msg("consumer_not_finished_after_item").with("status", code);
    Ints delivered = c.collect();
    EXPECT_EQ(delivered, (Ints{42}))
        << msg("consumer_got_wrong_items").with("got", listed(delivered)).with("want", "[42]");
}

// A full buffer: the producer sleeps in P(empty) until a consumer frees a slot.
TEST_F(ProdConsSync, ProducerWaitsForAFreeSlot) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, 1, shmid, semid));
    produce(k, 1, 1);
    pctest::Child p;
    p.pid = pctest::spawn_with_worker([k] {
        produce(k, 2, 1);
        return 0;
    });
    pctest::wait_until([&] { return p.reaped() || pctest::waiters_of(semid, kEmpty) == 1; });
    EXPECT_FALSE(p.reaped()) << msg("produce_did_not_wait_when_full");
    EXPECT_EQ(pctest::waiters_of(semid, kEmpty), 1)
        << msg("producer_not_asleep_in_empty").with("got", pctest::waiters_of(semid, kEmpty));
    if (pctest::values_of(semid) == Vals{0, 1, 1} && !p.reaped()) {
        Ints first = take_all(k, 1);
        EXPECT_EQ(first, (Ints{1}))
            << msg("full_buffer_took_wrong_item").with("got", listed(first)).with("want", "[1]");
        int code = p.finish();
        EXPECT_EQ(code, 0) << msg("producer_not_finished_after_slot").with("status", code);
        Ints second = take_all(k, 1);
        EXPECT_EQ(second, (Ints{2}))
            << msg("full_buffer_took_wrong_item").with("got", listed(second)).with("want", "[2]");
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
    p.pid = pctest::spawn_with_worker([k] {
        produce(k, 7, 1);
        return 0;
    });
    pctest::wait_until([&] { return p.reaped() || pctest::waiters_of(semid, kMutex) == 1; });
    Vals held = pctest::values_of(semid);
    EXPECT_EQ(held[kFull], 0) << msg("produce_ignored_mutex").with("got", listed(held));
    EXPECT_EQ(pctest::waiters_of(semid, kMutex), 1)
        << msg("producer_not_waiting_for_mutex").with("got", pctest::waiters_of(semid, kMutex));
    pctest::give(semid, kMutex);
    int code = p.finish();
    EXPECT_EQ(code, 0) << msg("producer_not_finished_after_mutex").with("status", code);
    Vals after = values_of(semid);
    EXPECT_EQ(after, (Vals{1, 1, 1}))
        << msg("wrong_values_after_mutex_wait").with("got", listed(after));
}

// empty and full are not undone at exit: a producer that put 2 items and exited leaves {2, 2, 1}.
TEST_F(ProdConsSync, EmptyAndFullSurviveTheProducersExit) {
    key_t k = skey();
    int shmid = -1, semid = -1;
    ASSERT_TRUE(init_ok(k, 4, shmid, semid));
    pctest::Child p;
    p.pid = pctest::spawn_with_worker([k] {
        produce(k, 1, 2);
        return 0;
    });
    int code = p.finish();
    EXPECT_EQ(code, 0) << msg("producer_did_not_finish").with("status", code);
    Vals v = values_of(semid);
    // empty back at 4 or full back at 0: the kernel undid P(empty)/V(full) at the producer's exit.
    if (v.size() == 3 && (v[0] == 4 || v[1] == 0)) {
        EXPECT_EQ(v, (Vals{2, 2, 1})) << msg("empty_full_undone_at_exit").with("got", listed(v));
    } else {
        EXPECT_EQ(v, (Vals{2, 2, 1}))
            << msg("wrong_values_after_producer_exit").with("got", listed(v));
    }
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
        ADD_FAILURE() << msg("init_twice_returned");
    } catch (const ipclab::SysError& e) {
        EXPECT_TRUE(e.call() == "shmget" || e.call() == "semget")
            << msg("init_twice_wrong_call").with("got", e.call());
        EXPECT_EQ(e.error(), EEXIST) << msg("init_twice_wrong_errno")
                                            .with("call", e.call())
                                            .with("got", errno_name(e.error()));
    }
    Vals values = values_of(semid);
    EXPECT_EQ(values, (Vals{1, 1, 1}))
        << msg("init_twice_changed_semaphores").with("got", listed(values));
    Ints buffer = pctest::ints_of(shmid, 4);
    EXPECT_EQ(buffer, (Ints{2, 1, 0, 5}))
        << msg("init_twice_changed_buffer").with("got", listed(buffer));
}

// produce, consume and finish with no init: ENOENT from shmget or semget, nothing created.
TEST_F(ProdConsErrors, WithoutInitEverythingFails) {
    key_t k = skey();
    pctest::expect_lookup_error("produce", [k] { produce(k, 1, 1); });
    pctest::expect_nothing_created(k, "produce");
    pctest::expect_lookup_error("consume", [k] { consume(k, 1, [](std::int32_t) {}); });
    pctest::expect_nothing_created(k, "consume");
    pctest::expect_lookup_error("finish_buffer", [k] { finish_buffer(k); });
    pctest::expect_nothing_created(k, "finish_buffer");
}

// Only one of the two objects: each function fails in the look-up of the missing one, whatever
// the order of its look-ups, and changes nothing (finish_buffer removes nothing).
TEST_F(ProdConsErrors, WithOnlyOneObjectNothingChanges) {
    key_t k = skey(42);
    int shmid = make_segment(k, (kHeader + 2) * sizeof(std::int32_t), 0600, {2, 1, 0, 5, 0});
    ASSERT_NE(shmid, -1);
    pctest::expect_lookup_error(
        "produce", [k] { produce(k, 1, 1); }, "semget");
    pctest::expect_lookup_error(
        "consume", [k] { consume(k, 1, [](std::int32_t) {}); }, "semget");
    pctest::expect_lookup_error(
        "finish_buffer", [k] { finish_buffer(k); }, "semget");
    EXPECT_EQ(segment_of(k), shmid)
        << msg("half_removed_segment").with("want", shmid).with("got", segment_of(k));
    if (segment_of(k) == shmid) {
        Ints buffer = pctest::ints_of(shmid, 5);
        EXPECT_EQ(buffer, (Ints{2, 1, 0, 5, 0}))
            << msg("half_changed_buffer").with("got", listed(buffer));
    }
    EXPECT_EQ(semaphore_of(k), -1)
        << msg("missing_created_set").with("function", "produce / consume / finish_buffer");

    key_t k2 = skey(43);
    int semid = make_set(k2, {2, 0, 1});
    ASSERT_NE(semid, -1);
    pctest::expect_lookup_error(
        "produce", [k2] { produce(k2, 1, 1); }, "shmget");
    pctest::expect_lookup_error(
        "consume", [k2] { consume(k2, 1, [](std::int32_t) {}); }, "shmget");
    pctest::expect_lookup_error(
        "finish_buffer", [k2] { finish_buffer(k2); }, "shmget");
    EXPECT_EQ(semaphore_of(k2), semid)
        << msg("half_removed_set").with("want", semid).with("got", semaphore_of(k2));
    if (semaphore_of(k2) == semid) {
        Vals values = values_of(semid);
        EXPECT_EQ(values, (Vals{2, 0, 1})) << msg("half_changed_set").with("got", listed(values));
    }
    EXPECT_EQ(segment_of(k2), -1)
        << msg("missing_created_segment").with("function", "produce / consume / finish_buffer");
}

namespace {
// Runs `call` (produce or consume on a corrupt buffer) and expects the statement's Failure.
void expect_corrupt(const char* function, const std::function<void()>& call,
                    const std::string& want) {
    try {
        call();
        ADD_FAILURE() << msg("corrupt_accepted").with("function", function).with("want", want);
    } catch (const ipclab::Failure& e) {
        EXPECT_EQ(e.what(), want) << msg("corrupt_wrong_message")
                                         .with("function", function)
                                         .with("got", e.what())
                                         .with("want", want);
    } catch (const ipclab::SysError& e) {
        ADD_FAILURE() << msg("corrupt_syserror")
                             .with("function", function)
                             .with("got", e.what())
                             .with("want", want);
    }
}
}  // namespace

// A corrupt buffer: SLOTS that does not fit (or is outside 1..64), in or out outside 0..SLOTS-1.
// produce and consume throw ipclab::Failure with the statement's message, write nothing and give
// back the units they took for that item; a segment larger than SLOTS needs is fine.
TEST_F(ProdConsErrors, ACorruptBufferIsRefusedAndItsUnitsGiveBack) {
    struct Case {
        const char* function;
        Ints ints;
        std::vector<unsigned short> values;
        std::string want;
    };
    const std::vector<Case> cases = {
        {"produce",
         {9, 0, 0, 0, 0},
         {2, 0, 1},
         "prodcons: corrupt buffer: SLOTS 9 in a segment of 20 bytes"},
        {"consume",
         {0, 0, 0, 0, 0},
         {1, 1, 1},
         "prodcons: corrupt buffer: SLOTS 0 in a segment of 20 bytes"},
        {"produce", {2, 5, 0, 0, 0}, {2, 0, 1}, "prodcons: corrupt buffer: in 5 with SLOTS 2"},
        {"consume", {2, 1, -1, 42, 0}, {1, 1, 1}, "prodcons: corrupt buffer: out -1 with SLOTS 2"},
    };
    int proj = 50;
    for (const Case& c : cases) {
        key_t k = skey(proj++);
        int shmid = make_segment(k, c.ints.size() * sizeof(std::int32_t), 0600, c.ints);
        int semid = make_set(k, c.values);
        ASSERT_NE(shmid, -1);
        ASSERT_NE(semid, -1);
        Ints delivered;
        if (std::string(c.function) == "produce") {
            expect_corrupt(
                c.function, [k] { produce(k, 77, 1); }, c.want);
        } else {
            expect_corrupt(
                c.function, [&] { consume(k, 1, [&](std::int32_t v) { delivered.push_back(v); }); },
                c.want);
        }
        Ints after = pctest::ints_of(shmid, c.ints.size());
        EXPECT_EQ(after, c.ints) << msg("corrupt_written")
                                        .with("function", c.function)
                                        .with("before", listed(c.ints))
                                        .with("got", listed(after));
        EXPECT_TRUE(delivered.empty()) << msg("corrupt_delivered").with("got", listed(delivered));
        Vals want_values(c.values.begin(), c.values.end());
        Vals values = values_of(semid);
        EXPECT_EQ(values, want_values) << msg("corrupt_kept_units")
                                              .with("function", c.function)
                                              .with("want", listed(want_values))
                                              .with("got", listed(values));
    }

    key_t big = skey(60);
    ASSERT_NE(make_segment(big, 16 * sizeof(std::int32_t), 0600, {2, 0, 0}), -1);
    int semid = make_set(big, {2, 0, 1});
    ASSERT_NE(semid, -1);
    try {
        produce(big, 8, 2);
        Ints got = take_all(big, 2);
        EXPECT_EQ(got, (Ints{8, 9})) << msg("large_segment_refused").with("got", listed(got));
    } catch (const std::exception& e) {
        ADD_FAILURE() << msg("large_segment_threw").with("got", e.what());
    }
}
