"""Visible process checks of 01-ftok: ftok_key run as a program, in a sandbox."""
import re
import os

from ipclab_harness.check import fail
from ipclab_harness.stderr_lines import expect_stderr_line

KEY_LINE = re.compile(r"0x[0-9a-f]{8}")


def _key_of(lab, p):
    line = p.expect_line(KEY_LINE, section="output")
    lab.expect_stdout(p, [line], section="output")
    lab.expect_exit(p, 0, section="output")
    return int(line, 16)


def test_prints_key(lab):
    p = lab.run("ftok_key", lab.file("data"), "33")
    got = _key_of(lab, p)
    expected = lab.key("data", 33)
    if got != expected:
        fail("wrong_key", "output", expected=f"0x{expected:08x}", got=f"0x{got:08x}")


def test_another_number_another_key(lab):
    lab.file("data")
    a = _key_of(lab, lab.run("ftok_key", "data", "1"))
    b = _key_of(lab, lab.run("ftok_key", "data", "2"))
    if a == b:
        fail("same_key_for_numbers", "teaches", key=f"0x{a:08x}")


def test_missing_file(lab):
    p = lab.run("ftok_key", "no-such-file", "1")
    lab.expect_error(p, "ftok", section="errors")
    if KEY_LINE.search(p.stdout):
        fail("key_printed_on_error", "errors", stdout=p.stdout.strip())


def expect_right_key(lab, name, proj_id, section):
    """The program works at all: a check of error paths alone would pass an empty program."""
    got = _key_of(lab, lab.run("ftok_key", name, str(proj_id)))
    expected = lab.key(name, proj_id)
    if got != expected:
        fail("wrong_key", section, expected=f"0x{expected:08x}", got=f"0x{got:08x}")


def test_usage_errors(lab):
    lab.file("data")
    for args in (["data"], ["data", "0"], ["data", "256"], ["data", "x1"], ["data", "1", "2"]):
        lab.expect_usage(lab.run("ftok_key", *args), section="usage")
    expect_right_key(lab, "data", 255, "usage")


def test_unreadable_file(lab):
    """ftok only stats: a file nobody may read has a key, also inside a folder that may be
    searched but not listed (x without r); only a folder without x makes it fail (EACCES)."""
    lab.file("locked")
    lab.file("dir/inside")
    lab.file("closed/inside")
    keys = {name: lab.key(name, 5) for name in ("locked", "dir/inside")}
    files = [lab.scratch / "locked", lab.scratch / "dir" / "inside", lab.scratch / "closed" / "inside"]
    try:
        for f in files:
            f.chmod(0o000)
        (lab.scratch / "dir").chmod(0o111)      # searchable by everyone, listable by no one
        (lab.scratch / "closed").chmod(0o666)   # no one may search it
        for name, expected in keys.items():
            p = lab.run("ftok_key", name, "5")
            status = p.wait(section="unreadable")
            line = p.stdout.strip()
            if status != 0 or not KEY_LINE.fullmatch(line) or int(line, 16) != expected:
                fail("unreadable_refused", "unreadable", path=name, expected=f"0x{expected:08x}",
                     how=lab.describe_status(status), stdout=p.stdout.strip() or "∅",
                     stderr=p.stderr.strip() or "∅")
        p = lab.run("ftok_key", "closed/inside", "5")
        lab.expect_error(p, "ftok", section="unreadable")
        expect_stderr_line(p, "ftok: Permission denied", "unreachable_not_eacces", "unreadable")
    finally:
        for d in ("dir", "closed"):
            (lab.scratch / d).chmod(0o755)
        for f in files:
            f.chmod(0o644)
