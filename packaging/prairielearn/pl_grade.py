#!/usr/bin/python3
"""PrairieLearn's external-grading entrypoint (the question's info.json names it): the
student's files are flat in /grade/student, the question's tests/ folder is /grade/tests
(ipclab-question.json: exercise, language, time limit); it writes /grade/results/results.json,
creating results/, always: `score` 0..1, `gradable`, `message`, `output`, `tests[]` with `name`,
`description`, `points`, `max_points`, `message`, `output`. IPCLAB_PL_ROOT replaces /grade
(the tests run it against a simulated tree)."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

LAB = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(LAB / "grader"), str(LAB / "harness")]

from ipclab_grader.reports import platforms, prairielearn  # noqa: E402
from ipclab_grader.manifest import by_id, load_all  # noqa: E402

GRADE = Path(os.environ.get("IPCLAB_PL_ROOT", "/grade"))


def main() -> int:
    results = GRADE / "results" / "results.json"
    lab_cfg = json.loads((LAB / "ipclab-platform.json").read_text(encoding="utf-8"))
    try:
        q = json.loads((GRADE / "tests" / "ipclab-question.json").read_text(encoding="utf-8"))
        ex = by_id(load_all(), q["exercise"])
    except (OSError, ValueError, KeyError) as e:
        platforms.write_json(results, {
            "gradable": False, "score": 0, "message":
            f"ipclab: the question's tests/ipclab-question.json is missing or wrong ({e}); "
            "build the questions again with ./ipclab prairielearn", "output": "", "tests": []})
        return 0
    lang = q.get("lang") or lab_cfg.get("lang", "es")
    grade = platforms.grade_flat(GRADE / "student", ex, lang, int(q.get("timeout", 110)),
                                 lab_cfg.get("allow_unsandboxed", False), "ipclab-pl-")
    platforms.write_json(results, prairielearn.document(grade))
    return 0


if __name__ == "__main__":
    sys.exit(main())
