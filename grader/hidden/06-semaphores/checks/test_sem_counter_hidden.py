"""Hidden process checks of 06-semaphores (grading only): the semaphore really guards, SEM_UNDO,
and a failed init leaves nothing."""
import signal

from ipclab_harness.check import CheckFailed, fail

# The helpers of the visible checks (the plugin puts exercises/*/checks on sys.path).
from test_sem_counter import PROG, counter, run_finish, run_init  # noqa: E402


# With the semaphore at 0 (held by "someone"), add must wait in its P and leave the counter alone.
def test_add_waits_while_held(lab):
    lab.file("data")
    key = lab.key("data", 31)
    shmid = lab.make_segment(key, 8)
    semid = lab.make_semaphores(key, [0])
    p = lab.run(PROG, "add", "data", 31, 1000)

    # Evidence that add got going (it attached), or that it already ended.
    def attached():
        seg = lab.segment(shmid=shmid)
        return seg is not None and seg.nattch >= 1

    try:
        lab.wait_for(
            lambda: not p.running() or attached(),
            "add_never_attached",
            timeout=3,
            section="mutex",
            program=p.command,
        )
    except CheckFailed:
        pass  # a program may wait before attaching: that is waiting too
    try:
        status = p.wait(timeout=0.5)
    except CheckFailed:
        status = None  # still waiting, as it must
    if status is not None:
        fail(
            "add_ignored_semaphore",
            "mutex",
            status=lab.describe_status(status),
            count=counter(lab, shmid),
            stderr=p.stderr.strip() or "∅",
        )
    if counter(lab, shmid) != 0:
        fail(
            "add_ignored_semaphore_counted",
            "mutex",
            count=counter(lab, shmid),
            stderr=p.stderr.strip() or "∅",
        )
    p.signal(signal.SIGKILL)
    p.wait()
    lab.remove_semaphores(semid)
    lab.remove_segment(shmid)


# SEM_UNDO: an add killed at any moment, inside its critical section too, gives the semaphore
# back; the next add is not blocked for ever.
def test_killed_holder_does_not_block(lab):
    lab.file("data")
    seg, sems = run_init(lab, 32)
    # Stopped while it holds the semaphore (its value 0: inside P..V) and killed there, an add
    # gives the semaphore back only through SEM_UNDO. Caught there for certain, not by luck.
    p = lab.run(PROG, "add", "data", 32, 1000000000)
    lab.wait_for(
        lambda: counter(lab, seg.shmid) > 0 or not p.running(),
        "add_never_adds",
        timeout=5,
        section="sem_undo",
        program=p.command,
    )
    lab.stop_when([p], lambda: lab.sem_values(sems.semid) == [0])
    p.signal(signal.SIGKILL)
    p.wait()
    values = lab.sem_values(sems.semid)
    if values != [1]:
        fail("no_sem_undo", "sem_undo", got=values)
    p = lab.run(PROG, "add", "data", 32, 100)
    lab.wait_exit(p, "add_hangs", "sem_undo")
    lab.expect_exit(p, 0, section="add")
    total = counter(lab, seg.shmid)
    run_finish(lab, 32, total)


# A semaphore set already under the key: init fails in semget and leaves no segment behind.
def test_stale_semaphore_init(lab):
    lab.file("data")
    key = lab.key("data", 33)
    semid = lab.make_semaphores(key, [1])
    p = lab.run(PROG, "init", "data", 33)
    lab.expect_error(p, "semget", section="errors")
    if lab.segments():
        fail("init_left_segment", "errors", ipcs=lab.ipcs_all())
    if lab.sem_values(semid) != [1]:
        fail("init_touched_foreign_set", "errors", got=lab.sem_values(semid))
    lab.remove_semaphores(semid)
