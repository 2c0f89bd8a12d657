"""A grade as Autolab reads a job's output (app/helpers/assessment_autograde_core.rb and
assessments_controller.rb#parseFeedback): the readable report first ("Raw Output"), then on
the second-to-last line the formatted feedback (`"_presentation": "semantic"`, one stage per
exercise, each check `passed` with its feedback as `hint`), and on the last line the
autoresult `{"scores": {"01-ftok": n, …}}`, one problem per exercise named by its id."""
from __future__ import annotations

import json

from . import platforms, report
from ..pipeline.score import Grade

MAX_HINT = 2000


def scores(grade: Grade) -> dict:
    return {"scores": {ex.exercise.id: ex.score for ex in grade.exercises}}


def feedback(grade: Grade) -> dict:
    lang = grade.lang
    hidden = platforms.text(lang, "hidden")
    summary_stage = platforms.text(lang, "summary_stage")
    doc: dict = {"_presentation": "semantic", "stages": []}
    for ex in grade.exercises:
        stage = f"{ex.exercise.id} · {ex.title}"
        state = platforms.state(grade, ex.status)
        if state:
            stage += f" ({state})"
        results = {}
        for c in ex.checks:
            name = c.title + (f" [{hidden}]" if c.visibility == "hidden" else "")
            while name in results:
                name += " ·"
            entry: dict = {"passed": c.status == "passed"}
            if c.status != "passed" and c.feedback:
                entry["hint"] = c.feedback[:MAX_HINT]
            results[name] = entry
        doc["stages"].append(stage)
        doc[stage] = results
    passed, total = platforms.counts(grade)
    doc["stages"].append(summary_stage)
    doc[summary_stage] = {
        platforms.text(
            lang, "summary", score=grade.score, max=grade.max_score, passed=passed, total=total
        ): platforms.mode_line(grade)
    }
    return doc


def render(grade: Grade) -> str:
    """The whole output of `make`: report, formatted feedback line, autoresult line."""
    return (
        report.text(grade)
        + "\n"
        + json.dumps(feedback(grade), ensure_ascii=False, separators=(",", ":"))
        + "\n"
        + json.dumps(scores(grade), separators=(",", ":"))
        + "\n"
    )
