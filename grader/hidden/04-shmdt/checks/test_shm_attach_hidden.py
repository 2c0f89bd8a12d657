"""Hidden process checks of 04-shmdt: several attachers at once, attachments versus knowing the
id, and what stays behind after many runs."""
from ipclab_harness.check import CheckFailed, excerpt, fail  # noqa: F401

# The helpers of the visible checks (the plugin puts exercises/*/checks on sys.path).
from test_shm_attach import (
    PROJ,
    exits_within,
    expect_line_flushed,
    prepare,
    wait_nattch,
)  # noqa: F401


K = 4


# K programs attached at once: nattch is K, then drops by one as each one is told to detach.
def test_k_attachers(lab):
    shmid = prepare(lab)
    procs = [lab.run("shm_attach", "data", PROJ, stdin=None) for _ in range(K)]
    for p in procs:
        expect_line_flushed(p, "attached", "protocol")
    wait_nattch(lab, shmid, K, "k_not_attached", "teaches")
    for i, p in enumerate(procs):
        p.send("\n")
        expect_line_flushed(p, "detached", "protocol")
        wait_nattch(lab, shmid, K - 1 - i, "k_wrong_count", "teaches")
        seg = lab.segment(shmid=shmid)
        if seg.lpid != p.pid:
            fail("wrong_lpid", "teaches", got=seg.lpid, pid=p.pid)
        for other in procs[i + 1 :]:
            if "detached" in other.stdout:
                fail("k_detached_without_line", "protocol")
    for p in procs:
        if not p.running():
            fail("exited_before_eof", "protocol", how=lab.describe_status(p.status))
        p.close_stdin()
    for p in procs:
        lab.expect_exit(p, 0, section="protocol")
    lab.allow(shm=1)


# Only attachments count: the harness's hold counts, a program that knows the id but has
# detached does not, although it is still running.
def test_knowing_id_is_not_attaching(lab):
    shmid = prepare(lab)
    wait_nattch(lab, shmid, 0, "k_wrong_count", "teaches")
    handle = lab.hold(shmid)
    p = lab.run("shm_attach", "data", PROJ, stdin=None)
    expect_line_flushed(p, "attached", "protocol")
    wait_nattch(lab, shmid, 2, "k_wrong_count", "teaches")
    lab.release(handle)
    wait_nattch(lab, shmid, 1, "k_wrong_count", "teaches")
    p.send("\n")
    expect_line_flushed(p, "detached", "protocol")
    wait_nattch(lab, shmid, 0, "not_detached", "teaches")
    if exits_within(lab, p, 0.2):
        fail("exited_before_eof", "protocol", how=lab.describe_status(p.status))
    p.close_stdin()
    lab.expect_exit(p, 0, section="protocol")
    lab.allow(shm=1)


# Runs one after another, and a failed one: exactly the prepared segment remains, unattached.
def test_leftovers(lab):
    shmid = prepare(lab)
    for _ in range(3):
        p = lab.run("shm_attach", "data", PROJ, stdin="go\n")
        lab.expect_exit(p, 0, section="protocol")
        lab.expect_stdout(p, ["attached", "detached"], section="protocol")
    lab.expect_error(
        lab.run("shm_attach", "data", PROJ + 1, stdin="go\n"), "shmget", section="errors"
    )
    segs = lab.segments()
    if len(segs) != 1 or segs[0].shmid != shmid:
        fail("extra_segments", "stays", ipcs=lab.ipcs_m())
    if segs[0].nattch != 0:
        fail("still_attached", "stays", got=segs[0].nattch)
    lab.allow(shm=1)


# A segment whose mode (0000) forbids attaching: shmat fails with (void *)-1, and the program
# must say so (status 1, «shmat: …») before printing anything, leaving the segment alone.
def test_unattachable_segment(lab):
    lab.file("data")
    shmid = lab.make_segment(lab.key("data", PROJ), 64, mode=0o000)
    p = lab.run("shm_attach", "data", PROJ, stdin="go\n")
    lab.expect_error(p, "shmat", section="errors")
    if p.stdout:
        fail("printed_on_error", "errors", stdout=p.stdout.strip())
    if lab.segment(shmid=shmid) is None:
        fail("segment_removed", "stays")
    lab.allow(shm=1)


# Input that ends before the line arrives counts as the line: shm_attach still detaches,
# prints «detached» and, the input being over, exits 0 — stdin empty, and a last line without
# its '\n'.
def test_eof_before_line(lab):
    shmid = prepare(lab)
    for stdin in (b"", b"go"):
        p = lab.run("shm_attach", "data", PROJ, stdin=stdin)
        status = lab.wait_exit(
            p, "eof_never_exits", section="eof_early", timeout=5, input=repr(stdin.decode())
        )
        if status != 0 or p.stdout != "attached\ndetached\n":
            fail(
                "eof_wrong_end",
                "eof_early",
                input=repr(stdin.decode()),
                how=lab.describe_status(status),
                stdout=excerpt(p.stdout),
                stderr=excerpt(p.stderr),
            )
        seg = lab.segment(shmid=shmid)
        if seg is None:
            fail("segment_removed", "stays")
        if seg.nattch != 0 or seg.dtime == 0 or seg.lpid != p.pid:
            fail(
                "eof_not_detached",
                "eof_early",
                input=repr(stdin.decode()),
                nattch=seg.nattch,
                dtime=seg.dtime,
                lpid=seg.lpid,
                pid=p.pid,
            )
    lab.allow(shm=1)
