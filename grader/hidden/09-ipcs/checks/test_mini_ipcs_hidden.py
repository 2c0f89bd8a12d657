"""Hidden process checks of 09-ipcs: a table with holes and reused ids; ipcrm on an attached
segment (dest)."""
from ipclab_harness.check import fail
from test_mini_ipcs import compare_with_ipcs, ids_not_indexes, wrap_ids


# Forty segments, every third removed and some slots reused: still the same table as ipcs.
def test_many_with_holes(lab):
    lab.file("data")
    wrap_ids(lab)
    ids = [
        lab.make_segment(lab.key("data", p), 32 * p, mode=0o600 if p % 2 else 0o640)
        for p in range(1, 41)
    ]
    for shmid in ids[::3]:
        lab.remove_segment(shmid)
    for p in range(41, 45):
        lab.make_segment(lab.key("data", p), p)
    compare_with_ipcs(lab, section="holes")
    lab.allow(shm=len(lab.segments()))


# mini_ipcrm -m on an attached segment only marks it: both tables then show key 0 and dest.
def test_dest_after_ipcrm(lab):
    ids_not_indexes(lab)
    shmid = lab.make_segment(lab.key("data", 1), 64)
    handle = lab.hold(shmid)
    p = lab.run("mini_ipcrm", "-m", shmid)
    lab.expect_exit(p, 0, section="ipcrm")
    seg = lab.segment(shmid=shmid)
    if seg is None or not seg.dest:
        fail("not_marked", section="ipcrm", ipcs=lab.ipcs_m())
    compare_with_ipcs(lab, section="dest")
    lab.release(handle)
