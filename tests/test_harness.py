"""The harness: sandboxes are private, bounded, and leave nothing behind."""
import re
import signal
import subprocess
import time

import pytest

from conftest import ROOT
from ipclab_harness.check import CheckFailed
from ipclab_harness.lab import Lab


@pytest.fixture
def bindir(solutions_build):
    return solutions_build / "bin"


def test_each_lab_has_its_own_ipc_namespace(bindir):
    a, b = Lab(bindir), Lab(bindir)
    try:
        a.make_segment(0x1234, 64)
        assert a.segment(key=0x1234) is not None
        assert b.segment(key=0x1234) is None, "two sandboxes share an IPC namespace"
        b.make_segment(0x1234, 64)  # the same key again: no collision
    finally:
        a.close()
        b.close()


def test_programs_run_as_an_unprivileged_user(bindir):
    lab = Lab(bindir)
    try:
        p = lab.run_tool(["id", "-u"])
        assert p.stdout.strip() == "65534"
    finally:
        lab.close()


def test_nothing_outlives_the_sandbox(bindir):
    # A duration of this run's own: a sleep left by another run (one killed on this machine a
    # moment ago) is not this sandbox's.
    sleep = f"sleep 300.{time.time_ns() % 10**9:09d}"
    lab = Lab(bindir)
    lab.file("k")
    lab.make_segment(lab.key("k", 1), 16)
    p = lab.run_tool(["sh", "-c", f"setsid {sleep} & echo started"])
    assert "started" in p.stdout
    lab.close()
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert sleep not in ps


def test_a_program_that_stops_itself_is_ended_at_once(bindir):
    """Nothing in a sandbox continues a program that stopped on its own (a SIGSTOP to itself
    or to its process group): the agent ends it at once instead of leaving it to its wall
    limit, and says so. A program the check stops (lab.stop_when) stays stopped until the
    check continues it."""
    lab = Lab(bindir)
    try:
        p = lab._spawn("/bin/sh", "sh", ["-c", "kill -STOP 0; echo never"], b"")
        t0 = time.monotonic()
        assert p.wait(timeout=30) == -signal.SIGKILL
        assert time.monotonic() - t0 < lab.limits["wall"], "it waited for its wall limit"
        assert p._p.stopped_killed and "never" not in p.stdout

        q = lab._spawn("/bin/sh", "sh", ["-c", "read x; echo got $x"], None)
        q.signal(signal.SIGSTOP)

        def stopped():  # its state, read in the sandbox; the agent has seen the stop by then
            stat = lab.run_tool(["cat", f"/proc/{q.pid}/stat"]).stdout
            return stat.rpartition(")")[2].split()[:1] == ["T"]

        lab.wait_for(stopped, "_timeout", timeout=10)
        assert q.running(), "a program the check stopped was ended"
        q.signal(signal.SIGCONT)
        q.send("1\n")
        assert q.expect_line("got 1") == "got 1"
        assert q.wait() == 0 and not q._p.stopped_killed
    finally:
        lab.close()


def test_expect_line_waits_for_the_line_and_times_out_with_feedback(bindir):
    lab = Lab(bindir)
    try:
        p = lab.run_tool(["sh", "-c", "echo one; echo two"])
        assert p.expect_line("two") == "two"
        q = lab._spawn("/bin/sh", "sh", ["-c", "echo partial; exec sleep 30"], b"")
        with pytest.raises(CheckFailed) as e:
            q.expect_line("never", timeout=0.3)
        assert e.value.msg_id == "_no_line_timeout"
        assert "partial" in e.value.params["stdout"]
    finally:
        lab.close()


def test_a_daemon_holding_the_pipe_does_not_hold_the_wait(bindir):
    """A program that exited has written all it will write: a daemon it left holding its
    stdout (tests/hostile/forge/forked_daemon.cpp) makes expect_line and wait end after
    OUTPUT_GRACE, not at their deadline, and what the program printed is all there."""
    lab = Lab(bindir)
    try:
        daemon = "(setsid sh -c 'exec sleep 60' &); echo last"
        p = lab._spawn("/bin/sh", "sh", ["-c", daemon], b"")
        t0 = time.monotonic()
        with pytest.raises(CheckFailed) as e:
            p.expect_line("never", timeout=30)
        assert time.monotonic() - t0 < 15, "expect_line waited for the daemon's pipe"
        assert e.value.msg_id == "_no_line_exited"
        assert e.value.params["stdout"].strip() == "last"
        q = lab._spawn("/bin/sh", "sh", ["-c", daemon], b"")
        t0 = time.monotonic()
        assert q.wait(timeout=30) == 0 and q.stdout == "last\n"
        assert time.monotonic() - t0 < 15, "wait waited for the daemon's pipe"
    finally:
        lab.close()


def test_output_is_capped(bindir):
    lab = Lab(bindir, limits={"output": 1000})
    try:
        p = lab.run_tool(["sh", "-c", "head -c 5000000 /dev/zero | tr '\\\\0' x"], timeout=20)
        assert len(p.stdout) == 1000 and p.truncated
    finally:
        lab.close()


def test_leftovers_fail_with_the_ipcs_lines(bindir):
    lab = Lab(bindir)
    try:
        lab.make_segment(0x42, 16)
        with pytest.raises(CheckFailed) as e:
            lab.check_leftovers()
        assert "0x00000042" in e.value.params["ipcs"]
        lab.allow(shm=1)
        lab.check_leftovers()
    finally:
        lab.close()


def test_the_student_cannot_raise_ipc_limits(bindir):
    lab = Lab(bindir)
    try:
        p = lab.run_tool(["sh", "-c", "echo 1 > /proc/sys/kernel/shmmni; echo $?"])
        assert p.stdout.strip().splitlines()[-1] != "0"
    finally:
        lab.close()


def test_semaphores_and_queues_can_be_prepared_and_read(bindir):
    lab = Lab(bindir)
    try:
        semid = lab.make_semaphores(0x8000_0001, [1, 0, 4])  # a key above INT_MAX, as ftok gives
        assert lab.sem_values(semid) == [1, 0, 4]
        assert lab.sem_waiting(semid, 1) == 0
        (s,) = lab.semaphores()
        assert (s.key, s.nsems, s.perms & 0o777, s.otime) == (0x8000_0001, 3, 0o600, 0)
        msqid = lab.make_queue(0x42, mode=0o640)
        assert lab.receive_message(msqid) is None
        lab.send_message(msqid, 7, b"hola")
        (q,) = lab.queues()
        assert (q.qnum, q.cbytes) == (1, 4), "msgsnd's size is the text only"
        assert lab.receive_message(msqid, mtype=8) is None
        assert lab.receive_message(msqid, mtype=7) == (7, b"hola")
        lab.remove_semaphores(semid)
        lab.remove_queue(msqid)
        assert lab.semaphores() == [] and lab.queues() == []
    finally:
        lab.close()


def test_cpu_time_of_a_finished_process_is_reported(bindir):
    lab = Lab(bindir)
    try:
        idle = lab.run_tool(["sleep", "0.2"])
        busy = lab.run_tool(
            ["sh", "-c", "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done"], timeout=30
        )
        assert idle.cpu_time is not None and idle.cpu_time < 0.1
        assert busy.cpu_time > idle.cpu_time
    finally:
        lab.close()


def test_a_program_is_stopped_at_its_wall_clock_limit(bindir):
    lab = Lab(bindir, limits={"wall": 1})
    try:
        p = lab._spawn("/bin/sleep", "sleep", ["60"], b"")
        assert p.wait(timeout=10) == -signal.SIGKILL
        assert p._p.wall_killed
    finally:
        lab.close()


def test_unknown_or_unbounded_limits_are_refused(bindir):
    from ipclab_harness.limits import LimitsError

    for bad in ({"walltime": 3}, {"cpu": 0}, {"core": 1}, {"nproc": "many"}):
        with pytest.raises(LimitsError):
            Lab(bindir, limits=bad)


def test_a_process_blocked_on_a_semaphore_is_seen_waiting(bindir):
    lab = Lab(bindir)
    try:
        semid = lab.make_semaphores(0x51, [0])
        p = lab._spawn(
            "/usr/bin/python3",
            "python3",
            ["-c", "import sysv_ipc; sysv_ipc.Semaphore(0x51).acquire()"],
            b"",
        )
        lab.wait_for(lambda: lab.sem_waiting(semid) == 1, "blocked")
        assert p.running()
    finally:
        lab.close()


def test_a_segment_can_belong_to_another_user(bindir):
    import os

    lab = Lab(bindir)
    try:
        if os.geteuid() != 0:
            assert lab.other_uid is None
            return
        shmid = lab.make_segment(0x77, 64, mode=0o640, owner=lab.other_uid)
        seg = lab.segment(shmid=shmid)
        assert (seg.uid, seg.cuid, seg.perms & 0o777) == (lab.other_uid, 65534, 0o640)
        assert f"{lab.other_uid}" in lab.ipcs_m()
    finally:
        lab.close()


# A check may ask for user names (@pytest.mark.ipclab_users): tools in its sandbox see them, the
# machine's /etc/passwd is untouched, and the copy goes with the sandbox.
def test_a_sandbox_can_name_its_users(bindir):
    import os
    from ipclab_harness.sandbox import STUDENT_UID

    lab = Lab(bindir, users={STUDENT_UID: "alumna-de-sistemas"})
    copy = lab._passwd_dir
    try:
        if not lab.users:  # no sandbox: /etc/passwd is the machine's
            return
        lab.make_segment(0x78, 16)
        if lab.other_uid is not None:  # given away: created 0600, then its mode
            shmid = lab.make_segment(0x79, 16, mode=0o000, owner=lab.other_uid)
            assert lab.segment(shmid=shmid).perms & 0o777 == 0
        table = lab.ipcs_m()
        assert "alumna-de- " in table and "alumna-de-s" not in table  # ipcs cuts at 10
        assert "alumna-de-sistemas" not in open("/etc/passwd").read()
    finally:
        lab.close()
    assert copy is None or not os.path.exists(copy)


# A grader killed outright leaves sandboxes no one ends; the next grade reaps them, and only them.
@pytest.mark.skipif(
    __import__("os").geteuid() != 0,
    reason="without root, bubblewrap's --die-with-parent ends an orphan itself",
)
def test_orphaned_sandboxes_are_reaped_and_live_ones_kept(bindir):
    import os
    import select
    import time
    from ipclab_harness import sandbox

    live = Lab(bindir)
    box = sandbox.prepare(["/bin/sleep", "600"], sandbox.Mounts())
    outer = subprocess.Popen(box.argv, pass_fds=box.pass_fds, stdin=subprocess.DEVNULL)
    box.close()
    try:
        info = b""
        deadline = time.monotonic() + 5
        while b"child-pid" not in info and time.monotonic() < deadline:
            info += os.read(box.info_fd, 4096)
        init = int(re.search(rb'"child-pid":\s*(\d+)', info).group(1))
        outer.kill()  # its grader's death: bubblewrap's outer process goes with it
        outer.wait()
        ended = os.pidfd_open(init)  # readable once the process has ended
        try:
            assert sandbox.reap_orphans() >= 1
            assert select.select([ended], [], [], 5)[0], "the orphaned sandbox survived"
        finally:
            os.close(ended)
        # The live sandbox was left alone.
        assert live.run_tool(["true"]).wait() == 0
    finally:
        live.close()
        box.kill()


# A unit-test program started outside a private IPC namespace refuses, before any test runs:
# a failing test there would leave its objects on the machine.
def test_unit_test_programs_refuse_to_run_outside_the_sandbox(solutions_build):
    program = solutions_build / "tests" / "03-shmat-unit"
    r = subprocess.run([str(program)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "private IPC namespace" in r.stderr and "sandbox-run" in r.stderr
    assert "[ RUN      ]" not in r.stdout
    r = subprocess.run(
        [str(ROOT / "ipclab"), "sandbox-run", "--", str(program)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]


# A fork bomb in one sandbox is refused there, stopped at once, and reported; another sandbox
# of the same grader, busy at the same moment, forks as it needs (as root both run as nobody
# in one user namespace: RLIMIT_NPROC alone would count them together). Also where no cgroup
# can be made: then each sandbox has a user namespace of its own, and the bomb runs until its
# wall-clock limit.
BOMB = [
    "-c",
    "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
]
FORKS = ["sh", "-c", "for i in $(seq 40); do sleep 0.2 & done; wait; echo forked"]


@pytest.mark.parametrize("cgroup", [True, False], ids=["cgroup", "no-cgroup"])
def test_a_fork_bomb_is_contained_in_its_own_sandbox(bindir, monkeypatch, cgroup):
    import time
    from ipclab_harness import cgroups

    if not cgroup:
        monkeypatch.setattr(cgroups, "available", lambda: None)
    elif cgroups.available() is None:
        pytest.skip("this machine offers no cgroup to the grader")
    bomber, other = Lab(bindir, limits={"wall": 3}), Lab(bindir)
    try:
        assert (bomber._session.box.cgroup is not None) == cgroup
        t0 = time.monotonic()
        bomb = bomber._spawn("/usr/bin/python3", "python3", BOMB, b"")
        busy = other._spawn("/bin/sh", "sh", FORKS[1:], b"")
        assert busy.wait(timeout=20) == 0 and busy.stdout == "forked\n"
        assert bomb.wait(timeout=10) == -signal.SIGKILL
        assert time.monotonic() - t0 < 4 + 1  # at once with a cgroup; else at its wall limit
        assert bomber._session.over_process_limit(bomb._p)
        assert not other._session.over_process_limit(busy._p)
    finally:
        bomber.close()
        other.close()
    if cgroup:
        assert not [
            d
            for d in cgroups.available().parent.iterdir()
            if d.is_dir() and d.name.startswith(f"{__import__('os').getpid()}-")
        ], "a sandbox's cgroup was left behind"


def test_processes_that_spin_together_are_stopped_at_one_cpu_limit(bindir):
    from ipclab_harness import cgroups

    group = cgroups.available()
    if group is None or group.cpu_parent is None:
        pytest.skip("no cgroup accounts CPU time here")
    lab = Lab(bindir, limits={"cpu": 1, "wall": 30})
    try:
        p = lab._spawn(
            "/bin/sh",
            "sh",
            ["-c", "for i in 1 2 3 4 5 6; do (while :; do :; done) & " "done; while :; do :; done"],
            b"",
        )
        assert p.wait(timeout=40) == -signal.SIGKILL
        assert p._p.cpu_limited and not p._p.wall_killed
        assert lab._session.box.cgroup.cpu_seconds() < 1 + 1.5
    finally:
        lab.close()


# Memory is bounded per sandbox, not only per process: three programs that each stay within
# RLIMIT_AS but together hold more than the sandbox may are stopped there (the kernel's OOM
# killer, inside that cgroup), and another sandbox beside them is untouched.
def test_memory_is_bounded_per_sandbox(bindir):
    from ipclab_harness import cgroups

    h = cgroups.available()
    if h is None or (h.memory_parent is None and not h.memory):
        pytest.skip("no memory controller is offered to the grader here")
    hog = (
        "import sys, time; b = bytearray(400 << 20); b[::4096] = b'x' * len(b[::4096]); "
        "print('held', flush=True); sys.stdin.read()"
    )
    greedy, other = Lab(bindir, limits={"wall": 20}), Lab(bindir)
    try:
        group = greedy._session.box.cgroup
        assert group.memory_limit() == group.max_memory == 2 * (512 << 20) + (64 << 20)
        hogs = [greedy._spawn("/usr/bin/python3", "python3", ["-c", hog], None) for _ in range(3)]
        fine = other._spawn("/usr/bin/python3", "python3", ["-c", hog], None)
        fine.expect_line("held", timeout=20)
        import time

        greedy._session.wait_until(
            lambda: any(p._p.status is not None for p in hogs), time.monotonic() + 20
        )
        ended = [p._p.status for p in hogs if p._p.status is not None]
        assert ended and all(s == -signal.SIGKILL for s in ended), ended  # 1.2 GiB together
        assert fine._p.status is None  # the other sandbox's is still there
    finally:
        greedy.close()
        other.close()
