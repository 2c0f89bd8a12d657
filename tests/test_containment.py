"""Containment, whole: one student's fork bomb, spinner or output flood (tests/hostile/whole/,
appended to a correct 03-shmat) costs no other exercise of that submission and no other
student of the class a point, at batch's default concurrency and at -j 1; root grades from a
clone, a cache and a submission kept under private folders; and nothing the grader starts is
left behind, zombie or not, even under a pid 1 that never reaps (a container's shell, a CI
step): each batch and grade here runs as the only thing of a fresh PID namespace whose init
waits for its one command and nothing else, and the process table is read there."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

IPCLAB = str(ROOT / "ipclab")
WHOLE = ROOT / "tests" / "hostile" / "whole"
# 03 is where the hostile code goes; 06 is one of the exercises a fork bomb in 03 used to
# spoil (it forks and runs programs side by side); 01 tells the honest students apart.
EXERCISES = ["01-ftok", "03-shmat", "06-semaphores"]
HOSTILE = {"mallory-fork": "fork_bomb", "mallory-spin": "spinner", "mallory-flood": "flood"}

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="PID namespaces of its own need root")

# pid 1 of a fresh PID namespace that never reaps what it adopts: runs one command, waits for
# that process alone, then prints the process table (zombies included) as JSON.
PID1 = r"""
import json, subprocess, sys
r = subprocess.run(sys.argv[1:])
ps = subprocess.run(["ps", "-eo", "pid=,stat=,args="], capture_output=True, text=True).stdout
print(json.dumps({"status": r.returncode, "ps": ps.splitlines()}))
"""


def alone_in_a_pid_namespace(cmd, timeout, **kw):
    """Runs cmd as the only command of a new PID namespace; returns (status, other
    processes still there, output). Its output goes to stderr; the table comes on stdout."""
    r = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", PID1, *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
        **kw,
    )
    last = r.stdout.strip().splitlines()[-1]
    out = json.loads(last)
    # Only the namespace's own init and the ps that listed them may be there.
    left = [
        line for line in out["ps"] if not line.split(None, 2)[0] == "1" and "ps -eo" not in line
    ]
    return out["status"], left, r.stdout + r.stderr


def submission(dest, hostile=None, broken_01=False):
    for ex in EXERCISES:
        for f in (ROOT / "solutions" / ex).iterdir():
            if f.is_file():
                (dest / ex).mkdir(parents=True, exist_ok=True)
                shutil.copy(f, dest / ex / f.name)
    if hostile:
        with open(dest / "03-shmat" / "shm_rw.cpp", "a") as f:
            f.write("\n" + (WHOLE / f"{hostile}.cpp").read_text())
    if broken_01:  # an honest student with a mistake: the skeleton of 01
        shutil.copy(ROOT / "exercises" / "01-ftok" / "ftok_key.cpp", dest / "01-ftok")
    return dest


def ex_args():
    return [a for ex in EXERCISES for a in ("--exercise", ex)]


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    c = tmp_path_factory.mktemp("containment") / "class"
    submission(c / "alice")
    submission(c / "bob", broken_01=True)
    for name, case in HOSTILE.items():
        submission(c / name, hostile=case)
    return c


def scores(result: dict) -> dict:
    return {e["id"]: (e["score"], e["max_score"]) for e in result["exercises"]}


@pytest.fixture(scope="module")
def alone(klass, tmp_path_factory):
    """Each honest student graded on their own."""
    out = {}
    for name in ("alice", "bob"):
        path = tmp_path_factory.mktemp("alone") / f"{name}.json"
        r = subprocess.run(
            [
                IPCLAB,
                "grade",
                str(klass / name),
                "--format",
                "json",
                "--lang",
                "en",
                "-o",
                str(path),
                *ex_args(),
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert r.returncode == 0, r.stderr
        out[name] = scores(json.loads(path.read_text()))
    return out


@pytest.fixture(scope="module", params=["default", "1"], ids=["batch-default-j", "batch-j1"])
def batch(request, klass, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"batch-{request.param}")
    cmd = [IPCLAB, "batch", str(klass), "-o", str(out), "--lang", "en", *ex_args()]
    if request.param != "default":
        cmd += ["-j", request.param]
    if os.geteuid() == 0:
        status, left, log = alone_in_a_pid_namespace(cmd, timeout=900)
    else:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        status, left, log = r.returncode, [], r.stdout + r.stderr
    assert status == 0, log[-3000:]
    results = {
        d.name: json.loads((d / "result.json").read_text()) for d in (out / "students").iterdir()
    }
    return results, left


def test_honest_students_score_in_a_class_exactly_as_alone(batch, alone):
    results, _ = batch
    for name, want in alone.items():
        assert scores(results[name]) == want, name
    assert all(s == m for s, m in alone["alice"].values())  # the reference: full marks


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_exercise_costs_only_itself(batch, name):
    results, _ = batch
    result = results[name]
    for ex_id, (score, top) in scores(result).items():
        if ex_id == "03-shmat":
            assert score < top, f"{name}'s 03 scored full marks"
        else:
            assert score == top, f"{name}'s {ex_id}: {score}/{top}"
    if HOSTILE[name] == "fork_bomb":
        e03 = next(e for e in result["exercises"] if e["id"] == "03-shmat")
        assert "more than 64 processes" in json.dumps(e03), "the report does not say what it was"


@needs_root
def test_a_batch_leaves_no_process_not_even_a_zombie(batch):
    _, left = batch
    assert left == [], "left behind:\n" + "\n".join(left)


@needs_root
def test_root_grades_from_private_folders(tmp_path):
    """A clone in a 0700 folder (as /root), its cache in another, the submission in a third:
    full marks, the folders stay private, and the machine shows nothing new."""
    home, theirs = tmp_path / "home", tmp_path / "theirs"
    home.mkdir(mode=0o700)
    theirs.mkdir(mode=0o700)
    clone = home / "ipclab"
    files = (
        subprocess.run(
            ["git", "ls-files", "-z", "-co", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (clone / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, clone / rel)
    sub = theirs / "exercises"
    shutil.copytree(ROOT / "solutions" / "01-ftok", sub / "01-ftok")
    env = {**os.environ, "IPCLAB_CACHE": str(home / "cache")}
    # The sandbox's agent first (compiled on first use, into the cold cache): a check's
    # pytest timeout must not be spent on it on a busy machine.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from ipclab_harness.agentbin import agent_binary; " "agent_binary()",
        ],
        cwd=clone / "harness",
        env=env,
        check=True,
        timeout=600,
    )
    for what in ("solutions", str(sub)):
        out = tmp_path / "result.json"
        status, left, log = alone_in_a_pid_namespace(
            [
                str(clone / "ipclab"),
                "grade",
                what,
                "--exercise",
                "01-ftok",
                "--format",
                "json",
                "-o",
                str(out),
            ],
            timeout=600,
            env=env,
            cwd=clone,
        )
        assert status == 0, log[-3000:]
        assert left == [], "left behind:\n" + "\n".join(left)
        e01 = json.loads(out.read_text())["exercises"][0]
        assert e01["score"] == e01["max_score"], json.dumps(e01)[:3000]
    assert home.stat().st_mode & 0o777 == 0o700 and theirs.stat().st_mode & 0o777 == 0o700
    from ipclab_harness import sandbox

    assert not os.path.isdir(sandbox.VIEWS) or os.listdir(sandbox.VIEWS) == []
