"""Hidden process checks of 05-shmctl (grading only)."""
from ipclab_harness.check import fail

# The helpers of the visible checks (the plugin puts exercises/*/checks on sys.path).
from test_shm_ctl import check_stat, expected_lines  # noqa: E402


def unchanged(lab, shmid, before, section="shmid_ds"):
    after = lab.segment(shmid=shmid)
    if after is None:
        fail("stat_removed", "shm_stat")
    if (after.nattch, after.atime, after.lpid) != (before.nattch, before.atime, before.lpid):
        fail("stat_attached", section, before=before.describe(), after=after.describe())


# Looking is not touching: shm_stat leaves nattch, atime and lpid as they were.
def test_stat_does_not_attach(lab):
    lab.file("data")
    shmid = lab.make_segment(lab.key("data", 11), 64)
    before = lab.segment(shmid=shmid)
    check_stat(lab, lab.run("shm_stat", "data", "11"), expected_lines(before))
    unchanged(lab, shmid, before)
    # Attached elsewhere: shm_stat must not leave an attachment of its own behind. (Only
    # nattch is compared here: starting a program can itself touch lpid and atime.)
    handle = lab.hold(shmid, readonly=True)
    p = lab.run("shm_stat", "data", "11")
    p.wait()
    after = lab.segment(shmid=shmid)
    if after.nattch != 1:
        fail("stat_attached", "shmid_ds", before="nattch=1", after=after.describe())
    check_stat(lab, p, expected_lines(after))
    lab.release(handle)
    lab.allow(shm=1)


# After an attach and a detach: dtime set, nattch back to 0, lpid the last user, size as asked.
def test_stat_after_detach(lab):
    lab.file("data")
    shmid = lab.make_segment(lab.key("data", 12), 100, mode=0o604)
    lab.release(lab.hold(shmid))
    seg = lab.segment(shmid=shmid)
    if seg.dtime == 0:
        fail("setup_no_dtime", "shmid_ds")
    p = lab.run("shm_stat", "data", "12")
    check_stat(lab, p, expected_lines(seg, size=100, perms="0604", nattch=0))
    lab.allow(shm=1)


# A whole session (stat, remove, stat again, remove again) leaves nothing and touches only
# the segment it names.
def test_leftovers(lab):
    lab.file("data")
    a = lab.make_segment(lab.key("data", 13), 64)
    b = lab.make_segment(lab.key("data", 14), 64)
    lab.expect_exit(lab.run("shm_stat", "data", "13"), 0, section="shm_stat")
    p = lab.run("shm_remove", "data", "13")
    lab.expect_stdout(p, [f"removed shmid={a}"], section="shm_remove")
    if lab.segment(shmid=b) is None:
        fail("remove_wrong_segment", "shm_remove")
    lab.expect_error(lab.run("shm_remove", "data", "13"), "shmget", section="errors")
    lab.expect_error(lab.run("shm_stat", "data", "13"), "shmget", section="errors")
    p = lab.run("shm_remove", "data", "14")
    lab.expect_stdout(p, [f"removed shmid={b}"], section="shm_remove")
    # allow() stays 0: nothing may remain.


# IPC_STAT needs read permission: on a 0200 segment shm_stat fails in shmctl, printing nothing.
def test_stat_denied(lab):
    lab.file("data")
    shmid = lab.make_segment(lab.key("data", 15), 64, mode=0o200)
    p = lab.run("shm_stat", "data", "15")
    lab.expect_error(p, "shmctl", section="errors")
    if p.stdout:
        fail("denied_printed", "errors", stdout=p.stdout.strip())
    if lab.segment(shmid=shmid) is None:
        fail("stat_removed", "shm_stat")
    lab.allow(shm=1)
