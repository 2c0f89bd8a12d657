"""Hidden process checks of 01-ftok."""
import os
import re

from ipclab_harness.check import fail

from test_ftok_key import expect_right_key

KEY_LINE = re.compile(r"0x[0-9a-f]{8}")


def test_symlink_same_key(lab):
    lab.file("target")
    os.symlink("target", lab.scratch / "link")
    a = lab.run("ftok_key", "target", "9").expect_line(KEY_LINE, section="teaches")
    b = lab.run("ftok_key", "link", "9").expect_line(KEY_LINE, section="teaches")
    if a != b:
        fail("symlink_key", "teaches", target=a, link=b)
    expect_right_key(lab, "link", 9, "teaches")


def test_creates_no_ipc_object(lab):
    expect_right_key(lab, lab.file("data"), 200, "output")
    if lab.segments() or lab.semaphores() or lab.queues():
        fail("created_object", "output", ipcs=lab.ipcs_all())
