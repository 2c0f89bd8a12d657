"""A grade as PrairieLearn's external grader reads `/grade/results/results.json`: `gradable`,
`score` (0..1), `message`, `output`, and `tests[]` with `name`, `description`, `points`,
`max_points`, `message`, `output`. A grade where nothing ran (no files, no sandbox, past the
time limit) is `gradable: false`: PrairieLearn then records no score and charges no attempt."""
from __future__ import annotations

import json

from . import platforms, report
from ..pipeline.score import Grade

MAX_OUTPUT = 16_000


def document(grade: Grade) -> dict:
    lang = grade.lang
    passed, total = platforms.counts(grade)
    hidden = platforms.text(lang, "hidden")
    tests = []
    for ex in grade.exercises:
        for c in ex.checks:
            tag = f" [{hidden}]" if c.visibility == "hidden" else ""
            first = c.feedback.strip().splitlines()[0] if c.feedback.strip() else ""
            tests.append(
                {
                    "name": f"{c.title}{tag}",
                    "description": f"{ex.exercise.id} · {ex.title}",
                    "points": c.score,
                    "max_points": c.max_score,
                    "message": first[:500],
                    "output": c.feedback[:MAX_OUTPUT],
                }
            )
    summary = platforms.text(
        lang, "summary", score=grade.score, max=grade.max_score, passed=passed, total=total
    )
    gradable = grade.mode != platforms.NOT_GRADED
    message = f"{summary}. {platforms.mode_line(grade)}"
    if not gradable:
        first = next((c.feedback for e in grade.exercises for c in e.checks), "")
        message = first or message
    return {
        "gradable": gradable,
        "score": round(grade.score / grade.max_score, 6) if grade.max_score else 0.0,
        "message": message,
        "output": report.text(grade)[: MAX_OUTPUT * 4],
        "tests": tests,
    }


def render(grade: Grade) -> str:
    return json.dumps(document(grade), ensure_ascii=False, indent=2) + "\n"
