"""The results document of GitHub Classroom's autograding reporter
(classroom-resources/autograding-grading-reporter@v1, a copy in tests/vendor/): version 1,
status pass|fail|error, max_score, and tests with their own score. The reporter notices
"Points T/M" with T the sum of `tests[].score` and M `max_score` (and notices nothing when M is
0), so Classroom records partial points per check rather than all-or-nothing per command.

The workflow base64-encodes the document into the reporter's IPCLAB_RESULTS variable, and
Linux refuses one environment string over 128 KiB ("Argument list too long"): then Classroom
records nothing. So the document is compact JSON and always under LIMIT bytes, whatever the
submission: an exercise that was not graded (does not compile, not submitted, refused,
could not be graded) is one test with its reason, not one per check repeating the compiler's
errors, and messages are cut shorter until the document fits."""
from __future__ import annotations

import json

from ..pipeline.score import Grade

LIMIT = 60 * 1024  # base64 of it: 80 KiB, well under the 128 KiB of one variable
MESSAGE_CAPS = (2000, 800, 300, 100, 0)


def _status(status: str) -> str:
    return "pass" if status == "passed" else ("error" if status == "error" else "fail")


def _tests(grade: Grade, cap: int, name_cap: int) -> list[dict]:
    def cut(s: str, n: int) -> str:
        return s if len(s) <= n else s[: max(0, n - 1)] + "…" if n else ""

    tests = []
    for ex in grade.exercises:
        if ex.status != "graded":
            reason = ex.checks[0].feedback if ex.checks else ""
            tests.append(
                {
                    "name": cut(f"{ex.exercise.id}: {ex.title}", name_cap),
                    "status": "error" if ex.status == "error" else "fail",
                    "score": ex.score,
                    "max_score": ex.max_score,
                    "message": cut(reason, cap),
                    "line_no": 0,
                    "execution_time": "0s",
                    "test_code": f"ipclab {ex.exercise.id} ({ex.status})",
                }
            )
            continue
        for c in ex.checks:
            tests.append(
                {
                    "name": cut(f"{ex.exercise.id}: {c.title}", name_cap),
                    "status": _status(c.status),
                    "score": c.score,
                    "max_score": c.max_score,
                    "message": cut(c.feedback, cap),
                    "line_no": 0,
                    "execution_time": "0s",
                    "test_code": cut(f"ipclab {ex.exercise.id} {c.name}", name_cap),
                }
            )
    return tests


def _dump(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def document(grade: Grade) -> dict:
    status = "pass" if grade.score == grade.max_score else "fail"
    if any(ex.status == "error" for ex in grade.exercises):
        status = "error"
    doc = {"version": 1, "status": status, "max_score": grade.max_score, "tests": []}
    for name_cap in (200, 80):
        for cap in MESSAGE_CAPS:
            doc["tests"] = _tests(grade, cap, name_cap)
            if len(_dump(doc).encode()) <= LIMIT:
                return doc
    # Still too long (thousands of checks): keep the points, fold the failed ones together.
    tests = doc["tests"]
    kept = [t for t in tests if t["score"] > 0]
    rest = [t for t in tests if t["score"] == 0]
    doc["tests"] = kept + [
        {
            "name": f"{len(rest)} checks not passed",
            "status": "fail",
            "score": 0,
            "max_score": sum(t["max_score"] for t in rest),
            "message": "",
            "line_no": 0,
            "execution_time": "0s",
            "test_code": "",
        }
    ]
    return doc


def render(grade: Grade) -> str:
    return _dump(document(grade)) + "\n"
