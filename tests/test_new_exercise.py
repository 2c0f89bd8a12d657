"""`./ipclab new NN-name` (docs/authoring.en.md, "Adding an exercise"): on a copy of the lab, the
scaffold is refused while a FILL IN is left, and once filled in the developer check accepts it
(tests/test_manifests.py, tests/test_unit_messages.py, tests/test_devcheck.py, run on the copy)
and the grader gives its solution full marks and its skeleton none."""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT
from ipclab_grader.manifest import load_all
from ipclab_grader.course.scaffold import MARK

# Outside /tmp: the sandbox mounts a /tmp of its own, where builds and checks could not enter.
COPY = ROOT / "build" / "test-new" / "lab"
NEW = f"{max(e.number for e in load_all()) + 1:02d}-pipe-chain"
SKIPPED = {"build", ".git", ".ipclab", "out"}


def _ignore(folder, names):
    top = Path(folder).resolve() == ROOT
    return [n for n in names if n in ("__pycache__", ".pytest_cache") or (top and n in SKIPPED)]


def ipclab(*args, env=None):
    return subprocess.run(
        [str(COPY / "ipclab"), *args],
        cwd=COPY,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )


def pytest_on_copy(*args, env=None):
    return subprocess.run(
        ["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=COPY,
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def lab():
    shutil.rmtree(COPY.parent, ignore_errors=True)
    shutil.copytree(ROOT, COPY, ignore=_ignore, symlinks=True)
    os.chmod(COPY.parent, 0o755)  # as root, sandboxed builds run as nobody (conftest.py)
    r = ipclab("new", NEW)
    assert r.returncode == 0, r.stderr
    yield COPY
    shutil.rmtree(COPY.parent, ignore_errors=True)


def test_it_writes_every_file_of_an_exercise(lab):
    ex = next(e for e in load_all(lab / "exercises") if e.id == NEW)
    got = sorted(
        p.relative_to(lab).as_posix()
        for d in (ex.dir, lab / "solutions" / NEW)
        for p in d.rglob("*")
        if p.is_file()
    )
    assert got == sorted(
        [
            f"exercises/{NEW}/{f}"
            for f in (
                "exercise.toml",
                "README.md",
                "README.en.md",
                "pipe_chain.hpp",
                "main_pipe_chain.cpp",
                "pipe_chain.cpp",
                "test/pipe_chain_test.cpp",
                "test/remote.cpp",
                "checks/test_pipe_chain.py",
                "messages.es.toml",
                "messages.en.toml",
            )
        ]
        + [f"solutions/{NEW}/pipe_chain.cpp"]
    )
    assert ex.unit_sources == ("test/pipe_chain_test.cpp",) and ex.unit_remote == "test/remote.cpp"
    for readme, heading in (
        ("README.md", "## Lo que tu fichero no puede hacer"),
        ("README.en.md", "## What your file may not do"),
    ):
        assert heading in (ex.dir / readme).read_text()
    assert "TODO" in (ex.dir / "pipe_chain.cpp").read_text()
    assert NEW in (lab / "docs" / "exercises.md").read_text()


def test_it_refuses_what_cannot_be_an_exercise(lab):
    taken = ipclab("new", NEW)
    assert taken.returncode == 2 and f"is taken by {NEW}" in taken.stderr
    assert "not NN-name" in ipclab("new", "11-Pipes").stderr
    assert "a program named pipe_chain" in ipclab("new", "99-pipe-chain").stderr
    assert not (lab / "exercises" / "99-pipe-chain").exists()


def test_filled_in_the_developer_check_accepts_it_and_not_before(lab):
    selected = [
        "tests/test_manifests.py",
        "tests/test_unit_messages.py",
        "-k",
        f"{NEW} or ordered or generated",
    ]
    before = pytest_on_copy(*selected)
    assert before.returncode == 1 and "test_nothing_is_left_to_fill_in" in before.stdout
    for d in (lab / "exercises" / NEW, lab / "solutions" / NEW):
        for p in d.rglob("*"):
            if p.is_file():
                p.write_text(re.sub(re.escape(MARK) + ": ?", "", p.read_text()))
    index = ipclab("manifest", "--markdown")
    (lab / "docs" / "exercises.md").write_text(index.stdout)
    after = pytest_on_copy(*selected[:-1], f"{NEW} or ordered or generated")
    assert after.returncode == 0, after.stdout[-3000:]
    # The skeleton builds and fails its unit tests; the solution builds and passes them.
    built = pytest_on_copy("tests/test_devcheck.py", "-k", NEW, env={"IPCLAB_TEST_EXERCISES": NEW})
    assert built.returncode == 0 and "2 passed" in built.stdout, built.stdout[-3000:]


def test_the_grader_gives_the_solution_full_marks_and_the_skeleton_none(lab):
    out = lab.parent / "result.json"
    for tree, full in (("solutions", True), ("exercises", False)):
        r = ipclab("grade", tree, "--exercise", NEW, "--format", "json", "-o", str(out))
        assert r.returncode in (0, 1), r.stderr
        result = json.loads(out.read_text())
        assert result["max_score"] == 3
        assert result["score"] == (3 if full else 0), result
