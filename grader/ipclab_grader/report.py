"""Step 7 of a grade: the reports. Text for people, JSON (ipclab-result/1) for tools,
Gradescope's results.json, and JUnit XML for any CI."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from ipclab_harness.check import Catalog

from .score import Grade

FORMATS = ("text", "json", "gradescope", "junit", "markdown", "classroom")


def render(grade: Grade, fmt: str, color: bool = False) -> str:
    return {"text": lambda: text(grade, color), "json": lambda: to_json(grade),
            "gradescope": lambda: gradescope(grade), "junit": lambda: junit(grade),
            # Renderers of their own modules (batch/CI issue): GitHub job summary, Classroom.
            "markdown": lambda: _markdown(grade), "classroom": lambda: _classroom(grade)}[fmt]()


def _markdown(grade: Grade) -> str:
    from . import report_markdown
    return report_markdown.render(grade)


def _classroom(grade: Grade) -> str:
    from . import report_classroom
    return report_classroom.render(grade)


def to_json(grade: Grade) -> str:
    return json.dumps(grade.to_json(), ensure_ascii=False, indent=2) + "\n"


def text(grade: Grade, color: bool = False) -> str:
    ui = Catalog(grade.lang, [])

    def u(key, **kw):
        return ui.text("ui", key, **kw) or key

    def paint(s, code):
        return f"\033[{code}m{s}\033[0m" if color else s

    out = []
    for ex in grade.exercises:
        state = {"not_submitted": u("not_submitted"), "build_failed": u("build_failed"),
                 "refused": u("refused"), "error": u("grader_error")}.get(ex.status)
        head = f"{ex.exercise.id}  {ex.title}"
        score = f"{ex.score}/{ex.max_score}"
        colour = "32" if ex.score == ex.max_score and ex.max_score else ("31" if ex.score == 0 else "33")
        out.append(paint(f"{head}  {score}" + (f"  ({state})" if state else ""), "1;" + colour))
        for note in ex.notes:
            out.append(f"  ! {note}")
        if ex.status != "graded":
            reason = ex.checks[0].feedback if ex.checks else ""
            out += ["    " + line for line in reason.splitlines()]
            out.append("")
            continue
        for c in ex.checks:
            mark = paint("✔", "32") if c.status == "passed" else paint("✘", "31")
            tag = f" [{u('hidden')}]" if c.visibility == "hidden" else ""
            status = "" if c.status in ("passed", "failed") else f" ({c.status})"
            out.append(f"  {mark} {c.title}{tag}{status}  {c.score}/{c.max_score}")
            if c.status != "passed" and c.feedback:
                out += ["      " + line for line in c.feedback.splitlines()]
        out.append("")
    passed = sum(c.status == "passed" for e in grade.exercises for c in e.checks)
    total = sum(len(e.checks) for e in grade.exercises)
    out.append(paint(f"{u('total')}: {grade.score}/{grade.max_score} {u('points')}", "1"))
    out.append(u("summary", passed=passed, total=total) + f" · {u('graded_in')} {grade.mode}")
    if grade.mode != "bwrap":
        out.append(u("unsandboxed_warning"))
    return "\n".join(out) + "\n"


def gradescope(grade: Grade) -> str:
    tests = []
    for ex in grade.exercises:
        for c in ex.checks:
            tests.append({
                "name": f"{ex.exercise.id}: {c.title}",
                "number": f"{ex.exercise.number}.{len([t for t in tests if t['name'].startswith(ex.exercise.id)]) + 1}",
                "score": c.score, "max_score": c.max_score,
                "status": "passed" if c.status == "passed" else "failed",
                "output": c.feedback, "output_format": "text",
                "tags": [ex.exercise.id],
                # Hidden checks stay hidden until the due date, then students learn from them.
                "visibility": "after_due_date" if c.visibility == "hidden" else "visible",
            })
    return json.dumps({"score": grade.score, "output": f"ipclab ({grade.mode})",
                       "output_format": "text", "visibility": "visible",
                       "stdout_visibility": "hidden", "tests": tests},
                      ensure_ascii=False, indent=2) + "\n"


def junit(grade: Grade) -> str:
    suites = ET.Element("testsuites", name="ipclab", tests=str(sum(len(e.checks) for e in grade.exercises)))
    for ex in grade.exercises:
        failures = sum(c.status == "failed" for c in ex.checks)
        errors = sum(c.status in ("error", "timeout") for c in ex.checks)
        s = ET.SubElement(suites, "testsuite", name=ex.exercise.id, tests=str(len(ex.checks)),
                          failures=str(failures), errors=str(errors), skipped="0")
        for c in ex.checks:
            case = ET.SubElement(s, "testcase", classname=ex.exercise.id, name=c.name, time="0")
            ET.SubElement(case, "properties")
            prop = case.find("properties")
            ET.SubElement(prop, "property", name="score", value=f"{c.score}/{c.max_score}")
            ET.SubElement(prop, "property", name="visibility", value=c.visibility)
            if c.status == "failed":
                f = ET.SubElement(case, "failure", message=c.title, type="failed")
                f.text = c.feedback
            elif c.status in ("error", "timeout"):
                f = ET.SubElement(case, "error", message=c.title, type=c.status)
                f.text = c.feedback
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
