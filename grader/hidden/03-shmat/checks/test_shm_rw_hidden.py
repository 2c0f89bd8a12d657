"""Hidden process checks of 03-shmat: corrupt segments, 64-bit sums, kernel state, shmat failure."""
from ipclab_harness.check import excerpt, fail
from ipclab_harness.stderr_lines import stderr_line
from test_shm_rw import PROJ, read_ok, segment_or_fail, write_ok


def _expect_corrupt(
    lab,
    count,
    size,
    ints=(),
    data=b"",
    want=None,
    section="corrupt",
    crashed="corrupt_crashed",
    not_reported="corrupt_not_reported",
):
    lab.file("data")
    shmid = lab.make_segment(lab.key("data", PROJ), size, ints=ints, data=data)
    p = lab.run("shm_read", "data", PROJ)
    status = p.wait(section=section)
    if status < 0:
        fail(crashed, section=section, count=count, size=size, how=lab.describe_status(status))
    # The line may come among debugging output of the student's own: it is looked for.
    line = stderr_line(p, "shm_read: corrupt segment")
    if status != 1 or line is None:
        fail(
            not_reported,
            section=section,
            count=count,
            size=size,
            how=lab.describe_status(status),
            stderr=excerpt(p.stderr),
            stdout=excerpt(p.stdout),
        )
    lab.expect_stdout(p, [], section=section)
    want = want or f"shm_read: corrupt segment: count {count} does not fit in {size} bytes"
    if line != want:
        fail("corrupt_message", section=section, want=want, got=line)
    return shmid


# A count that does not fit: status 1 and "shm_read: corrupt segment: ...", never a crash.
def test_corrupt_count(lab):
    shmid = _expect_corrupt(lab, 1000, 16, (1000, 1, 2, 3))
    lab.remove_segment(shmid)
    # (count+1)*4 overflows a 32-bit int to 0 here; the bound must be computed in 64 bits.
    shmid = _expect_corrupt(lab, 1073741823, 16, (1073741823, 1, 2, 3))
    lab.remove_segment(shmid)
    shmid = _expect_corrupt(lab, -1, 16, (-1, 1, 2, 3))
    lab.remove_segment(shmid)
    # Smaller than one int: no count to read, not even in part. The bytes there (5, 0) would
    # read as a count of 5 if four bytes were taken from a 2-byte segment (the page's zeros).
    for size, data in ((2, b"\x05\x00"), (3, b"\x07\x00\x00")):
        shmid = _expect_corrupt(
            lab,
            None,
            size,
            data=data,
            section="corrupt_tiny",
            want=f"shm_read: corrupt segment: {size} bytes cannot hold the count",
            crashed="tiny_crashed",
            not_reported="tiny_not_reported",
        )
        lab.remove_segment(shmid)


# A segment the reader may not read (0200): IPC_STAT and the SHM_RDONLY attach both need read
# permission, and the statement leaves their order free: either call may name the error line.
def test_reader_without_read_permission(lab):
    lab.file("data")
    shmid = lab.make_segment(lab.key("data", PROJ), 16, mode=0o200, ints=(3, 1, 2, 3))
    p = lab.run("shm_read", "data", PROJ)
    status = p.wait(section="read_denied")
    if status < 0:
        fail("denied_crashed", section="read_denied", how=lab.describe_status(status))
    lab.expect_error(
        p,
        ("shmctl", "shmat"),
        reason="Permission denied",
        section="read_denied",
        msg="denied_wrong_error",
    )
    if p.stdout:
        fail("denied_printed", section="read_denied", stdout=excerpt(p.stdout))
    seg = lab.segment(shmid=shmid)
    if seg is None or seg.mode != 0o200 or seg.nattch != 0 or len(lab.segments()) != 1:
        fail("denied_touched", section="read_denied", ipcs=lab.ipcs_m())
    lab.allow(shm=1)


# The sum is 64-bit: 2147483647 + 2147483647 = 4294967294, and negatives too.
def test_big_sum(lab):
    lab.file("data")
    write_ok(lab, "data", PROJ, 2147483647, 2147483647)
    read_ok(lab, "data", PROJ, [2147483647, 2147483647], section="sum")
    write_ok(lab, "data", PROJ, -2147483648, -2147483648)
    read_ok(lab, "data", PROJ, [-2147483648, -2147483648], section="sum")
    lab.allow(shm=1)


# After each program nobody is attached; the kernel records who attached last.
def test_nattch_zero_after(lab):
    lab.file("data")
    w = write_ok(lab, "data", PROJ, 4, 5, 6)
    seg = segment_or_fail(lab, "data", PROJ, "shm_write")
    if seg.nattch != 0:
        fail("still_attached", section="stays", program="shm_write", got=seg.nattch)
    if seg.cpid != w.pid or seg.lpid != w.pid:
        fail(
            "wrong_pids",
            section="stays",
            program="shm_write",
            pid=w.pid,
            cpid=seg.cpid,
            lpid=seg.lpid,
        )
    r = read_ok(lab, "data", PROJ, [4, 5, 6])
    seg = segment_or_fail(lab, "data", PROJ, "shm_read")
    if seg.nattch != 0:
        fail("still_attached", section="stays", program="shm_read", got=seg.nattch)
    if seg.lpid != r.pid or seg.cpid != w.pid:
        fail(
            "wrong_pids",
            section="stays",
            program="shm_read",
            pid=r.pid,
            cpid=seg.cpid,
            lpid=seg.lpid,
        )
    if seg.atime == 0 or seg.dtime == 0:
        fail("never_attached", section="shm_read")
    lab.allow(shm=1)


# Writes and reads in turn share one segment: exactly one stays, sized by the first write.
def test_leftovers(lab):
    lab.file("data")
    write_ok(lab, "data", PROJ, 1, 2, 3, 4)
    read_ok(lab, "data", PROJ, [1, 2, 3, 4])
    write_ok(lab, "data", PROJ, 9)
    read_ok(lab, "data", PROJ, [9])
    read_ok(lab, "data", PROJ, [9])
    segs = lab.segments()
    if len(segs) != 1:
        fail("extra_segment", section="stays", want=1, got=len(segs), ipcs=lab.ipcs_m())
    if segs[0].size != 20 or segs[0].key != lab.key("data", PROJ):
        fail("writer_size", section="shm_write", n=4, want=20, got=segs[0].size)
    lab.allow(shm=1)


# When shmat fails (here: the segment does not fit in the program's address space), both
# programs report "shmat: ..." with status 1 instead of using the (void *)-1 pointer.
def test_shmat_failure_reported(lab):
    lab.file("data")
    size = 2 * lab.limits["as"]
    lab.make_segment(lab.key("data", PROJ), size)
    for binary, args in (("shm_read", []), ("shm_write", [1, 2])):
        p = lab.run(binary, "data", PROJ, *args)
        status = p.wait(section="errors")
        if status < 0:
            fail(
                "shmat_unchecked", section="errors", program=binary, how=lab.describe_status(status)
            )
        lab.expect_error(p, "shmat", section="errors")
    lab.allow(shm=1)
