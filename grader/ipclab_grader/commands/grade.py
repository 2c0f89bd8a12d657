"""`./ipclab grade SUBMISSION`: the instructor's and CI's grade of one submission."""
from __future__ import annotations

import os
import sys

from .. import paths
from .common import add_lang, error, lang, load

NAME = "grade"
HELP = "grade a submission (a copy of exercises/, or a repo with one)"
ORDER = 50


def register(p) -> None:
    p.add_argument("submission")
    from ..reports.report import FORMATS

    p.add_argument("--format", choices=FORMATS, default="text")
    add_lang(p)
    p.add_argument("-o", "--output", help="write the report to this file instead of stdout")
    p.add_argument(
        "--exercise",
        action="append",
        metavar="ID",
        help="grade only this exercise (repeatable): 03, 03-shmat, shmat or " "exercises/03-shmat/",
    )
    p.add_argument(
        "-j", "--jobs", type=int, default=2, help="exercises checked at once (default 2)"
    )
    p.add_argument(
        "--allow-unsandboxed",
        action="store_true",
        help="where no sandbox can be built, grade without one (never chosen "
        "silently: the report's mode says 'unsandboxed'; docs/sandbox.en.md)",
    )
    p.add_argument(
        "--zero-on-failure",
        action="store_true",
        help="when the submission cannot be graded (exit 2) or no sandbox can be "
        "built (exit 3), still write the report: every check 0 with the reason "
        "(what a platform records instead of nothing); the exit status stays",
    )
    p.add_argument(
        "--limit",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a limit of every exercise, e.g. --limit wall=5 "
        "(names: harness/ipclab_harness/limits.py)",
    )


def parse_limits(items: list[str]) -> dict[str, int]:
    """--limit NAME=VALUE pairs, checked like a manifest's [limits]."""
    from ipclab_harness.limits import resolve

    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not value.strip().isdigit():
            raise ValueError(f"--limit {item}: write NAME=VALUE with a whole number, e.g. wall=5")
        out[name.strip()] = int(value)
    resolve(out)  # unknown names and zeros are refused here, with the reason
    return out


def run(args) -> int:
    from ipclab_harness.sandbox import SandboxUnavailable
    from ..reports import report
    from ..pipeline.grade import grade
    from ..pipeline.locate import SubmissionError
    from ..manifest import ManifestError

    try:
        limits = parse_limits(args.limit)
        exercises = load(args.exercise)
        # A student's bundle (./ipclab bundle) has no grader/hidden/: say so, grade what is there.
        visible_only = not paths.HIDDEN.is_dir()
        if visible_only:
            print(
                "ipclab: this copy has no hidden checks (grader/hidden/ is not here): grading "
                "the visible checks only; the course's grade runs them all",
                file=sys.stderr,
            )
        result = grade(
            args.submission,
            exercises,
            lang(args.lang),
            jobs=args.jobs,
            visible_only=visible_only,
            limits=limits,
            allow_fallback=args.allow_unsandboxed,
        )
    except (SubmissionError, ManifestError, ValueError) as e:
        return _failed(args, str(e), 2)
    except SandboxUnavailable as e:
        return _failed(args, f"cannot grade: {e}", 3)
    _write(
        args,
        report.render(
            result,
            args.format,
            color=args.output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR"),
        ),
    )
    return 0


def _failed(args, reason: str, code: int) -> int:
    """One line on stderr; with --zero-on-failure also the report of a zero that says why."""
    if args.zero_on_failure:
        from ..reports import platforms, report
        from ..manifest import ManifestError

        try:
            exercises = load(args.exercise)
        except ManifestError:
            exercises = load(None)
        why = (
            reason
            if code != 3
            else platforms.text(
                lang(args.lang), "no_sandbox", reason=reason.removeprefix("cannot grade: ")
            )
        )
        try:
            _write(
                args,
                report.render(
                    platforms.ungraded(
                        exercises,
                        lang(args.lang),
                        why,
                        args.submission,
                        visible_only=not paths.HIDDEN.is_dir(),
                    ),
                    args.format,
                ),
            )
        except OSError as e:
            return error(f"{reason}; and the zero could not be written: {e}", code)
    return error(reason, code)


def _write(args, text: str) -> None:
    if args.output:
        from ipclab_harness.atomic import write_atomic

        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
