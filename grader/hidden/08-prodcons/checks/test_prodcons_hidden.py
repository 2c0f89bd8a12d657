"""Hidden process checks of 08-prodcons (grading only): a full buffer, the mutex really guards,
and SEM_UNDO on the mutex."""
import re
import signal

from ipclab_harness.check import CheckFailed, fail

# The helpers of the visible checks (the plugin puts exercises/*/checks on sys.path).
from test_prodcons import PROG, run_finish, run_init, still_running_after  # noqa: E402


# A full buffer: the producer sleeps in P(empty) (mutex free), a consumer empties it, both end.
def test_producer_waits_when_full(lab):
    lab.file("data")
    seg, sems = run_init(lab, 51, 2)
    p = lab.run(PROG, "produce", "data", 51, 1, 5)
    values = lab.wait_for(
        lambda: (lambda v: v if v in ([0, 2, 1], [0, 2, 0]) or not p.running() else None)(
            lab.sem_values(sems.semid)
        ),
        "producer_never_full",
        timeout=5,
        section="semaphores",
        program=p.command,
    )
    if not p.running():
        fail(
            "producer_did_not_wait",
            "semaphores",
            status=lab.describe_status(p.status),
            got=lab.sem_values(sems.semid),
        )
    if values == [0, 2, 0]:
        fail("waits_holding_mutex", "semaphores")
    c = lab.run(PROG, "consume", "data", 51, 5)
    lab.wait_exit(c, "full_deadlock", "semaphores")
    lab.expect_stdout(c, ["1", "2", "3", "4", "5"], section="consume")
    lab.wait_exit(p, "produce_hangs", "produce")
    lab.expect_exit(p, 0, section="produce")
    if lab.sem_values(sems.semid) != [2, 0, 1]:
        fail("end_values", "semaphores", got=lab.sem_values(sems.semid))
    run_finish(lab, 51)


def _prepared(lab, proj, ints, values):
    key = lab.key("data", proj)
    return lab.make_segment(key, 4 * len(ints), ints=ints), lab.make_semaphores(key, values)


def _blocked_on_mutex(lab, p, semid) -> bool:
    """Waits for the event "p sleeps in semop on the mutex (index 2)"; False if p ends first
    or never gets there (then it is waiting some other way, or not at all)."""
    try:
        lab.wait_for(
            lambda: not p.running() or lab.sem_waiting(semid, 2) >= 1, "mutex_wait", timeout=3
        )
    except CheckFailed:
        return still_running_after(p, 0.5)
    return p.running()


# With the mutex held by "someone", produce and consume wait in P(mutex) and touch nothing.
def test_mutex_held_blocks(lab):
    lab.file("data")
    # A 2-slot buffer, empty, mutex taken.
    shmid, semid = _prepared(lab, 52, [2, 0, 0, 0, 0], [2, 0, 0])
    p = lab.run(PROG, "produce", "data", 52, 5, 1)
    if (
        not _blocked_on_mutex(lab, p, semid)
        or lab.sem_values(semid)[1] != 0
        or lab.read_ints(shmid, 5) != [2, 0, 0, 0, 0]
    ):
        fail(
            "produce_ignored_mutex",
            "mutex",
            status=lab.describe_status(p.status),
            got=lab.sem_values(semid),
            ints=lab.read_ints(shmid, 5),
        )
    p.signal(signal.SIGKILL)
    p.wait()
    # A 2-slot buffer holding 77, mutex taken.
    shmid2, semid2 = _prepared(lab, 53, [2, 1, 0, 77, 0], [1, 1, 0])
    c = lab.run(PROG, "consume", "data", 53, 1)
    if not _blocked_on_mutex(lab, c, semid2) or c.stdout or lab.read_ints(shmid2, 3) != [2, 1, 0]:
        fail(
            "consume_ignored_mutex",
            "mutex",
            status=lab.describe_status(c.status),
            stdout=c.stdout.strip() or "∅",
            ints=lab.read_ints(shmid2, 3),
        )
    c.signal(signal.SIGKILL)
    c.wait()
    for s in (semid, semid2):
        lab.remove_semaphores(s)
    for s in (shmid, shmid2):
        lab.remove_segment(s)


# SEM_UNDO on the mutex: a producer killed at any moment (inside P(mutex)..V(mutex) too) does
# not leave the mutex taken.
def test_killed_in_mutex_does_not_block(lab):
    lab.file("data")
    seg, sems = run_init(lab, 54, 64)
    c = lab.run(PROG, "consume", "data", 54, 1000000000)
    p = lab.run(PROG, "produce", "data", 54, 0, 1000000000)
    c.expect_line(re.compile(r"\d+"), section="consume")
    # Both stopped while one of them holds the mutex (its value 0) and killed there: only
    # SEM_UNDO gives it back. Caught there for certain, not by luck.
    lab.stop_when([p, c], lambda: lab.sem_values(sems.semid)[2] == 0)
    p.signal(signal.SIGKILL)
    c.signal(signal.SIGKILL)
    p.wait()
    c.wait()
    values = lab.sem_values(sems.semid)
    if values[2] != 1:
        fail("no_sem_undo_mutex", "sem_undo", got=values)
    run_finish(lab, 54)
