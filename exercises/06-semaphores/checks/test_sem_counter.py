"""Visible process checks of 06-semaphores: sem_counter init|add|finish, run in a sandbox."""
import struct

from ipclab_harness.check import excerpt, fail
from ipclab_harness.stderr_lines import has_stderr_line

PROG = "sem_counter"


def counter(lab, shmid):
    """The segment's std::uint64_t (little-endian: low int32, then high int32)."""
    low, high = lab.read_ints(shmid, 2)
    return struct.unpack("<Q", struct.pack("<ii", low, high))[0]


def run_init(lab, proj, section="init"):
    """sem_counter init data PROJ: exit 0, no output; returns (segment, semaphore set)."""
    p = lab.run(PROG, "init", "data", proj)
    lab.expect_exit(p, 0, section=section)
    lab.expect_stdout(p, [], section=section)
    return lab.expect_objects(lab.key("data", proj), section, segment="init_no_segment",
                              semaphores="init_no_semaphore")


def run_finish(lab, proj, expected, section="finish"):
    p = lab.run(PROG, "finish", "data", proj)
    lab.expect_exit(p, 0, section=section)
    got = p.stdout.strip()
    if got != str(expected):
        fail("finish_wrong_count", section, expected=expected, got=got or "∅")
    lab.expect_stdout(p, [str(expected)], section=section)
    key = lab.key("data", proj)
    if lab.segment(key=key) is not None:
        fail("finish_left_segment", section, ipcs=lab.ipcs_all())
    if lab.semaphore_set(key=key) is not None:
        fail("finish_left_semaphore", section, ipcs=lab.ipcs_all())


# init makes an 8-byte zero counter and one semaphore worth 1, both 0600; add adds; finish
# prints the count and removes both.
def test_init_add_finish(lab):
    lab.file("data")
    seg, sems = run_init(lab, 21)
    lab.expect_init_shape(seg, sems, size=8, nsems=1)
    values = lab.sem_values(sems.semid)
    if values != [1]:
        fail("init_value", "init", got=values)
    if counter(lab, seg.shmid) != 0:
        fail("init_counter_not_zero", "init", got=counter(lab, seg.shmid))
    p = lab.run(PROG, "add", "data", 21, 1000)
    lab.wait_exit(p, "add_hangs", "add")
    lab.expect_exit(p, 0, section="add")
    lab.expect_stdout(p, [], section="add")
    values = lab.sem_values(sems.semid)
    if values != [1]:
        fail("add_unbalanced", "add", got=values)
    if counter(lab, seg.shmid) != 1000:
        fail("add_wrong_count", "add", expected=1000, got=counter(lab, seg.shmid))
    run_finish(lab, 21, 1000)


# Four adds at once over the same counter: the total is exact only with mutual exclusion.
def test_concurrent_adds_exact_total(lab):
    lab.file("data")
    seg, sems = run_init(lab, 22)
    adds = [lab.run(PROG, "add", "data", 22, 25000) for _ in range(4)]
    for p in adds:
        lab.wait_exit(p, "adds_hang", "add", timeout=8)
        lab.expect_exit(p, 0, section="add")
    after = lab.semaphore_set(key=sems.key)
    if after is not None and after.otime == 0:
        fail("no_semop", "mutex")
    values = lab.sem_values(sems.semid)
    if values != [1]:
        fail("add_unbalanced", "add", got=values)
    got = counter(lab, seg.shmid)
    if got != 100000:
        fail("lost_updates", "mutex", expected=100000, got=got)
    run_finish(lab, 22, 100000)


# A second init on a used key fails with "File exists" (IPC_EXCL) and touches nothing.
def test_init_twice(lab):
    lab.file("data")
    seg, sems = run_init(lab, 23)
    p = lab.run(PROG, "init", "data", 23)
    status = p.wait()
    # The line may come among debugging output of the student's own: it is looked for.
    if status != 1 or not has_stderr_line(p, ("shmget: File exists", "semget: File exists")):
        fail("init_twice_not_refused", "errors", status=lab.describe_status(status),
             stderr=excerpt(p.stderr))
    if lab.segment(key=seg.key) != seg or lab.semaphore_set(key=sems.key) is None or \
            lab.semaphore_set(key=sems.key).semid != sems.semid:
        fail("init_twice_changed", "errors", ipcs=lab.ipcs_all())
    if lab.sem_values(sems.semid) != [1]:
        fail("init_twice_changed", "errors", ipcs=lab.ipcs_all())
    add = lab.run(PROG, "add", "data", 23, 3)
    lab.wait_exit(add, "add_hangs", "add")
    lab.expect_exit(add, 0, section="add")
    run_finish(lab, 23, 3)


# add and finish with no init: status 1, "shmget: ..." or "semget: ...", and nothing created.
# With only one of the two objects: the missing one's look-up fails, whatever the order, and
# nothing is changed or removed; on a segment too small for the counter, the statement's
# "sem_counter: corrupt segment: ..." and again nothing changed.
def test_missing_objects(lab):
    lab.file("data")
    for args in (("add", "data", 24, 5), ("finish", "data", 24)):
        lab.expect_missing_reported(lab.run(PROG, *args))
    lab.expect_error(lab.run(PROG, "init", "nonexistent", 24), "ftok", section="errors")

    shmid = lab.make_segment(lab.key("data", 26), 8, ints=[5, 0])
    semid = lab.make_semaphores(lab.key("data", 27), [1])
    for proj, missing in ((26, "semget"), (27, "shmget")):
        for args in (("add", "data", proj, 5), ("finish", "data", proj)):
            p = lab.run(PROG, *args)
            lab.expect_error(p, missing, section="order", reason="No such file or directory",
                             msg="half_not_reported")
            if (lab.segment(shmid=shmid) is None or lab.read_ints(shmid, 2) != [5, 0]
                    or lab.semaphore_set(semid=semid) is None or lab.sem_values(semid) != [1]
                    or len(lab.segments()) != 1 or len(lab.semaphores()) != 1):
                fail("half_changed", "order", program=p.command, ipcs=lab.ipcs_all())
    lab.remove_segment(shmid)
    lab.remove_semaphores(semid)

    key = lab.key("data", 28)
    shmid, semid = lab.make_segment(key, 4, ints=[7]), lab.make_semaphores(key, [1])
    for args in (("add", "data", 28, 5), ("finish", "data", 28)):
        p = lab.run(PROG, *args)
        lab.wait_exit(p, "add_hangs", "size")
        if p.status != 1 or not has_stderr_line(
                p, "sem_counter: corrupt segment: 4 bytes cannot hold the counter"):
            fail("small_not_reported", "size", program=p.command,
                 status=lab.describe_status(p.status), stderr=excerpt(p.stderr))
        if (lab.segment(shmid=shmid) is None or lab.read_ints(shmid, 1) != [7]
                or lab.semaphore_set(semid=semid) is None or lab.sem_values(semid) != [1]):
            fail("small_changed", "size", program=p.command, ipcs=lab.ipcs_all())
    lab.remove_segment(shmid)
    lab.remove_semaphores(semid)


# Wrong subcommand, argument count, PROJ_ID or N: status 2 and nothing created; then the right
# arguments work.
def test_usage_errors(lab):
    lab.file("data")
    for args in ((), ("start", "data", "1"), ("INIT", "data", "1"), ("init",), ("init", "data"),
                 ("init", "data", "1", "2"), ("add", "data", "1"), ("add", "data", "1", "0"),
                 ("add", "data", "1", "-5"), ("add", "data", "1", "ten"),
                 ("add", "data", "0", "5"), ("finish", "data", "256"),
                 ("finish", "data", "1", "2")):
        lab.expect_usage(lab.run(PROG, *args), section="usage")
    if lab.segments() or lab.semaphores():
        fail("usage_created", "usage", ipcs=lab.ipcs_all())
    run_init(lab, 25)
    run_finish(lab, 25, 0)
