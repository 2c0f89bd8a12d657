"""A grade's reports, once the pipeline is done (pipeline/__init__.py). Text for people,
JSON (ipclab-result/2) for tools, Gradescope's results.json, JUnit XML for any CI (valid
against Jenkins' junit-10.xsd), and the platforms' own formats in their modules of reports/:
Markdown, GitHub Classroom, Moodle VPL, PrairieLearn, Autolab."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from ipclab_harness.check import Catalog

from ..pipeline.score import Grade

FORMATS = (
    "text",
    "json",
    "gradescope",
    "junit",
    "markdown",
    "classroom",
    "vpl",
    "prairielearn",
    "autolab",
)


def render(grade: Grade, fmt: str, color: bool = False) -> str:
    return {
        "text": lambda: text(grade, color),
        "json": lambda: to_json(grade),
        "gradescope": lambda: gradescope(grade),
        "junit": lambda: junit(grade),
        # Renderers of their own modules (batch/CI issue): GitHub job summary, Classroom.
        "markdown": lambda: _markdown(grade),
        "classroom": lambda: _classroom(grade),
        "vpl": lambda: _module("vpl").render(grade),
        "prairielearn": lambda: _module("prairielearn").render(grade),
        "autolab": lambda: _module("autolab").render(grade),
    }[fmt]()


def _module(name: str):
    import importlib

    return importlib.import_module(f"{__package__}.{name}")


def _markdown(grade: Grade) -> str:
    from . import markdown

    return markdown.render(grade)


def _classroom(grade: Grade) -> str:
    from . import classroom

    return classroom.render(grade)


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
        state = {
            "not_submitted": u("not_submitted"),
            "build_failed": u("build_failed"),
            "refused": u("refused"),
            "error": u("grader_error"),
        }.get(ex.status)
        head = f"{ex.exercise.id}  {ex.title}"
        score = f"{ex.score}/{ex.max_score}"
        colour = (
            "32" if ex.score == ex.max_score and ex.max_score else ("31" if ex.score == 0 else "33")
        )
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
        for i, c in enumerate(ex.checks, 1):
            tests.append(
                {
                    "name": f"{ex.exercise.id}: {c.title}",
                    "number": f"{ex.exercise.number}.{i}",
                    "score": c.score,
                    "max_score": c.max_score,
                    "status": "passed" if c.status == "passed" else "failed",
                    "output": c.feedback,
                    "output_format": "text",
                    "tags": [ex.exercise.id],
                    # Hidden checks stay hidden until the due date, then students learn from them.
                    "visibility": "after_due_date" if c.visibility == "hidden" else "visible",
                }
            )
    return (
        json.dumps(
            {
                "score": grade.score,
                "output": gradescope_output(grade),
                "output_format": "md",
                "visibility": "visible",
                "stdout_visibility": "hidden",
                "tests": tests,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )


def gradescope_output(grade: Grade) -> str:
    """The top of a Gradescope result, in Markdown: the total, the mode, and the notes the
    text report prints (not submitted, does not compile, a file not UTF-8, no sandbox)."""
    from . import platforms

    passed, total = platforms.counts(grade)
    out = [
        "**ipclab** · "
        + platforms.text(
            grade.lang,
            "summary",
            score=grade.score,
            max=grade.max_score,
            passed=passed,
            total=total,
        ),
        "",
        platforms.mode_line(grade),
    ]
    lines = []
    for ex in grade.exercises:
        state = platforms.state(grade, ex.status)
        if state:
            lines.append(
                f"- **{ex.exercise.id}** {_md(ex.title)}: {ex.score}/{ex.max_score} " f"({state})"
            )
        for note in ex.notes:
            lines.append(f"- **{ex.exercise.id}**: {_md(note)}")
    if lines:
        out += ["", f"**{platforms.text(grade.lang, 'notes')}**", "", *lines]
    return "\n".join(out) + "\n"


def _md(s: str) -> str:
    s = " ".join(s.split())
    for ch in "\\`*_[]<>|":
        s = s.replace(ch, "\\" + ch)
    return s


def junit(grade: Grade) -> str:
    """JUnit XML valid against Jenkins' xUnit plugin schema (junit-10.xsd, copy in
    tests/vendor/): a testcase holds only its failure or error, so each check's points and
    visibility are properties of its exercise's testsuite (`NAME.score`, `NAME.visibility`)."""
    suites = ET.Element(
        "testsuites",
        name="ipclab",
        tests=str(sum(len(e.checks) for e in grade.exercises)),
        failures=str(sum(c.status == "failed" for e in grade.exercises for c in e.checks)),
        errors=str(
            sum(c.status in ("error", "timeout") for e in grade.exercises for c in e.checks)
        ),
    )
    for ex in grade.exercises:
        failures = sum(c.status == "failed" for c in ex.checks)
        errors = sum(c.status in ("error", "timeout") for c in ex.checks)
        s = ET.SubElement(
            suites,
            "testsuite",
            name=ex.exercise.id,
            tests=str(len(ex.checks)),
            failures=str(failures),
            errors=str(errors),
            skipped="0",
        )
        props = ET.SubElement(s, "properties")
        ET.SubElement(props, "property", name="score", value=f"{ex.score}/{ex.max_score}")
        ET.SubElement(props, "property", name="status", value=ex.status)
        ET.SubElement(props, "property", name="mode", value=grade.mode)
        for c in ex.checks:
            ET.SubElement(
                props, "property", name=f"{c.name}.score", value=f"{c.score}/{c.max_score}"
            )
            ET.SubElement(props, "property", name=f"{c.name}.visibility", value=c.visibility)
        for c in ex.checks:
            case = ET.SubElement(s, "testcase", classname=ex.exercise.id, name=c.name, time="0")
            if c.status == "failed":
                f = ET.SubElement(case, "failure", message=c.title, type="failed")
                f.text = _xml_text(c.feedback)
            elif c.status in ("error", "timeout"):
                f = ET.SubElement(case, "error", message=c.title, type=c.status)
                f.text = _xml_text(c.feedback)
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def _xml_text(s: str) -> str:
    # XML 1.0 has no control characters but tab and newline: a program's stray byte would
    # make the whole report unreadable.
    return "".join(ch if ch in "\t\n\r" or ord(ch) >= 0x20 else "\ufffd" for ch in s)
