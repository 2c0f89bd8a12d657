"""The Markdown report of one grade: what GitHub shows in a job summary ($GITHUB_STEP_SUMMARY)
and what a student reads in a pull request. One table per exercise, failed checks' feedback in
collapsible blocks so a long compiler error does not bury the scores."""
from __future__ import annotations

from ipclab_harness.check import Catalog

from ..pipeline.score import Grade

_ICON = {"passed": "✅", "failed": "❌", "timeout": "⏱️", "error": "⚠️"}


def _cell(s: str) -> str:
    # A table cell is one line; a pipe would end it.
    return " ".join(s.split()).replace("|", "\\|")


def render(grade: Grade) -> str:
    ui = Catalog(grade.lang, [])

    def u(key, **kw):
        return ui.text("ui", key, **kw) or key

    passed = sum(c.status == "passed" for e in grade.exercises for c in e.checks)
    total = sum(len(e.checks) for e in grade.exercises)
    out = [
        f"## ipclab: {grade.score}/{grade.max_score} {u('points')}",
        "",
        f"{u('summary', passed=passed, total=total)} · {u('graded_in')} `{grade.mode}`",
        "",
    ]
    for ex in grade.exercises:
        state = {
            "not_submitted": u("not_submitted"),
            "build_failed": u("build_failed"),
            "refused": u("refused"),
        }.get(ex.status)
        out.append(
            f"### {ex.exercise.id} · {_cell(ex.title)} — {ex.score}/{ex.max_score}"
            + (f" ({state})" if state else "")
        )
        out.append("")
        for note in ex.notes:
            out.append(f"> {_cell(note)}")
            out.append("")
        if ex.status != "graded":
            reason = ex.checks[0].feedback if ex.checks else ""
            if reason:
                out += ["```text", reason.replace("```", "'''"), "```", ""]
            continue
        out += ["| | check | points |", "|---|---|---:|"]
        for c in ex.checks:
            tag = f" *({u('hidden')})*" if c.visibility == "hidden" else ""
            out.append(
                f"| {_ICON.get(c.status, '•')} | {_cell(c.title)}{tag} | "
                f"{c.score}/{c.max_score} |"
            )
        out.append("")
        for c in ex.checks:
            if c.status != "passed" and c.feedback:
                out += [
                    f"<details><summary>{_ICON.get(c.status, '•')} {_html(c.title)}</summary>",
                    "",
                    "```text",
                    c.feedback.replace("```", "'''"),
                    "```",
                    "",
                    "</details>",
                    "",
                ]
    return "\n".join(out).rstrip("\n") + "\n"


def _html(s: str) -> str:
    return _cell(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
