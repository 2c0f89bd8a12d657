"""A grade as Moodle VPL reads an evaluation's output (mod_vpl, vpl_submission.class.php):
comments in one `<|--` … `--|>` block, where a line that starts with `-` is a section title
(`-Title (-penalty)`), a line that starts with `>` is preformatted, anything else is text; and,
last, the proposed grade `Grade :=>>N` on the activity's VPL_GRADEMIN..VPL_GRADEMAX scale
(VPL takes the last line matching `^Grade :=>>(.*)$`).

Every line of feedback is written as a `>` line, so nothing a student's program printed can
open or close a comment, start a section, or propose a grade."""
from __future__ import annotations

import os
import re

from . import platforms
from ..pipeline.score import Grade

MAX_LINES = 40  # of one check's feedback; VPL shows everything, students read little
MAX_LINE = 300
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _number(x: float) -> str:
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


def scale() -> tuple[float, float]:
    """The activity's grade range from VPL's environment (vpl_environment.sh), else 0..10,
    as VPL's own default_evaluate.sh assumes."""
    try:
        lo = float(os.environ.get("VPL_GRADEMIN") or 0)
        hi = float(os.environ.get("VPL_GRADEMAX") or 10)
    except ValueError:
        lo, hi = 0.0, 10.0
    return (lo, hi) if hi > lo else (0.0, 10.0)


def _one_line(s: str) -> str:
    return " ".join(_CONTROL.sub(" ", s).split())


def _pre(text: str) -> list[str]:
    lines = [_CONTROL.sub("", line.replace("\t", "    "))[:MAX_LINE] for line in text.splitlines()]
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES] + [f"[… {len(lines) - MAX_LINES}]"]
    return [">" + line for line in lines]


def _text(s: str) -> str:
    # A text line of the block must not start with "-" (a title) or ">" (preformatted).
    s = _one_line(s)
    return " " + s if s[:1] in ("-", ">") else s


def grade_value(grade: Grade, lo: float, hi: float) -> float:
    if not grade.max_score:
        return lo
    return lo + (hi - lo) * grade.score / grade.max_score


def render(
    grade: Grade, lo: float | None = None, hi: float | None = None, ipc_private: bool | None = None
) -> str:
    if lo is None or hi is None:
        lo, hi = scale()
    lang = grade.lang
    per_point = (hi - lo) / grade.max_score if grade.max_score else 0.0
    passed, total = platforms.counts(grade)
    out = [
        "<|--",
        "-"
        + _one_line(
            platforms.text(
                lang, "summary", score=grade.score, max=grade.max_score, passed=passed, total=total
            )
        ),
        _text(platforms.mode_line(grade)),
    ]
    if ipc_private is not None and grade.mode == "unsandboxed":
        out.append(_text(platforms.text(lang, "ipc_private" if ipc_private else "ipc_shared")))
    for ex in grade.exercises:
        for note in ex.notes:
            out.append(_text(f"{ex.exercise.id}: {note}"))
    hidden = platforms.text(lang, "hidden")
    for ex in grade.exercises:
        if ex.status != "graded":
            # One section for the exercise: its reason (compiler errors...) once, not per check.
            title = f"{ex.exercise.id} {ex.title}: {platforms.state(grade, ex.status)}"
            out.append(f"-{_one_line(title)} (-{_number(ex.max_score * per_point)})")
            out += _pre(ex.checks[0].feedback if ex.checks else "")
            continue
        for c in ex.checks:
            if c.status == "passed":
                continue
            tag = f" [{hidden}]" if c.visibility == "hidden" else ""
            title = f"{ex.exercise.id}: {c.title}{tag}"
            out.append(f"-{_one_line(title)} (-{_number((c.max_score - c.score) * per_point)})")
            out += _pre(c.feedback)
    ok = [
        (ex, c)
        for ex in grade.exercises
        if ex.status == "graded"
        for c in ex.checks
        if c.status == "passed"
    ]
    if ok:
        out.append("-" + platforms.text(lang, "passed_checks"))
        for ex, c in ok:
            tag = f" [{hidden}]" if c.visibility == "hidden" else ""
            out.append(_text(f"✔ {ex.exercise.id}: {c.title}{tag}  {c.score}/{c.max_score}"))
    out += ["--|>", f"Grade :=>>{_number(grade_value(grade, lo, hi))}"]
    return "\n".join(out) + "\n"
