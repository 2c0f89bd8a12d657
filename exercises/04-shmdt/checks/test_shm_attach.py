"""Visible process checks of 04-shmdt: shm_attach driven line by line, watched through the
kernel's record of the segment (/proc/sysvipc/shm)."""
from ipclab_harness.check import CheckFailed, fail

PROJ = 44


def prepare(lab, size=64):
    """A file for ftok and a 0600 segment under its key, made by the harness."""
    lab.file("data")
    return lab.make_segment(lab.key("data", PROJ), size)


def wait_nattch(lab, shmid, want, msg, section):
    """Waits until the segment's nattch is `want`; fails with `msg` showing the last value seen."""
    last = {"got": "no segment"}

    def probe():
        seg = lab.segment(shmid=shmid)
        last["got"] = "no segment" if seg is None else seg.nattch
        return seg is not None and seg.nattch == want
    try:
        lab.wait_for(probe, msg, section=section)
    except CheckFailed:
        fail(msg, section, want=want, got=last["got"], ipcs=lab.ipcs_m())


def exits_within(lab, p, seconds):
    """Whether p exits within `seconds` (a deadline on an event, not a sleep)."""
    try:
        lab.wait_for(lambda: not p.running(), "_unused", timeout=seconds)
        return True
    except CheckFailed:
        return False


def expect_line_flushed(p, line, section):
    """expect_line, with feedback about flushing when the line does not show up in time."""
    try:
        p.expect_line(line, timeout=3, section=section)
    except CheckFailed as e:
        if e.msg_id == "_no_line_timeout":
            fail("not_flushed", section, line=line, stdout=p.stdout or "∅")
        raise


# The whole protocol, step by step, with the kernel's record at each step.
def test_attach_detach_protocol(lab):
    shmid = prepare(lab)
    p = lab.run("shm_attach", "data", PROJ, stdin=None)
    expect_line_flushed(p, "attached", "protocol")
    wait_nattch(lab, shmid, 1, "not_attached", "protocol")
    if exits_within(lab, p, 0.2):
        fail("exited_before_line", "protocol", how=lab.describe_status(p.status))
    if "detached" in p.stdout:
        fail("detached_too_soon", "protocol")
    p.send("go\n")
    expect_line_flushed(p, "detached", "protocol")
    wait_nattch(lab, shmid, 0, "not_detached", "protocol")
    seg = lab.segment(shmid=shmid)
    if seg.dtime == 0:
        fail("no_dtime", "teaches")
    if seg.lpid != p.pid:
        fail("wrong_lpid", "teaches", got=seg.lpid, pid=p.pid)
    if exits_within(lab, p, 0.2):
        fail("exited_before_eof", "protocol", how=lab.describe_status(p.status))
    p.close_stdin()
    lab.expect_exit(p, 0, section="protocol")
    lab.expect_stdout(p, ["attached", "detached"], section="protocol")
    if lab.segment(shmid=shmid) is None:
        fail("segment_removed", "stays")
    lab.allow(shm=1)


# "attached" and "detached" reach the pipe while stdin is still open: flushed before blocking.
def test_flushes_before_blocking(lab):
    prepare(lab)
    p = lab.run("shm_attach", "data", PROJ, stdin=None)
    expect_line_flushed(p, "attached", "stdout")
    p.send("\n")
    expect_line_flushed(p, "detached", "stdout")
    p.close_stdin()
    lab.expect_exit(p, 0, section="protocol")
    lab.allow(shm=1)


# No segment under the key: status 1, «shmget: …», nothing printed and nothing created.
def test_missing_segment(lab):
    lab.file("data")
    p = lab.run("shm_attach", "data", PROJ, stdin="go\n")
    lab.expect_error(p, "shmget", section="errors")
    if "attached" in p.stdout:
        fail("printed_on_error", "errors", stdout=p.stdout.strip())
    if lab.segments():
        fail("created_segment", "errors", ipcs=lab.ipcs_m())
    # A missing file is ftok's error, reported the same way.
    lab.expect_error(lab.run("shm_attach", "no-such-file", PROJ, stdin="go\n"), "ftok",
                     section="errors")


# Wrong arguments: status 2, a usage: line, nothing attached or created.
def test_usage_errors(lab):
    shmid = prepare(lab)
    for args in ([], ["data"], ["data", "0"], ["data", "256"], ["data", "x1"],
                 ["data", str(PROJ), "extra"]):
        lab.expect_usage(lab.run("shm_attach", *args, stdin="go\n"), section="usage")
    seg = lab.segment(shmid=shmid)
    if seg is None or seg.atime != 0 or len(lab.segments()) != 1:
        fail("usage_touched", "usage", ipcs=lab.ipcs_m())
    # Then right arguments work: argument parsing is the lab's, so the errors alone would
    # give points to a program that does nothing.
    p = lab.run("shm_attach", "data", PROJ, stdin="go\n")
    lab.expect_exit(p, 0, section="protocol")
    lab.expect_stdout(p, ["attached", "detached"], section="protocol")
    lab.allow(shm=1)


# The segment outlives the program: same shmid, nobody attached, mode untouched.
def test_never_removes(lab):
    shmid = prepare(lab)
    p = lab.run("shm_attach", "data", PROJ, stdin="go\n")
    lab.expect_exit(p, 0, section="protocol")
    lab.expect_stdout(p, ["attached", "detached"], section="protocol")
    seg = lab.segment(shmid=shmid)
    if seg is None:
        fail("segment_removed", "stays")
    if seg.nattch != 0:
        fail("still_attached", "stays", got=seg.nattch)
    if seg.dest or seg.mode != 0o600:
        fail("segment_changed", "stays", got=seg.describe())
    lab.allow(shm=1)
