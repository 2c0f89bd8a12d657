"""The forging corpus (tests/hostile/forge/): ways to forge a score, each appended to the
untouched skeleton of every exercise, must gain nothing over that skeleton (issue 12).

Each case is a C++ snippet that compiles in any student file (generic code only: static
objects, atexit handlers, raw system calls, hand-declared GoogleTest symbols). A submission
per case holds every exercise's skeleton with `_forge.inc` (the helpers every forger needs)
and the case appended; all are graded in one `./ipclab batch` beside the untouched skeleton
itself, and every exercise of every case must score exactly what the skeleton scores. The
machine must be as before: `ipcs -a` and the process list.

Exercises take part once their unit tests call the student's code in a worker
(`test/remote.cpp`); IPCLAB_FORGE_EXERCISES=01,02 chooses exercises instead, and
IPCLAB_FORGE_CASES=a,b the cases (developing one exercise or one case)."""
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import ROOT
from ipclab_grader.manifest import load_all

FORGE = ROOT / "tests" / "hostile" / "forge"
PRELUDE = FORGE / "_forge.inc"
CASES = sorted(
    p.stem
    for p in FORGE.glob("*.cpp")
    if not os.environ.get("IPCLAB_FORGE_CASES")
    or p.stem in os.environ["IPCLAB_FORGE_CASES"].split(",")
)
SKELETON = "0-skeleton"  # sorts first: the batch grades it beside the cases
# The cases that wait longest (a daemon holding every check's pipes until its deadline, a
# stopped agent): started first, so they overlap the others instead of ending the batch.
# (kill_group, whose every program stops itself, was the longest, 145 s, until the agent
# ended stopped programs at once.)
SLOW = ("forked_daemon", "stop_parent")


def folder(case: str) -> str:
    return f"0a-{case}" if case in SLOW else case


MARKER = b"ipclab-forging-case"  # in every program built with _forge.inc
CANARY = "a file of the machine's\n"
BOUND = 900  # seconds for the whole batch (a backstop; 2-3 min on 2 cores)


def _exercises():
    only = [x for x in os.environ.get("IPCLAB_FORGE_EXERCISES", "").split(",") if x]
    if only:  # exactly these (an older tree, one exercise being adapted)
        return [ex for ex in load_all() if any(ex.id.startswith(o) for o in only)]
    return [ex for ex in load_all() if (ex.dir / "test" / "remote.cpp").exists()]


EXERCISES = _exercises()
# The first test pays for the whole batch (its fixture), beyond pytest.ini's 600 s per test.
pytestmark = pytest.mark.timeout(BOUND + 60)


def first_comment(case: str) -> str:
    line = (FORGE / f"{case}.cpp").read_text().splitlines()[0]
    return line[2:].strip() if line.startswith("//") else ""


def make_submission(folder, exercises, case: str | None, canary: str = "/nonexistent"):
    """A copy of exercises/ (the chosen ones) with the case appended to every student file
    (@CANARY@: a file of the machine's that must come out intact)."""
    snippet = (
        ""
        if case is None
        else (
            f"\n// ---- forging case {case} ----\n"
            + PRELUDE.read_text()
            + "\n"
            + (FORGE / f"{case}.cpp").read_text().replace("@CANARY@", canary)
        )
    )
    for ex in exercises:
        dst = folder / "exercises" / ex.id
        shutil.copytree(ex.dir, dst)
        for name in ex.files:
            with open(dst / name, "a") as f:
                f.write(snippet)
    return folder


def processes() -> set[str]:
    """The processes running a program built from a forging case (their file holds the
    prelude's marker): none may outlive the grade."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{entry}/exe")
            if exe.startswith("/usr/"):
                continue
            with open(f"/proc/{entry}/exe", "rb") as f:
                if MARKER in f.read(64 << 20):
                    with open(f"/proc/{entry}/cmdline", "rb") as c:
                        found.add(
                            f"{entry} {c.read().replace(bytes(1), b' ').decode(errors='replace')}"
                        )
        except OSError:
            continue
    return found


def ipcs() -> str:
    return subprocess.run(["ipcs", "-a"], capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every case and the skeleton, graded in one batch: {name: {exercise id: exercise}}."""
    if not EXERCISES:
        pytest.skip("no exercise has a worker table (test/remote.cpp) yet")
    tmp = tmp_path_factory.mktemp("forge")
    klass, out = tmp / "class", tmp / "out"
    canary = tmp / "canary.txt"
    canary.write_text(CANARY)
    make_submission(klass / SKELETON, EXERCISES, None)
    for case in CASES:
        make_submission(klass / folder(case), EXERCISES, case, str(canary))
    for d in [tmp, *tmp.rglob("*")]:  # the sandbox's user (nobody, as root) reads them
        d.chmod(d.stat().st_mode | 0o005)
    before_ps, before_ipcs = processes(), ipcs()
    t0 = time.monotonic()
    # Tight limits, the same for the skeleton: a case that stops or hangs the test program
    # costs a second, not the default wall limit per group (a tighter limit can only cost
    # points, never forge them). Eight at a time: most of a case's grade is waiting.
    cmd = [
        str(ROOT / "ipclab"),
        "batch",
        str(klass),
        "-o",
        str(out),
        "--lang",
        "en",
        "--limit",
        "wall=1",
        "--limit",
        "cpu=1",
        "-j",
        "8",
    ]
    for ex in EXERCISES:
        cmd += ["--exercise", ex.id]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=BOUND)
    seconds = time.monotonic() - t0
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    results = {}
    for name in [SKELETON, *CASES]:
        path = out / "students" / (folder(name) if name != SKELETON else name) / "result.json"
        assert path.exists(), f"{name}: no result ({r.stdout[-1000:]}{r.stderr[-1000:]})"
        results[name] = {e["id"]: e for e in json.loads(path.read_text())["exercises"]}
    return {
        "results": results,
        "seconds": seconds,
        "canary": canary.read_text(),
        "new_processes": processes() - before_ps,
        "ipcs_changed": ipcs() != before_ipcs,
    }


def test_every_case_says_what_it_tries():
    assert CASES, "no forging case"
    for case in CASES:
        assert first_comment(case), f"{case}.cpp: the first line must say what it tries"


@pytest.mark.parametrize("ex_id", [ex.id for ex in EXERCISES])
@pytest.mark.parametrize("case", CASES)
def test_case_gains_nothing(graded, case, ex_id):
    skeleton = graded["results"][SKELETON][ex_id]
    forged = graded["results"][case][ex_id]
    assert skeleton["status"] == "graded", (
        f"the skeleton of {ex_id} was not graded: "
        f"{skeleton['status']} {skeleton.get('build_errors', '')[:800]}"
    )
    base = {c["name"]: c["score"] for c in skeleton["checks"]}
    gained = [
        f"{c['name']} {c['score']}/{c['max_score']} (skeleton {base.get(c['name'], 0)})"
        for c in forged["checks"]
        if c["score"] > base.get(c["name"], 0)
    ]
    assert (
        forged["score"] <= skeleton["score"] and not gained
    ), f"{case} ({first_comment(case)}) forged points in {ex_id}: " + "; ".join(gained)
    assert forged["score"] == skeleton["score"], (forged["score"], skeleton["score"])


def test_the_machine_is_as_before(graded):
    assert not graded["new_processes"], f"left running: {graded['new_processes']}"
    assert not graded["ipcs_changed"], "the forging cases left IPC objects on the machine"
    assert graded["canary"] == CANARY, "the grader wrote through a link a program left"
