"""Visible process checks of 05-shmctl: shm_stat and shm_remove against the kernel's record."""
from ipclab_harness.check import fail
from ipclab_harness.stderr_lines import expect_stderr_line

FIELDS = ("key", "shmid", "size", "perms", "cpid", "lpid", "nattch", "atime", "dtime", "ctime")


def expected_lines(seg, **override):
    """The ten lines shm_stat must print for `seg` (a Segment read from /proc/sysvipc/shm)."""
    values = {"key": f"0x{seg.key:08x}", "shmid": seg.shmid, "size": seg.size,
              "perms": f"{seg.perms & 0o777:04o}", "cpid": seg.cpid, "lpid": seg.lpid,
              "nattch": seg.nattch, "atime": seg.atime, "dtime": seg.dtime, "ctime": seg.ctime}
    values.update(override)
    return [f"{name}={values[name]}" for name in FIELDS]


def check_stat(lab, p, want, section="shm_stat"):
    """Exit 0, then each field against the kernel's (feedback naming the field), then the
    exact ten lines."""
    lab.expect_exit(p, 0, section=section)
    got = dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)
    for line in want:
        name, value = line.split("=", 1)
        if name in got and got[name] != value:
            fail(f"stat_{name}", section, expected=value, got=got[name])
    lab.expect_stdout(p, want, section=section)


# A segment nobody has used: the fields the kernel set at creation, times 0 where never.
def test_stat_fresh_segment(lab):
    lab.file("data")
    key = lab.key("data", 5)
    shmid = lab.make_segment(key, 1000, mode=0o640)
    seg = lab.segment(shmid=shmid)
    p = lab.run("shm_stat", "data", "5")
    check_stat(lab, p, expected_lines(seg, size=1000, perms="0640", lpid=0, nattch=0,
                                      atime=0, dtime=0))
    after = lab.segment(shmid=shmid)
    if after is None:
        fail("stat_removed", "shm_stat")
    lab.allow(shm=1)


# With the harness attached: nattch 1, atime and lpid as the kernel recorded the shmat.
def test_stat_after_attach(lab):
    lab.file("data")
    key = lab.key("data", 6)
    shmid = lab.make_segment(key, 64)
    handle = lab.hold(shmid)
    p = lab.run("shm_stat", "data", "6")
    p.wait()
    # The kernel's record once shm_stat is done: it changes nothing when it only looks.
    seg = lab.segment(shmid=shmid)
    if seg.atime == 0:
        fail("setup_no_atime", "shmid_ds")
    check_stat(lab, p, expected_lines(seg, nattch=1))
    lab.release(handle)
    lab.allow(shm=1)


# Nobody attached: shm_remove frees the segment at once.
def test_remove_unattached(lab):
    lab.file("data")
    key = lab.key("data", 7)
    shmid = lab.make_segment(key, 64)
    p = lab.run("shm_remove", "data", "7")
    lab.expect_exit(p, 0, section="shm_remove")
    lab.expect_stdout(p, [f"removed shmid={shmid}"], section="shm_remove")
    seg = lab.segment(shmid=shmid)
    if seg is not None:
        fail("remove_still_there", "shm_remove", shmid=shmid, seg=seg.describe(),
             ipcs=lab.ipcs_m())


# Still attached: IPC_RMID only marks it (dest, key 0); it vanishes at the last detach.
def test_remove_attached_marks_dest(lab):
    lab.file("data")
    key = lab.key("data", 8)
    shmid = lab.make_segment(key, 64)
    handle = lab.hold(shmid)
    p = lab.run("shm_remove", "data", "8")
    lab.expect_exit(p, 0, section="shm_remove")
    lab.expect_stdout(p, [f"removed shmid={shmid}"], section="shm_remove")
    seg = lab.segment(shmid=shmid)
    if seg is None:
        fail("remove_gone_while_attached", "release")
    if not seg.dest:
        fail("remove_not_marked", "release", seg=seg.describe(), ipcs=lab.ipcs_m())
    if seg.key != 0:
        fail("remove_key_kept", "release", key=f"0x{seg.key:08x}")
    ipcs = lab.ipcs_m()
    row = [line for line in ipcs.splitlines() if line.split()[1:2] == [str(shmid)]]
    if not row or "dest" not in row[0]:
        fail("remove_ipcs_no_dest", "release", ipcs=ipcs)
    # The key no longer names it: looking it up again is shmget's ENOENT.
    again = lab.run("shm_stat", "data", "8")
    lab.expect_error(again, "shmget", section="shm_stat")
    lab.release(handle)
    lab.wait_for(lambda: lab.segment(shmid=shmid) is None, "remove_not_freed", section="release",
                 shmid=shmid)


# No segment under the key: both programs fail in shmget, and none creates one.
def test_missing_segment(lab):
    lab.file("data")
    for binary in ("shm_stat", "shm_remove"):
        p = lab.run(binary, "data", "9")
        lab.expect_error(p, "shmget", section="errors")
        expect_stderr_line(p, "shmget: No such file or directory", "missing_reason", "errors",
                           program=binary)
        if lab.segments():
            fail("missing_created", "errors", program=binary, ipcs=lab.ipcs_m())
    # A PATH that does not exist: the key cannot even be computed.
    p = lab.run("shm_stat", "nonexistent", "9")
    lab.expect_error(p, "ftok", section="errors")


# Wrong argument counts, PROJ_ID out of 1..255 or not a number: exit 2, nothing touched;
# then the right arguments do remove the segment.
def test_usage_errors(lab):
    lab.file("data")
    shmid = lab.make_segment(lab.key("data", 10), 64)
    for binary in ("shm_stat", "shm_remove"):
        for args in ((), ("data",), ("data", "10", "extra"), ("data", "0"), ("data", "256"),
                     ("data", "ten"), ("data", "1x")):
            lab.expect_usage(lab.run(binary, *args), section="usage")
    if lab.segment(shmid=shmid) is None:
        fail("usage_removed", "usage")
    # The same segment with right arguments: now it is removed.
    p = lab.run("shm_remove", "data", "10")
    lab.expect_stdout(p, [f"removed shmid={shmid}"], section="shm_remove")
