"""One way to replace a file (harness/ipclab_harness/atomic.py): whole or not at all, fsync'd,
and no module of the lab with a copy of its own."""
import os
import re

import pytest

from conftest import ROOT
from ipclab_harness import atomic
from ipclab_harness.atomic import replacing, write_atomic

# Modules that still rename a temporary file of their own (or move a folder, which is no write),
# until their owners move them to ipclab_harness.atomic (issue 18). Remove a line once done.
PENDING: set[str] = set()
_OWN_RENAME = re.compile(r"\bos\.(?:replace|rename)\(|\btmp\.replace\(")


def test_text_and_bytes_replace_the_whole_file(tmp_path):
    path = tmp_path / "result.json"
    path.write_text("old and longer\n")
    write_atomic(path, "néw\n")
    assert path.read_bytes() == "néw\n".encode()
    write_atomic(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    assert os.listdir(tmp_path) == ["result.json"]  # no temporary file left


def test_a_missing_folder_is_an_error_unless_asked_for(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "no" / "x.txt", "x")
    write_atomic(tmp_path / "made" / "x.txt", "x", parents=True)
    assert (tmp_path / "made" / "x.txt").read_text() == "x"


def test_it_is_flushed_to_disk_before_the_rename(tmp_path, monkeypatch):
    order = []
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: order.append("fsync"))
    real_replace = os.replace
    monkeypatch.setattr(
        atomic.os, "replace", lambda a, b: (order.append("replace"), real_replace(a, b))
    )
    write_atomic(tmp_path / "a", "x")
    with replacing(tmp_path / "b") as tmp:
        tmp.write_text("y")
    assert order == ["fsync", "replace", "fsync", "replace"]


def test_a_writer_that_fails_leaves_the_old_file(tmp_path):
    path = tmp_path / "report.tar.gz"
    path.write_text("old")
    with pytest.raises(RuntimeError), replacing(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["report.tar.gz"]


def test_no_module_keeps_a_copy_of_its_own():
    own = []
    for top in ("grader", "harness", "scripts"):
        for p in sorted((ROOT / top).rglob("*.py")):
            rel = p.relative_to(ROOT).as_posix()
            if rel == "harness/ipclab_harness/atomic.py" or "/hidden/" in rel:
                continue
            if _OWN_RENAME.search(p.read_text(encoding="utf-8")):
                own.append(rel)
    assert set(own) <= PENDING, f"write through ipclab_harness.atomic: {sorted(set(own) - PENDING)}"


def test_a_folder_is_published_whole_once(tmp_path, monkeypatch):
    synced = []
    real_fsync = atomic._fsync
    monkeypatch.setattr(atomic, "_fsync", lambda p: (synced.append(p.name), real_fsync(p)))
    first, second = tmp_path / ".tmp-a", tmp_path / ".tmp-b"
    for d, text in ((first, "a"), (second, "b")):
        (d / "bin").mkdir(parents=True)
        (d / "bin" / "x").write_text(text)
        (d / "ok").touch()
    assert atomic.publish(first, tmp_path / "entry")
    assert sorted(synced) == [".tmp-a", "ok", "x"]  # the files and the folder
    assert not atomic.publish(second, tmp_path / "entry")  # the first one stays
    assert (tmp_path / "entry" / "bin" / "x").read_text() == "a"
    assert sorted(os.listdir(tmp_path)) == ["entry"]
