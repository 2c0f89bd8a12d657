"""A saved `ipclab-result/2` (or /1) document read back into a score.Grade, so that every report
format (text, Markdown, JUnit, Gradescope, Classroom) can be rendered from one grading run
instead of grading again for each format."""
from __future__ import annotations

import json
from pathlib import Path

from ..manifest import Exercise
from ..pipeline.score import SCHEMA, Grade, GradedCheck, GradedExercise


class ResultError(Exception):
    """The file is not an ipclab result; the message says which file and why."""


def load(path: str | Path, exercises: list[Exercise]) -> Grade:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ResultError(
            f"{p}: {e.strerror}; give a file written by " "`./ipclab grade --format json`"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ResultError(
            f"{p}: not JSON ({e}); give a file written by " "`./ipclab grade --format json`"
        ) from None
    return from_json(data, exercises, str(p))


# Read as well: /1 is /2 without the integrity fields (docs/result-schema.md).
READABLE = (SCHEMA, "ipclab-result/1")


def from_json(data: dict, exercises: list[Exercise], where: str = "result") -> Grade:
    if not isinstance(data, dict) or data.get("schema") not in READABLE:
        raise ResultError(
            f"{where}: not an {SCHEMA} document; give a file written by "
            "`./ipclab grade --format json`"
        )
    known = {e.id: e for e in exercises}
    graded = []
    try:
        for ex in data["exercises"]:
            if ex["id"] not in known:
                raise ResultError(
                    f"{where}: exercise {ex['id']} is not in this lab; render it "
                    "with the ipclab that graded it"
                )
            checks = [
                GradedCheck(
                    c["name"],
                    c["title"],
                    int(c["score"]),
                    int(c["max_score"]),
                    c["status"],
                    c.get("feedback", ""),
                    c.get("visibility", "visible"),
                )
                for c in ex["checks"]
            ]
            graded.append(
                GradedExercise(
                    known[ex["id"]],
                    ex["title"],
                    ex["status"],
                    checks,
                    ex.get("build_errors", ""),
                    list(ex.get("notes", [])),
                    [dict(f) for f in ex.get("integrity", [])],
                )
            )
        return Grade(data["submission"], data["lang"], data["mode"], graded)
    except (KeyError, TypeError, ValueError) as e:
        raise ResultError(
            f"{where}: incomplete {SCHEMA} document (missing or bad {e}); "
            "grade the submission again"
        ) from None
