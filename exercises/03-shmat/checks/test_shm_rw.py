"""Visible process checks of 03-shmat: shm_write and shm_read cooperating through a segment."""
from ipclab_harness.check import fail
from ipclab_harness.stderr_lines import expect_stderr_line

PROJ = 65


def write_ok(lab, path, proj, *values, section="shm_write"):
    """Runs shm_write PATH PROJ VALUE..., expects status 0 and no output."""
    p = lab.run("shm_write", path, proj, *values)
    lab.expect_exit(p, 0, section=section)
    lab.expect_stdout(p, [], section=section)
    return p


def read_ok(lab, path, proj, values, section="shm_read"):
    """Runs shm_read PATH PROJ and expects the values line and the sum line, status 0."""
    p = lab.run("shm_read", path, proj)
    lab.expect_exit(p, 0, section=section)
    lab.expect_stdout(p, [" ".join(str(v) for v in values), f"sum={sum(values)}"],
                      section=section)
    return p


def segment_or_fail(lab, path, proj, section):
    key = lab.key(path, proj)
    seg = lab.segment(key=key)
    if seg is None:
        fail("no_segment", section=section, segkey=f"0x{key:08x}", ipcs=lab.ipcs_m())
    return seg


# The writer lays out [n, v1..vn] in (n+1) ints; the reader prints the values and their sum.
def test_writer_then_reader(lab):
    lab.file("data")
    write_ok(lab, "data", PROJ, 1, 2, 3)
    seg = segment_or_fail(lab, "data", PROJ, "shm_write")
    if seg.size != 16:
        fail("writer_size", section="shm_write", n=3, want=16, got=seg.size)
    got = lab.read_ints(seg.shmid, 4)
    if got != [3, 1, 2, 3]:
        fail("writer_layout", section="shm_write", want=[3, 1, 2, 3], got=got)
    read_ok(lab, "data", PROJ, [1, 2, 3])
    if lab.read_ints(seg.shmid, 4) != [3, 1, 2, 3]:
        fail("reader_changed", section="shm_read")
    lab.allow(shm=1)


# The reader never creates: a missing segment is "shmget: No such file or directory", status 1.
def test_reader_missing_segment(lab):
    lab.file("data")
    p = lab.run("shm_read", "data", PROJ)
    lab.expect_error(p, "shmget", section="errors")
    lab.expect_stdout(p, [], section="errors")
    expect_stderr_line(p, "shmget: No such file or directory", "not_enoent", section="errors")
    if lab.segments():
        fail("reader_created", section="errors", ipcs=lab.ipcs_m())


# An existing segment too small for the values: status 1 (shmget: Invalid argument), untouched.
def test_writer_existing_too_small(lab):
    lab.file("data")
    shmid = lab.make_segment(lab.key("data", PROJ), 8, ints=(1, 42))
    p = lab.run("shm_write", "data", PROJ, 1, 2, 3)
    lab.expect_error(p, "shmget", section="errors")
    expect_stderr_line(p, "shmget: Invalid argument", "not_einval", section="errors")
    seg = lab.segment(shmid=shmid)
    if seg is None or seg.size != 8 or lab.read_ints(shmid, 2) != [1, 42]:
        fail("small_changed", section="errors", ipcs=lab.ipcs_m())
    if len(lab.segments()) != 1:
        fail("extra_segment", section="stays", want=1, got=len(lab.segments()), ipcs=lab.ipcs_m())
    lab.allow(shm=1)


# SHM_RDONLY needs only read permission: shm_read reads a 0400 segment.
def test_readonly_attach_on_0400(lab):
    lab.file("data")
    shmid = lab.make_segment(lab.key("data", PROJ), 12, mode=0o400, ints=(2, 5, 6))
    p = lab.run("shm_read", "data", PROJ)
    status = p.wait()
    if status != 0 and "Permission denied" in p.stderr:
        fail("no_shm_rdonly", section="teaches", stderr=p.stderr.strip())
    lab.expect_exit(p, 0, section="shm_read")
    lab.expect_stdout(p, ["5 6", "sum=11"], section="shm_read")
    if lab.segment(shmid=shmid) is None:
        fail("segment_removed", section="stays")
    lab.allow(shm=1)


# The writer creates the segment with mode 0600, not the lecture's 0777.
def test_writer_mode_0600(lab):
    lab.file("data")
    write_ok(lab, "data", PROJ, 7)
    seg = segment_or_fail(lab, "data", PROJ, "shm_write")
    if seg.mode != 0o600:
        fail("wrong_mode", section="shm_write", got=f"{seg.mode:04o}")
    lab.allow(shm=1)


# Wrong arguments: status 2, a usage line, nothing created; then correct calls still work.
def test_usage_errors(lab):
    lab.file("data")
    cases = [("shm_write", ["data", PROJ]), ("shm_write", ["data"]),
             ("shm_write", ["data", 0, 1]), ("shm_write", ["data", 256, 1]),
             ("shm_write", ["data", PROJ, "x"]), ("shm_write", ["data", PROJ, "1", "2.5"]),
             ("shm_write", ["data", PROJ, "2147483648"]), ("shm_read", ["data"]),
             ("shm_read", ["data", PROJ, "1"]), ("shm_read", ["data", "abc"])]
    for binary, args in cases:
        lab.expect_usage(lab.run(binary, *args), section="usage")
        if lab.segments():
            fail("usage_created", section="usage", args=" ".join([binary, *map(str, args)]),
                 ipcs=lab.ipcs_m())
    write_ok(lab, "data", PROJ, -2147483648, 5, section="usage")
    read_ok(lab, "data", PROJ, [-2147483648, 5], section="usage")
    lab.allow(shm=1)
