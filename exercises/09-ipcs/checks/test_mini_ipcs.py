"""Visible process checks of 09-ipcs: mini_ipcs against util-linux ipcs -m, mini_ipcrm against
ipcrm, on segments the harness prepared."""
import pytest

from ipclab_harness.check import excerpt, fail
from ipclab_harness.sandbox import STUDENT_UID
from ipclab_harness.stderr_lines import has_stderr_lines, stderr_lines

# A student name longer than ipcs's owner column (10): ipcs prints it cut, %-10.10s.
LONG_NAME = "alumna-de-sistemas-operativos"


def compare_with_ipcs(lab, section="ipcs"):
    """Runs mini_ipcs and `ipcs -m` on the same state; fails unless the outputs are equal."""
    mine = lab.run("mini_ipcs")
    lab.expect_exit(mine, 0, section=section)
    theirs = lab.run_tool(["ipcs", "-m"]).stdout
    if mine.stdout != theirs:
        want, got = theirs.splitlines(), mine.stdout.splitlines()
        first = next((i for i in range(max(len(want), len(got)))
                      if i >= len(want) or i >= len(got) or want[i] != got[i]), 0)
        fail("table_differs", section=section, line=first + 1,
             want_line=(want[first] if first < len(want) else "∅").replace(" ", "·"),
             got_line=(got[first] if first < len(got) else "∅").replace(" ", "·"),
             ipcs=theirs, mine=excerpt(mine.stdout))


def wrap_ids(lab):
    """Creates and removes segments until the kernel's cyclic index allocation wraps (at 64
    slots when few are in use): from then on an id is index + 32768, no longer its index."""
    for _ in range(200):
        shmid = lab.make_segment(0, 8)
        lab.remove_segment(shmid)
        if shmid >= 32768:
            return
    fail("_check_error", error="segment ids did not wrap")


def ids_not_indexes(lab):
    """Every check that names a segment by id runs where no id equals its index: one that
    treats an id as an index (SHM_STAT of the argument, a row number) then fails."""
    lab.file("data")
    wrap_ids(lab)


def prepare(lab):
    """Several sizes and modes, one attached, one marked dest, one whose id is not its index,
    and (where the sandbox maps a second user) one that belongs to someone else."""
    lab.file("data")
    wrap_ids(lab)
    ids = [lab.make_segment(lab.key("data", 2), 1, mode=0o600),
           lab.make_segment(lab.key("data", 3), 100, mode=0o640),
           lab.make_segment(lab.key("data", 4), 4096, mode=0o400),
           lab.make_segment(lab.key("data", 5), 1 << 20, mode=0o666),
           lab.make_segment(0x7FFFABCD, 12345, mode=0o604)]
    if lab.other_uid is not None:                     # owner shown as a number: no account
        ids.append(lab.make_segment(lab.key("data", 6), 256, mode=0o644, owner=lab.other_uid))
    lab.hold(ids[1])                                  # nattch 1
    lab.hold(ids[2], readonly=True)
    lab.remove_segment(ids[2])                        # dest, key 0x00000000, nattch 1
    return ids


# mini_ipcs prints exactly what ipcs -m prints: header, key in hex, owner, octal perms, dest;
# first on an empty table, then on prepared segments.
def test_matches_ipcs(lab):
    compare_with_ipcs(lab)
    ids = prepare(lab)
    compare_with_ipcs(lab)
    lab.allow(shm=len(ids))


# Segments the caller may not read (mode 0000; another user's that denies it) are in ipcs's
# table, which comes from /proc/sysvipc/shm: mini_ipcs must list them too (SHM_STAT_ANY).
def test_unreadable_segments(lab):
    ids_not_indexes(lab)
    ids = [lab.make_segment(lab.key("data", 1), 64, mode=0o600),
           lab.make_segment(lab.key("data", 2), 128, mode=0o000),
           lab.make_segment(lab.key("data", 3), 256, mode=0o640)]
    if lab.other_uid is not None:
        # The harness creates them, then gives them away: the student stays their creator,
        # and the kernel grants a creator the owner's bits, so 0600 is readable and 0060 not.
        ids.append(lab.make_segment(lab.key("data", 4), 512, mode=0o600, owner=lab.other_uid))
        ids.append(lab.make_segment(lab.key("data", 5), 1024, mode=0o060, owner=lab.other_uid))
    compare_with_ipcs(lab, section="unreadable")
    lab.allow(shm=len(ids))


# An owner's name longer than 10 characters: ipcs -m prints its first 10 (%-10.10s).
@pytest.mark.ipclab_users({STUDENT_UID: LONG_NAME})
def test_long_owner_name(lab):
    ids_not_indexes(lab)
    ids = [lab.make_segment(lab.key("data", 1), 16, mode=0o600),
           lab.make_segment(lab.key("data", 2), 4096, mode=0o644)]
    if lab.other_uid is not None:                     # and a uid with no account, whole
        ids.append(lab.make_segment(lab.key("data", 3), 32, mode=0o600, owner=lab.other_uid))
    compare_with_ipcs(lab, section="owner")
    lab.allow(shm=len(ids))


# mini_ipcrm -m SHMID removes that segment, prints nothing, exits 0.
def test_ipcrm_by_id(lab):
    ids_not_indexes(lab)
    keep = lab.make_segment(lab.key("data", 1), 16)
    target = lab.make_segment(lab.key("data", 2), 16)
    p = lab.run("mini_ipcrm", "-m", target)
    if p.wait(section="ipcrm") != 0 and lab.segment(shmid=target) is not None:
        fail("id_taken_for_index", section="ids", shmid=target, index=target % 32768,
             how=lab.describe_status(p.status), stderr=excerpt(p.stderr), ipcs=lab.ipcs_m())
    lab.expect_exit(p, 0, section="ipcrm")
    lab.expect_stdout(p, [], section="ipcrm")
    if lab.segment(shmid=target) is not None or lab.segment(shmid=keep) is None:
        fail("wrong_removed", section="ipcrm", what=f"-m {target}", ipcs=lab.ipcs_m())
    lab.allow(shm=1)


# mini_ipcrm -M KEY removes the segment of that key; the key is hexadecimal 0x... (or decimal).
def test_ipcrm_by_key(lab):
    ids_not_indexes(lab)
    keep = lab.make_segment(lab.key("data", 1), 16)
    key = lab.key("data", 2)
    target = lab.make_segment(key, 16)
    p = lab.run("mini_ipcrm", "-M", f"0x{key:08x}")
    lab.expect_exit(p, 0, section="ipcrm")
    if lab.segment(shmid=target) is not None or lab.segment(shmid=keep) is None:
        fail("key_not_removed", section="ipcrm", arg=f"0x{key:08x}", ipcs=lab.ipcs_m())
    other = lab.make_segment(0x00012345, 16)
    p = lab.run("mini_ipcrm", "-M", str(0x00012345))
    lab.expect_exit(p, 0, section="ipcrm")
    if lab.segment(shmid=other) is not None:
        fail("key_not_removed", section="ipcrm", arg=str(0x00012345), ipcs=lab.ipcs_m())
    lab.allow(shm=1)


# Errors as ipcrm reports them: same status, and every line of ipcrm's stderr, in order, among
# mini_ipcrm's (a student's debugging output around them costs nothing).
def test_ipcrm_errors(lab):
    ids_not_indexes(lab)
    shmid = lab.make_segment(lab.key("data", 1), 16)
    # Its index is no id, nor is its index with another sequence (a stale id): both are invalid
    # ids for ipcrm, and one who takes -m's number for an index removes the segment there.
    cases = (["-m", "123"], ["-M", "0x1234abcd"], ["-M", "0"], ["-m", "-1"],
             ["-m", str(shmid % 32768)], ["-m", str(shmid + 32768)])
    for args in cases:
        mine = lab.run("mini_ipcrm", *args)
        mine.wait(section="errors")
        if lab.segment(shmid=shmid) is None:
            fail("index_taken_for_id", section="ids", args=" ".join(args), shmid=shmid,
                 index=shmid % 32768, ipcs=lab.ipcs_m())
        real = lab.run_tool(["ipcrm", *args])
        if mine.status != real.status or not has_stderr_lines(mine, stderr_lines(real)):
            fail("error_differs", section="errors", args=" ".join(args),
                 want=excerpt(real.stderr), want_status=real.status,
                 got=excerpt(mine.stderr), got_status=lab.describe_status(mine.status))
    if len(lab.segments()) != 1:
        fail("wrong_removed", section="errors", ipcs=lab.ipcs_m(),
             what=" | ".join(" ".join(a) for a in cases))
    lab.allow(shm=1)


# Wrong arguments: status 2 and a usage line; nothing is removed.
def test_usage_errors(lab):
    ids_not_indexes(lab)
    lab.make_segment(lab.key("data", 1), 16)
    cases = [("mini_ipcs", ["-m"]), ("mini_ipcrm", []), ("mini_ipcrm", ["-m"]),
             ("mini_ipcrm", ["-x", "1"]), ("mini_ipcrm", ["-m", "abc"]),
             ("mini_ipcrm", ["-M", "zz"]), ("mini_ipcrm", ["-M", "0x"]),
             ("mini_ipcrm", ["-m", "1", "-m", "2"])]
    for binary, args in cases:
        lab.expect_usage(lab.run(binary, *args), section="usage")
    # KEY is hexadecimal, octal or decimal, nothing else: not binary (glibc >= 2.38's strtoul
    # reads 0b101 in base 0), whatever the C library does.
    for text in ("0b101", "0B11"):
        lab.expect_usage(lab.run("mini_ipcrm", "-M", text), section="key_syntax")
    if len(lab.segments()) != 1:
        fail("wrong_removed", section="usage", ipcs=lab.ipcs_m(),
             what=" | ".join(" ".join(args) or "∅" for binary, args in cases
                             if binary == "mini_ipcrm"))
    lab.allow(shm=1)
