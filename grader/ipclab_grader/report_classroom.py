"""The results document of GitHub Classroom's autograding reporter
(classroom-resources/autograding-grading-reporter): version 1, status pass|fail|error, max_score,
and one test per check with its own score, so Classroom records partial points per check
rather than the all-or-nothing of one command per test. The workflow base64-encodes it into the
reporter's IPCLAB_RESULTS variable."""
from __future__ import annotations

import json

from .score import Grade


def document(grade: Grade) -> dict:
    tests = []
    for ex in grade.exercises:
        for c in ex.checks:
            tests.append({"name": f"{ex.exercise.id}: {c.title}",
                          "status": "pass" if c.status == "passed" else (
                              "error" if c.status == "error" else "fail"),
                          "score": c.score, "max_score": c.max_score,
                          "message": c.feedback[:2000], "line_no": 0, "execution_time": "0s",
                          "test_code": f"ipclab {ex.exercise.id} {c.name}"})
    status = "pass" if grade.score == grade.max_score else "fail"
    return {"version": 1, "status": status, "max_score": grade.max_score, "tests": tests}


def render(grade: Grade) -> str:
    return json.dumps(document(grade), ensure_ascii=False, indent=2) + "\n"
