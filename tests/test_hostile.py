"""The hostile corpus (tests/hostile/): broken and malicious submissions, each with its verdict.

Every case is a submission of 01-ftok (the hostile file) and 02-shmget (a correct one). For
each: the grade completes within its bound, 01 scores what it deserves, 02 keeps full marks,
the report explains, and the machine is as before: `ipcs -a`, the process list, the grader's
files, and a canary segment made before grading."""
import hashlib
import json
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import ROOT

CORPUS = ROOT / "tests" / "hostile"
# Tight limits keep the corpus fast; they are the same kind of override an instructor may use.
LIMITS = ["--limit", "wall=4", "--limit", "cpu=3", "--limit", "build_time=25"]
BOUND = 240  # seconds one hostile grade may take, builds included
SOLUTION_01 = (ROOT / "solutions" / "01-ftok" / "ftok_key.cpp").read_text()
SECRET_LINE = "An unchecked -1 is a valid-looking key"  # a comment only the solution has
HIDDEN_TEST = ROOT / "grader" / "hidden" / "01-ftok" / "unit" / "ftok_key_hidden_test.cpp"
PWNED = "/tmp/ipclab-hostile-pwned"


def grader_files() -> dict[str, str]:
    """Hashes of every file of the lab the grader runs from (not build output)."""
    out = {}
    for top in ("grader", "harness", "lab", "cmake", "exercises", "solutions"):
        for f in sorted((ROOT / top).rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts:
                out[str(f)] = hashlib.sha256(f.read_bytes()).hexdigest()
    for f in ("ipclab", "CMakeLists.txt", "README.md"):
        out[f] = hashlib.sha256((ROOT / f).read_bytes()).hexdigest()
    return out


def c_strings(paths) -> str:
    return "\n".join(json.dumps(str(p)) + "," for p in paths)


def submission(tmp, name: str, source: str | None = None, *, crlf=False) -> "os.PathLike":
    sub = tmp / name / "exercises"
    (sub / "02-shmget").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "02-shmget" / "shm_create.cpp", sub / "02-shmget")
    (sub / "01-ftok").mkdir()
    text = SOLUTION_01 if source is None else source
    if crlf:
        text = text.replace("\n", "\r\n")
    (sub / "01-ftok" / "ftok_key.cpp").write_bytes(text.encode())
    return sub


def hostile_source(case: str, results_path) -> str:
    src = (CORPUS / f"{case}.cpp").read_text().replace("@ROOT@", str(ROOT))
    if case == "write_outside":
        targets = [
            ROOT / "grader" / "ipclab_grader" / "pipeline" / "score.py",
            ROOT / "README.md",
            ROOT / "ipclab",
            results_path,
            PWNED,
            "/work/../results.json",
        ]
        src = src.replace("@TARGETS@", c_strings(targets))
    if case == "read_secrets":
        targets = [
            ROOT / "solutions" / "01-ftok" / "ftok_key.cpp",
            HIDDEN_TEST,
            *sorted((ROOT / "grader" / "hidden" / "01-ftok" / "checks").glob("*.py")),
            ROOT / "grader" / "ipclab_grader" / "pipeline" / "score.py",
        ]
        # Anything readable makes the answer wrong, so a leak shows as lost points.
        src = (
            src.replace("@TARGETS@", c_strings(targets))
            .replace('std::cerr << "LEAK "', 'leaked = true, std::cerr << "LEAK "')
            .replace(
                "key_t make_key(const std::string& path, int proj_id) {",
                "key_t make_key(const std::string& path, int proj_id) {\n    bool leaked = false;",
            )
            .replace("    return key;\n}", "    return leaked ? key + 1 : key;\n}")
        )
    return src


RUNTIME_CASES = [
    "fork_bomb",
    "infinite_loop",
    "sleep_forever",
    "setsid_daemon",
    "flood_stdout",
    "segfault",
    "abort",
    "kill_everything",
    "kill_parent",
    "remove_every_segment",
    "exhaust_segments",
    "huge_segment",
    "write_outside",
    "read_secrets",
    "fill_disk",
    "thread_bomb",
]
BUILD_CASES = ["include_solution", "include_hidden", "include_dev_zero", "compile_forever"]


def test_every_corpus_file_is_a_case():
    on_disk = {p.stem for p in CORPUS.glob("*.cpp")}
    assert on_disk == set(RUNTIME_CASES + BUILD_CASES)


def grade_json(sub, out):
    t0 = time.monotonic()
    r = subprocess.run(
        [
            str(ROOT / "ipclab"),
            "grade",
            str(sub),
            "--format",
            "json",
            "--lang",
            "en",
            "--exercise",
            "01",
            "--exercise",
            "02",
            "-o",
            str(out),
            *LIMITS,
        ],
        capture_output=True,
        text=True,
        timeout=BOUND + 60,
    )
    seconds = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text()), seconds


def processes() -> set[str]:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return {
        line
        for line in ps.splitlines()
        if "/lab/" in line or "ftok_key" in line or "01-ftok" in line
    }


@pytest.fixture(scope="module")
def canary():
    """A segment of the machine's own, made before grading: it must come out intact."""
    import sysv_ipc

    seg = sysv_ipc.SharedMemory(None, sysv_ipc.IPC_CREX, mode=0o600, size=64)
    seg.write(b"canary")
    try:
        yield seg
    finally:
        seg.detach()
        seg.remove()


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory, canary):
    """Grades every case (three at a time: most of a hostile grade is waiting on limits)."""
    tmp = tmp_path_factory.mktemp("hostile")
    before_files = grader_files()
    before_ps = processes()
    jobs = {}
    for case in RUNTIME_CASES + BUILD_CASES:
        out = tmp / case / "result.json"
        sub = submission(tmp, case, hostile_source(case, out))
        jobs[case] = (sub, out)
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {case: pool.submit(grade_json, *args) for case, args in jobs.items()}
        results = {case: f.result() for case, f in futures.items()}
    return {
        "results": results,
        "files_changed": [f for f, h in grader_files().items() if before_files.get(f) != h],
        "new_processes": processes() - before_ps,
    }


def ex(result, ex_id):
    return next(e for e in result["exercises"] if e["id"].startswith(ex_id))


def feedback(e) -> str:
    return "\n".join(c["feedback"] for c in e["checks"])


# What each case deserves for 01 (FULL: its manifest's points), and a phrase its report must
# contain.
EXPECTED = {
    "fork_bomb": (0, None),
    "infinite_loop": (0, None),
    "sleep_forever": (0, None),
    "setsid_daemon": ("less", "ipcs"),
    "flood_stdout": ("less", "only the first"),
    "segfault": (0, "SIGSEGV"),
    "abort": (0, "SIGABRT"),
    "kill_everything": (0, None),
    "kill_parent": ("less", None),
    "remove_every_segment": ("full", None),
    "exhaust_segments": ("less", "ipcs"),
    "huge_segment": ("full", None),
    "write_outside": ("full", None),
    "read_secrets": ("full", None),
    "fill_disk": (0, None),
    "thread_bomb": (0, None),
}


@pytest.mark.parametrize("case", RUNTIME_CASES)
def test_runtime_case_gets_its_verdict(verdicts, case):
    result, seconds = verdicts["results"][case]
    assert seconds < BOUND, f"{case}: the grade took {seconds:.0f} s"
    e01, e02 = ex(result, "01"), ex(result, "02")
    assert e02["score"] == e02["max_score"], f"{case} spoiled 02: {feedback(e02)[:800]}"
    assert e01["status"] == "graded"
    want, phrase = EXPECTED[case]
    if want == "less":
        assert e01["score"] < e01["max_score"], f"{case} scored full marks"
    else:
        want = e01["max_score"] if want == "full" else want
        assert (
            e01["score"] == want
        ), f"{case}: {e01['score']}/{e01['max_score']}\n{feedback(e01)[:1500]}"
    if e01["score"] < e01["max_score"]:
        assert all(
            c["feedback"] for c in e01["checks"] if c["status"] != "passed"
        ), f"{case}: a failed check without feedback"
    if phrase:
        assert phrase in feedback(e01), f"{case}: the report does not say '{phrase}'"


@pytest.mark.parametrize("case", BUILD_CASES)
def test_build_case_fails_to_build_and_leaks_nothing(verdicts, case):
    result, seconds = verdicts["results"][case]
    assert seconds < BOUND
    e01, e02 = ex(result, "01"), ex(result, "02")
    assert e02["score"] == e02["max_score"]
    assert e01["status"] == "build_failed" and e01["score"] == 0
    text = json.dumps(result)
    assert SECRET_LINE not in text, "the reference solution leaked into the report"
    assert "TEST_F(" not in text and "FtokKeyHidden" not in e01.get("build_errors", "")
    if case == "compile_forever":
        assert "longer than" in e01["build_errors"] or "compiler was stopped" in e01["build_errors"]


def test_the_machine_is_as_before(verdicts, canary):
    assert verdicts["files_changed"] == [], "hostile code changed the grader's files"
    assert not verdicts["new_processes"], f"left running: {verdicts['new_processes']}"
    assert canary.read(6) == b"canary"
    assert not os.path.exists(PWNED)
    result, _ = verdicts["results"]["write_outside"]
    assert result["schema"] == "ipclab-result/2"  # the results file is the grader's own


def test_crlf_line_endings_simply_work(tmp_path):
    sub = submission(tmp_path, "crlf", crlf=True)
    result, _ = grade_json(sub, tmp_path / "r.json")
    assert ex(result, "01")["score"] == ex(result, "01")["max_score"] > 0


def test_odd_names_and_a_latin1_file_are_graded(tmp_path):
    odd = tmp_path / os.fsdecode(b"entrega con espacios \xff")
    sub = submission(odd, "x", SOLUTION_01 + "// comentario en Latin-1: a\xf1o\n")
    (sub / "01-ftok" / "ftok_key.cpp").write_bytes(
        (SOLUTION_01 + "// comentario en Latin-1: a").encode() + b"\xf1o\n"
    )
    (sub / "01-ftok" / "mis notas.txt").write_text("x")
    (sub / "01-ftok" / os.fsdecode(b"\xff\xfe.txt")).write_text("x")
    result, _ = grade_json(sub, tmp_path / "r.json")
    e01 = ex(result, "01")
    assert e01["score"] == e01["max_score"] > 0
    assert any("UTF-8" in n for n in e01["notes"])


def test_links_out_of_the_submission_are_refused(tmp_path):
    sub = submission(tmp_path, "links")
    target = sub / "01-ftok" / "ftok_key.cpp"
    target.unlink()
    target.symlink_to(ROOT / "solutions" / "01-ftok" / "ftok_key.cpp")
    result, _ = grade_json(sub, tmp_path / "r.json")
    assert ex(result, "01")["status"] == "refused" and ex(result, "01")["score"] == 0
    assert ex(result, "02")["score"] == ex(result, "02")["max_score"]
    shutil.rmtree(sub / "01-ftok")
    (sub / "01-ftok").symlink_to(ROOT / "solutions" / "01-ftok")
    result, _ = grade_json(sub, tmp_path / "r2.json")
    assert ex(result, "01")["status"] == "refused"
    assert SECRET_LINE not in json.dumps(result)


def test_a_submission_that_is_a_link_to_root_is_one_clear_error(tmp_path):
    link = tmp_path / "sub"
    link.symlink_to("/")
    r = subprocess.run(
        [str(ROOT / "ipclab"), "grade", str(link)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "no exercise folders" in r.stderr
