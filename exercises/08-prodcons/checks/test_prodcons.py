"""Visible process checks of 08-prodcons: prodcons init|produce|consume|finish, run in a sandbox."""
import re

from ipclab_harness.check import CheckFailed, excerpt, fail
from ipclab_harness.stderr_lines import has_stderr_line

PROG = "prodcons"
NUMBER = re.compile(r"-?\d+")


def run_init(lab, proj, slots, section="init"):
    """prodcons init data PROJ SLOTS: exit 0, no output; returns (segment, semaphore set)."""
    p = lab.run(PROG, "init", "data", proj, slots)
    lab.expect_exit(p, 0, section=section)
    lab.expect_stdout(p, [], section=section)
    seg, sems = lab.expect_objects(lab.key("data", proj), section, segment="init_no_segment",
                                   semaphores="init_no_semaphores")
    values = lab.sem_values(sems.semid)
    if values != [slots, 0, 1]:
        fail("init_values", section, slots=slots, got=values)
    return seg, sems


def run_finish(lab, proj, section="finish"):
    p = lab.run(PROG, "finish", "data", proj)
    lab.expect_exit(p, 0, section=section)
    lab.expect_stdout(p, [], section=section)
    key = lab.key("data", proj)
    if lab.segment(key=key) is not None:
        fail("finish_left_segment", section, ipcs=lab.ipcs_all())
    if lab.semaphore_set(key=key) is not None:
        fail("finish_left_semaphores", section, ipcs=lab.ipcs_all())


def still_running_after(p, seconds):
    """True when `p` has not ended within `seconds` (it is waiting, as it must)."""
    try:
        p.wait(timeout=seconds)
    except CheckFailed:
        return True
    return False


# init lays out a 4-slot buffer and {empty, full, mutex} = {4, 0, 1}; 3 items go in and come
# out in order; finish leaves nothing.
def test_init_produce_consume_finish(lab):
    lab.file("data")
    seg, sems = run_init(lab, 41, 4)
    lab.expect_init_shape(seg, sems, size=28, nsems=3)
    if lab.read_ints(seg.shmid, 3) != [4, 0, 0]:
        fail("init_layout", "init", got=lab.read_ints(seg.shmid, 3))
    p = lab.run(PROG, "produce", "data", 41, 1, 3)
    lab.wait_exit(p, "produce_hangs", "produce")
    lab.expect_exit(p, 0, section="produce")
    lab.expect_stdout(p, [], section="produce")
    values = lab.sem_values(sems.semid)
    if values != [1, 3, 1]:
        fail("produce_values", "produce", got=values)
    c = lab.run(PROG, "consume", "data", 41, 3)
    lab.wait_exit(c, "consume_hangs", "consume")
    lab.expect_exit(c, 0, section="consume")
    lab.expect_stdout(c, ["1", "2", "3"], section="consume")
    values = lab.sem_values(sems.semid)
    if values != [4, 0, 1]:
        fail("consume_values", "consume", got=values)
    run_finish(lab, 41)


# Three producers and three consumers at once over 3 slots: every value exactly once, each
# producer's values in order, no deadlock, nothing left after finish.
def test_producers_and_consumers_exactly_once(lab):
    lab.file("data")
    seg, sems = run_init(lab, 42, 3)
    each = 400
    procs, consumers = [], []
    for i in range(3):
        c = lab.run(PROG, "consume", "data", 42, each)
        consumers.append(c)
        procs += [c, lab.run(PROG, "produce", "data", 42, (i + 1) * 1000, each)]
    lab.wait_for(lambda: not any(p.running() for p in procs), "deadlock", timeout=8,
                 section="semaphores",
                 running=", ".join(p.command for p in procs if p.running()) or "?")
    for p in procs:
        lab.expect_exit(p, 0, section="semaphores")
    got = []
    for c in consumers:
        lines = c.stdout.splitlines()
        bad = [l for l in lines if not NUMBER.fullmatch(l)]
        if bad:
            fail("consume_bad_line", "consume", line=bad[0])
        values = [int(l) for l in lines]
        for producer in (1000, 2000, 3000):
            mine = [v for v in values if producer <= v < producer + each]
            if mine != sorted(mine):
                fail("out_of_order", "buffer", program=c.command, values=" ".join(map(str, mine[:20])))
        got += values
    want = [base + i for base in (1000, 2000, 3000) for i in range(each)]
    if sorted(got) != want:
        missing = sorted(set(want) - set(got))
        twice = sorted({v for v in got if got.count(v) > 1})
        fail("not_exactly_once", "mutex", got=len(got), expected=len(want),
             missing=" ".join(map(str, missing[:10])) or "∅",
             twice=" ".join(map(str, twice[:10])) or "∅")
    values = lab.sem_values(sems.semid)
    if values != [3, 0, 1]:
        fail("end_values", "semaphores", got=values)
    run_finish(lab, 42)


# A consumer on an empty buffer sleeps in semop: it waits for the producer without using CPU.
def test_consumer_sleeps_while_waiting(lab):
    lab.file("data")
    seg, sems = run_init(lab, 43, 2)
    c = lab.run(PROG, "consume", "data", 43, 2)

    # The event: the consumer asleep in semop on "full" (index 1). A consumer that waits some
    # other way (spinning) never shows up there; it gets a longer look, and its CPU shows it.
    try:
        lab.wait_for(lambda: not c.running() or lab.sem_waiting(sems.semid, 1) >= 1,
                     "consume_never_attached", timeout=3, section="consume", program=c.command)
        window = 0.3
    except CheckFailed:
        window = 1.0
    if not still_running_after(c, window):
        fail("consume_did_not_wait", "consume", status=lab.describe_status(c.status),
             stdout=c.stdout.strip() or "∅", stderr=c.stderr.strip() or "∅")
    p = lab.run(PROG, "produce", "data", 43, 7, 2)
    lab.wait_exit(p, "produce_hangs", "produce")
    lab.expect_exit(p, 0, section="produce")
    lab.wait_exit(c, "consume_hangs", "consume")
    lab.expect_stdout(c, ["7", "8"], section="consume")
    lab.expect_exit(c, 0, section="consume")
    cpu = c.cpu_time
    if cpu is not None and cpu > 0.3:
        fail("busy_wait", "no_busy_wait", cpu=f"{cpu:.2f}")
    run_finish(lab, 43)


def unchanged(lab, shmid, ints, semid, values):
    """Both prepared objects still there, as they were prepared."""
    return (lab.segment(shmid=shmid) is not None and lab.read_ints(shmid, len(ints)) == ints
            and lab.semaphore_set(semid=semid) is not None and lab.sem_values(semid) == values)


# produce, consume and finish with no init: status 1 naming shmget or semget; nothing created.
# With only one of the two objects: the missing one's look-up fails, whatever the order, and
# nothing is changed or removed. A corrupt buffer: the statement's "prodcons: corrupt buffer:
# ..." line, nothing written and the units of that item given back.
def test_missing_buffer(lab):
    lab.file("data")
    for args in (("produce", "data", 44, 1, 1), ("consume", "data", 44, 1), ("finish", "data", 44)):
        lab.expect_missing_reported(lab.run(PROG, *args))
    lab.expect_error(lab.run(PROG, "init", "nonexistent", 44, 2), "ftok", section="errors")

    ints, values = [2, 1, 0, 5, 0], [1, 1, 1]
    shmid = lab.make_segment(lab.key("data", 46), 20, ints=ints)
    semid = lab.make_semaphores(lab.key("data", 47), values)
    for proj, missing in ((46, "semget"), (47, "shmget")):
        for args in (("produce", "data", proj, 1, 1), ("consume", "data", proj, 1),
                     ("finish", "data", proj)):
            p = lab.run(PROG, *args)
            lab.expect_error(p, missing, section="order", reason="No such file or directory",
                             msg="half_not_reported")
            if not unchanged(lab, shmid, ints, semid, values) or len(lab.segments()) != 1 \
                    or len(lab.semaphores()) != 1:
                fail("half_changed", "order", program=p.command, ipcs=lab.ipcs_all())
    lab.remove_segment(shmid)
    lab.remove_semaphores(semid)

    for proj, args, ints, values, line in (
            (48, ("produce", 1, 1), [9, 0, 0, 0, 0], [2, 0, 1], "SLOTS 9 in a segment of 20 bytes"),
            (49, ("produce", 1, 1), [2, 5, 0, 0, 0], [2, 0, 1], "in 5 with SLOTS 2"),
            (50, ("consume", 1), [2, 1, -1, 42, 0], [1, 1, 1], "out -1 with SLOTS 2")):
        key = lab.key("data", proj)
        shmid, semid = lab.make_segment(key, 20, ints=ints), lab.make_semaphores(key, values)
        p = lab.run(PROG, args[0], "data", proj, *args[1:])
        lab.wait_exit(p, "corrupt_hangs", "corrupt")
        # The line may come among debugging output of the student's own: it is looked for.
        if p.status != 1 or not has_stderr_line(p, "prodcons: corrupt buffer: " + line):
            fail("corrupt_not_reported", "corrupt", program=p.command,
                 status=lab.describe_status(p.status), expected="prodcons: corrupt buffer: " + line,
                 stderr=excerpt(p.stderr))
        if p.stdout or not unchanged(lab, shmid, ints, semid, values):
            fail("corrupt_changed", "corrupt", program=p.command, before=ints, values=values,
                 got=lab.sem_values(semid), ints=lab.read_ints(shmid, 5),
                 stdout=p.stdout.strip() or "∅")
        lab.remove_segment(shmid)
        lab.remove_semaphores(semid)

    # A segment its owner may not read (0200): IPC_STAT and shmat both need read permission,
    # so whichever comes first fails, as a system error (the header's shmctl error).
    key = lab.key("data", 51)
    shmid, semid = lab.make_segment(key, 20, mode=0o200), lab.make_semaphores(key, [2, 0, 1])
    p = lab.run(PROG, "produce", "data", 51, 1, 1)
    lab.expect_error(p, ("shmctl", "shmat"), section="stat", reason="Permission denied",
                     msg="unreadable_not_reported")
    if lab.sem_values(semid) != [2, 0, 1]:
        fail("unreadable_changed", "stat", program=p.command, got=lab.sem_values(semid))
    lab.remove_segment(shmid)
    lab.remove_semaphores(semid)


# Wrong subcommand, counts or numbers: status 2 and nothing created; then the right ones work.
def test_usage_errors(lab):
    lab.file("data")
    for args in ((), ("start", "data", "1"), ("init", "data", "1"), ("init", "data", "1", "0"),
                 ("init", "data", "1", "65"), ("init", "data", "1", "x"),
                 ("init", "data", "0", "4"), ("produce", "data", "1", "5"),
                 ("produce", "data", "1", "5", "0"), ("produce", "data", "1", "x", "2"),
                 ("produce", "data", "1", "2147483647", "2"), ("consume", "data", "1"),
                 ("consume", "data", "1", "0"), ("consume", "data", "1", "-3"),
                 ("finish", "data", "1", "2"), ("finish", "data", "256")):
        lab.expect_usage(lab.run(PROG, *args), section="usage")
    if lab.segments() or lab.semaphores():
        fail("usage_created", "usage", ipcs=lab.ipcs_all())
    run_init(lab, 45, 64)
    run_finish(lab, 45)
