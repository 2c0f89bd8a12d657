"""Visible process checks of 09-ipcs: mini_ipcs against util-linux ipcs -m, mini_ipcrm against
ipcrm, on segments the harness prepared."""
from ipclab_harness.check import excerpt, fail


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


# mini_ipcrm -m SHMID removes that segment, prints nothing, exits 0.
def test_ipcrm_by_id(lab):
    lab.file("data")
    keep = lab.make_segment(lab.key("data", 1), 16)
    target = lab.make_segment(lab.key("data", 2), 16)
    p = lab.run("mini_ipcrm", "-m", target)
    lab.expect_exit(p, 0, section="ipcrm")
    lab.expect_stdout(p, [], section="ipcrm")
    if lab.segment(shmid=target) is not None or lab.segment(shmid=keep) is None:
        fail("wrong_removed", section="ipcrm", what=f"-m {target}", ipcs=lab.ipcs_m())
    lab.allow(shm=1)


# mini_ipcrm -M KEY removes the segment of that key; the key is hexadecimal 0x... (or decimal).
def test_ipcrm_by_key(lab):
    lab.file("data")
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


# Errors as ipcrm reports them: same line on stderr, same status.
def test_ipcrm_errors(lab):
    lab.file("data")
    lab.make_segment(lab.key("data", 1), 16)
    for args in (["-m", "123"], ["-M", "0x1234abcd"], ["-M", "0"], ["-m", "-1"]):
        mine = lab.run("mini_ipcrm", *args)
        mine.wait(section="errors")
        real = lab.run_tool(["ipcrm", *args])
        if mine.status != real.status or mine.stderr.strip() != real.stderr.strip():
            fail("error_differs", section="errors", args=" ".join(args),
                 want=excerpt(real.stderr), want_status=real.status,
                 got=excerpt(mine.stderr), got_status=lab.describe_status(mine.status))
    if len(lab.segments()) != 1:
        fail("wrong_removed", section="errors", ipcs=lab.ipcs_m(),
             what=" | ".join(" ".join(a) for a in (["-m", "123"], ["-M", "0x1234abcd"],
                                                    ["-M", "0"], ["-m", "-1"])))
    lab.allow(shm=1)


# Wrong arguments: status 2 and a usage line; nothing is removed.
def test_usage_errors(lab):
    lab.file("data")
    lab.make_segment(lab.key("data", 1), 16)
    cases = [("mini_ipcs", ["-m"]), ("mini_ipcrm", []), ("mini_ipcrm", ["-m"]),
             ("mini_ipcrm", ["-x", "1"]), ("mini_ipcrm", ["-m", "abc"]),
             ("mini_ipcrm", ["-M", "zz"]), ("mini_ipcrm", ["-M", "0x"]),
             ("mini_ipcrm", ["-m", "1", "-m", "2"])]
    for binary, args in cases:
        lab.expect_usage(lab.run(binary, *args), section="usage")
    if len(lab.segments()) != 1:
        fail("wrong_removed", section="usage", ipcs=lab.ipcs_m(),
             what=" | ".join(" ".join(args) or "∅" for binary, args in cases
                             if binary == "mini_ipcrm"))
    lab.allow(shm=1)
