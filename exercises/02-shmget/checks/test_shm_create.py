"""Visible process checks of 02-shmget: the shm_create program as the statement specifies it."""
from ipclab_harness.check import fail
from ipclab_harness.stderr_lines import expect_stderr_line


def _created(lab, path, proj, size, section="shm_create"):
    """Runs shm_create PATH PROJ SIZE, expects success and returns the new Segment."""
    p = lab.run("shm_create", path, proj, size)
    lab.expect_exit(p, 0, section=section)
    key = lab.key(path, proj)
    seg = lab.segment(key=key)
    if seg is None:
        fail("no_segment", section=section, path=path, proj=proj, segkey=f"0x{key:08x}",
             ipcs=lab.ipcs_m())
    return p, seg


# The printed shmid is the segment under the harness's key: exact size, 0600, nobody attached.
def test_prints_shmid(lab):
    lab.file("data")
    p, seg = _created(lab, "data", 7, 1000)
    lab.expect_stdout(p, [str(seg.shmid)], section="shm_create")
    if seg.size != 1000:
        fail("wrong_size", section="shm_create", want=1000, got=seg.size)
    if seg.mode != 0o600:
        fail("wrong_mode", section="shm_create", got=f"{seg.mode:04o}")
    if seg.nattch != 0:
        fail("attached", section="stays", got=seg.nattch)
    if seg.lpid != 0 or seg.atime != 0:
        fail("attached_lpid", section="stays", got=seg.lpid)
    if seg.cpid == 0:
        fail("no_cpid", section="shm_create")
    lab.allow(shm=1)


# A key in use: exit 1 with "shmget: File exists", and the existing segment keeps size and data.
def test_second_create_fails(lab):
    lab.file("data")
    key = lab.key("data", 9)
    existing = lab.make_segment(key, 64, ints=(11, 22, 33))
    p = lab.run("shm_create", "data", 9, 64)
    lab.expect_error(p, "shmget", section="errors")
    expect_stderr_line(p, "shmget: File exists", "not_eexist", section="errors")
    lab.expect_stdout(p, [], section="errors")
    seg = lab.segment(shmid=existing)
    if seg is None:
        fail("existing_removed", section="errors", shmid=existing)
    if seg.size != 64:
        fail("existing_resized", section="errors", want=64, got=seg.size)
    got = lab.read_ints(existing, 3)
    if got != [11, 22, 33]:
        fail("existing_changed", section="errors", want=[11, 22, 33], got=got)
    if len(lab.segments()) != 1:
        fail("extra_segment", section="stays", want=1, got=len(lab.segments()),
             ipcs=lab.ipcs_m())
    lab.allow(shm=1)


# Wrong arguments: status 2, a usage line, nothing created; then a correct call still works.
def test_usage_errors(lab):
    lab.file("data")
    bad = [("data", "0", "10"), ("data", "256", "10"), ("data", "abc", "10"),
           ("data", "1", "0"), ("data", "1", "-5"), ("data", "1", "x"),
           ("data", "1"), ("data", "1", "10", "extra"), ()]
    for args in bad:
        p = lab.run("shm_create", *args)
        lab.expect_usage(p, section="usage")
        if lab.segments():
            fail("usage_created", section="usage", args=" ".join(args) or "(none)",
                 ipcs=lab.ipcs_m())
    # Nothing was left under the key by the bad calls, so this one must create it.
    p, seg = _created(lab, "data", 1, 10, section="usage")
    lab.expect_stdout(p, [str(seg.shmid)], section="shm_create")
    lab.allow(shm=1)
