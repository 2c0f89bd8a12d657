"""Hidden process checks of 02-shmget: error paths and what stays behind."""
from ipclab_harness.check import fail
from ipclab_harness.stderr_lines import expect_stderr_line


# A missing PATH is ftok's error; no segment appears (not even the key 0xffffffff).
def test_missing_path(lab):
    p = lab.run("shm_create", "missing-file", 5, 100)
    lab.expect_error(p, "ftok", section="errors")
    lab.expect_stdout(p, [], section="errors")
    if lab.segments():
        fail("ftok_created", section="errors", ipcs=lab.ipcs_m())
    # The same program with an existing file does create the segment under the right key.
    lab.file("present")
    p = lab.run("shm_create", "present", 5, 100)
    lab.expect_exit(p, 0, section="shm_create")
    key = lab.key("present", 5)
    seg = lab.segment(key=key)
    if seg is None or len(lab.segments()) != 1:
        fail("ftok_then_ok", section="shm_create", segkey=f"0x{key:08x}", ipcs=lab.ipcs_m())
    lab.expect_stdout(p, [str(seg.shmid)], section="shm_create")
    lab.allow(shm=1)


# A SIZE above kernel.shmmax (read inside the sandbox's IPC namespace) is EINVAL, status 1.
def test_too_big(lab):
    shmmax = int(lab.run_tool(["cat", "/proc/sys/kernel/shmmax"]).stdout.split()[0])
    size = shmmax + 1
    lab.file("data")
    p = lab.run("shm_create", "data", 3, size)
    lab.expect_error(p, "shmget", section="errors")
    expect_stderr_line(p, "shmget: Invalid argument", "too_big_reason", section="errors", size=size)
    if lab.segments():
        fail("too_big_created", section="errors", ipcs=lab.ipcs_m())


# One success and one refused second create leave exactly the one segment, unattached.
def test_leftovers(lab):
    lab.file("data")
    first = lab.run("shm_create", "data", 3, 4096)
    lab.expect_exit(first, 0, section="shm_create")
    again = lab.run("shm_create", "data", 3, 4096)
    lab.expect_error(again, "shmget", section="errors")
    segs = lab.segments()
    if len(segs) != 1:
        fail("leftover_count", section="stays", got=len(segs), ipcs=lab.ipcs_m())
    if segs[0].nattch != 0:
        fail("attached", section="stays", got=segs[0].nattch)
    lab.allow(shm=1)
