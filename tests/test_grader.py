"""The grader end to end: solutions get full marks, skeletons none, one broken exercise is
isolated, a missing one is "not submitted", and the formats are what their readers expect."""
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, ipc_snapshot

IPCLAB = [str(ROOT / "ipclab")]


def grade(*args, check=True):
    r = subprocess.run(IPCLAB + ["grade", *args], capture_output=True, text=True, timeout=900)
    if check:
        assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def solutions_json(solutions_graded):
    return json.loads(solutions_graded)


def test_solutions_get_full_marks(solutions_json):
    assert solutions_json["schema"] == "ipclab-result/2"
    assert solutions_json["mode"] == "bwrap"
    assert solutions_json["integrity_flagged"] is False
    for ex in solutions_json["exercises"]:
        failed = [(c["name"], c["feedback"][:300]) for c in ex["checks"] if c["status"] != "passed"]
        assert not failed, f"{ex['id']}: {failed}"
        assert ex["score"] == ex["max_score"] > 0
    assert solutions_json["score"] == solutions_json["max_score"]


def test_untouched_skeletons_score_nothing():
    result = json.loads(grade(str(ROOT / "exercises"), "--format", "json").stdout)
    passing = [(e["id"], c["name"]) for e in result["exercises"] for c in e["checks"] if c["score"]]
    assert result["score"] == 0, f"checks the untouched lab passes: {passing}"


def test_a_broken_exercise_is_isolated_and_a_missing_one_not_submitted(tmp_path, exercises):
    sub = tmp_path / "sub"
    shutil.copytree(ROOT / "solutions", sub)
    broken, missing = exercises[1], exercises[2]
    (sub / broken.id / broken.files[0]).write_text("this is not C++\n")
    shutil.rmtree(sub / missing.id)
    result = json.loads(grade(str(sub), "--format", "json", "--lang", "es").stdout)
    by_id = {e["id"]: e for e in result["exercises"]}
    assert by_id[broken.id]["status"] == "build_failed" and by_id[broken.id]["score"] == 0
    assert "error" in by_id[broken.id]["build_errors"]
    assert "no compila" in by_id[broken.id]["checks"][0]["feedback"]
    assert by_id[missing.id]["status"] == "not_submitted" and by_id[missing.id]["score"] == 0
    for ex in exercises:
        if ex.id not in (broken.id, missing.id):
            assert by_id[ex.id]["score"] == by_id[ex.id]["max_score"], ex.id


def test_a_repository_containing_exercises_is_accepted(tmp_path, exercises):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "solutions" / exercises[0].id, repo / "exercises" / exercises[0].id)
    result = json.loads(grade(str(repo), "--format", "json", "--exercise", exercises[0].id).stdout)
    assert result["score"] == result["max_score"]


def test_gradescope_and_junit_formats(tmp_path, exercises):
    ex = exercises[0].id
    out = tmp_path / "results.json"
    grade(str(ROOT / "solutions"), "--format", "gradescope", "--exercise", ex, "-o", str(out))
    gs = json.loads(out.read_text())
    assert gs["score"] == sum(t["score"] for t in gs["tests"])
    for t in gs["tests"]:
        assert {"name", "score", "max_score", "status", "visibility"} <= set(t)
        assert t["status"] in ("passed", "failed")
        assert t["visibility"] in ("visible", "after_due_date")
    xml = grade(str(ROOT / "exercises"), "--format", "junit", "--exercise", ex).stdout
    root = ET.fromstring(xml)
    suite = root.find("testsuite")
    assert int(suite.get("failures")) + int(suite.get("errors")) == int(suite.get("tests")) > 0


@pytest.mark.parametrize(
    "args,needle",
    [
        (["/no/such/submission"], "no such file or directory"),
        (["--exercise", "99", "solutions"], "no exercise '99'"),
    ],
)
def test_bad_input_is_one_clear_line(args, needle):
    r = grade(*args, check=False)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and needle in r.stderr and not r.stdout


def test_grading_leaves_the_machine_as_it_was(tmp_path, exercises):
    before = ipc_snapshot()
    grade(str(ROOT / "solutions"), "--exercise", exercises[0].id)
    assert ipc_snapshot() == before


def test_one_exercise_deals_its_checks_out_among_the_workers(exercises, monkeypatch):
    """A student's check of one exercise runs its process checks in one pytest run per
    worker, so a long one (06's four concurrent adds) runs beside the others: each check
    runs once, and the grade is the one a single worker gives, failures and all."""
    from ipclab_grader.pipeline import grade as pipeline, run

    calls = []
    real = run.run_process_checks

    def recorded(built, lang, include_hidden=True, only=None):
        calls.append(only)
        return real(built, lang, include_hidden=include_hidden, only=only)

    monkeypatch.setattr(run, "run_process_checks", recorded)
    ex = [e for e in exercises if e.id == "06-semaphores"]
    for where in ("solutions", "exercises"):
        graded = {}
        for jobs in (1, 2):
            calls.clear()
            g = pipeline.grade(str(ROOT / where), ex, "en", jobs=jobs, visible_only=True)
            graded[jobs] = [(c.name, c.score, c.status) for c in g.exercises[0].checks]
            assert len(calls) == jobs, calls
        parts = [c for c in calls if c]
        assert len(set().union(*parts)) == sum(len(c) for c in parts) >= 5, parts
        assert graded[1] == graded[2], where


def test_graders_side_by_side_agree(exercises):
    """Same ftok keys in every grade: private namespaces keep them apart, so three graders
    at once give exactly the result of one."""
    args = IPCLAB + ["grade", str(ROOT / "solutions"), "--format", "json"]
    for ex in exercises[2:4]:
        args += ["--exercise", ex.id]
    alone = subprocess.run(args, capture_output=True, text=True, timeout=600).stdout
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert json.loads(alone)["score"] == json.loads(alone)["max_score"]
    assert all(o == alone for o in outs)
