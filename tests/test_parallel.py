"""Grading many submissions at once, all with the same ftok keys, gives exactly the scores
they get one at a time: each check has its own IPC namespace, and nothing is shared but the
build cache (keyed by content)."""
import json
import shutil
import subprocess

from conftest import ROOT

IPCLAB = str(ROOT / "ipclab")
EXERCISES = ["01", "02", "03"]
SOURCES = {
    "solution": ROOT / "solutions",
    "skeleton": ROOT / "exercises",
    "c-style": ROOT / "tests" / "styles" / "c-style",
    "raii": ROOT / "tests" / "styles" / "raii",
}


def scores(result: dict) -> dict:
    return {
        e["id"]: {c["name"]: (c["score"], c["status"]) for c in e["checks"]}
        for e in result["exercises"]
    }


def test_eight_submissions_four_at_a_time_score_as_one_by_one(tmp_path):
    klass = tmp_path / "class"
    for i in range(8):
        name, src = list(SOURCES.items())[i % len(SOURCES)]
        dest = klass / f"student{i}-{name}"
        for ex in (ROOT / "exercises").glob("0[1-3]-*"):
            # only the student files: a submission is what the statement says to edit
            (dest / ex.name).mkdir(parents=True)
            for f in (src / ex.name).glob("*.cpp"):
                if (ex / f.name).exists() and not f.name.startswith("main_"):
                    shutil.copy(f, dest / ex.name / f.name)
    only = [x for e in EXERCISES for x in ("--exercise", e)]
    r = subprocess.run(
        [
            IPCLAB,
            "batch",
            str(klass),
            "-o",
            str(tmp_path / "out"),
            "-j",
            "4",
            "--lang",
            "en",
            *only,
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    for student in sorted(klass.iterdir()):
        together = json.loads(
            (tmp_path / "out" / "students" / student.name / "result.json").read_text()
        )
        alone = json.loads(
            subprocess.run(
                [IPCLAB, "grade", str(student), "--format", "json", "--lang", "en", *only],
                capture_output=True,
                text=True,
                timeout=600,
                check=True,
            ).stdout
        )
        assert scores(together) == scores(alone), student.name
        if "solution" in student.name or "style" in student.name or "raii" in student.name:
            assert alone["score"] == alone["max_score"]
        if "skeleton" in student.name:
            assert alone["score"] == 0
