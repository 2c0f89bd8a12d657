"""What the student commands share: finding an exercise by what a student types, one-line
errors in the student's language, the check screen with its next step."""
from __future__ import annotations

import os
import sys

from .. import manifest, paths
from . import progress
from ..i18n import Messages
from ..manifest import Exercise, ManifestError, load_all
from .state import read_json

HINTS = "hints.json"


class Stop(Exception):
    """A bad input or a state the student must fix: one line, then exit `code`."""

    def __init__(self, line: str, code: int = 2) -> None:
        super().__init__(line)
        self.code = code


def fail(line: str, code: int = 2) -> int:
    print(f"ipclab: {line}", file=sys.stderr)
    return code


def exercises(m: Messages) -> list[Exercise]:
    try:
        return load_all()
    except ManifestError as e:
        raise Stop(m("common.broken_lab", why=e)) from None


def find(m: Messages, all_ex: list[Exercise], wanted: str) -> Exercise:
    """manifest.find ('03', '3', '03-shmat', 'shmat', 'exercises/03-shmat/'), or Stop with
    the exercises there are, in the student's language."""
    ex = manifest.find(all_ex, wanted)
    if ex is None:
        raise Stop(
            m("common.unknown_exercise", wanted=wanted, known=", ".join(e.id for e in all_ex))
        )
    return ex


def rel(path) -> str:
    """A path as the student would type it from where they are."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def files_of(ex: Exercise) -> str:
    return ", ".join(rel(ex.dir / f) for f in ex.files)


def color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def hints_seen(ex: Exercise) -> int:
    return int(read_json(HINTS).get(ex.id, 0))


def command(name: str, *args: str) -> str:
    """How the student runs ipclab from here (./ipclab in the lab's folder)."""
    exe = rel(paths.ROOT / "ipclab")
    if not exe.startswith((".", "/")):
        exe = "./" + exe
    return " ".join([exe, name, *args])


def next_step(m: Messages, ex: Exercise, grade, all_ex: list[Exercise]) -> list[str]:
    """What to do now, after a check of `ex`."""
    if progress.passed(grade):
        nxt = progress.first_not_passing(all_ex, after=ex)
        if nxt is None:
            return [m("check.all_done", total=len(all_ex))]
        return [
            m(
                "check.passed_next",
                id=ex.id,
                next=nxt.id,
                title=nxt.title_in(m.lang),
                cmd=command("check", nxt.id),
            )
        ]
    lines = []
    if grade.exercises[0].status == "build_failed":
        lines.append(m("check.fix_build", files=files_of(ex)))
    else:
        lines.append(
            m(
                "check.try_again",
                files=files_of(ex),
                cmd=command("check", ex.id),
                watch=command("watch"),
            )
        )
    seen = hints_seen(ex)
    if seen < len(ex.hints):
        lines.append(
            m("check.read_hint", cmd=command("hint", ex.id), n=seen + 1, total=len(ex.hints))
        )
    else:
        lines.append(
            m(
                "check.reread_statement",
                readme=rel(ex.dir / m("common.readme")),
                man=", ".join(ex.man),
            )
        )
    return lines


def show_check(m: Messages, ex: Exercise, all_ex: list[Exercise]) -> bool:
    """Checks `ex` (or answers from the last check) and prints the grader's feedback and the
    next step. Returns whether it passes. Raises Stop when no check can run here."""
    from ipclab_harness.sandbox import SandboxUnavailable
    from ..reports import report
    from ..pipeline.locate import SubmissionError

    print(m("check.running", id=ex.id, title=ex.title_in(m.lang), files=files_of(ex)), flush=True)
    try:
        grade, from_cache = progress.check(ex, m.lang)
    except SandboxUnavailable as e:
        raise Stop(m("common.no_sandbox", why=e, doctor=command("doctor")), 3) from None
    except SubmissionError as e:
        raise Stop(m("common.broken_lab", why=e)) from None
    if from_cache:
        print(m("check.from_cache"))
    sys.stdout.write(report.render(grade, "text", color=color()))
    print()
    for line in next_step(m, ex, grade, all_ex):
        print("→ " + line)
    sys.stdout.flush()
    return progress.passed(grade)
