"""The grader judges behaviour, not the reference's wording: two correct solutions of every
exercise it holds, written differently from solutions/ (tests/styles/c-style: raw pointers,
goto, C headers, S_IRUSR|S_IWUSR; tests/styles/raii: unique_ptr deleters, a scope guard,
std::optional), each get full marks from the real grader."""
import json
import subprocess

import pytest

from conftest import ROOT

STYLES = ROOT / "tests" / "styles"


def grade(submission, exercise_ids):
    args = [str(ROOT / "ipclab"), "grade", str(submission), "--format", "json", "--lang", "en"]
    for ex in exercise_ids:
        args += ["--exercise", ex]
    r = subprocess.run(args, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("style", sorted(p.name for p in STYLES.iterdir() if p.is_dir()))
def test_a_differently_written_solution_gets_full_marks(style):
    submitted = sorted(p.name for p in (STYLES / style).iterdir() if p.is_dir())
    result = grade(STYLES / style, submitted)
    assert sorted(e["id"] for e in result["exercises"]) == submitted
    assert result["integrity_flagged"] is False, [e["integrity"] for e in result["exercises"]]
    for ex in result["exercises"]:
        failed = [f"{c['name']}: {c['feedback']}" for c in ex["checks"] if c["status"] != "passed"]
        assert ex["score"] == ex["max_score"] > 0, f"{style}/{ex['id']}:\n" + "\n".join(failed)
