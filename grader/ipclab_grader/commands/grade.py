"""`./ipclab grade SUBMISSION`: the instructor's and CI's grade of one submission."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from .common import add_lang, error, lang, load

NAME = "grade"
HELP = "grade a submission (a copy of exercises/, or a repo with one)"
ORDER = 50


def register(p) -> None:
    p.add_argument("submission")
    p.add_argument("--format", choices=("text", "json", "gradescope", "junit"), default="text")
    add_lang(p)
    p.add_argument("-o", "--output", help="write the report to this file instead of stdout")
    p.add_argument("--exercise", action="append", metavar="ID",
                   help="grade only this exercise (repeatable): 03, 03-shmat or shmat")
    p.add_argument("-j", "--jobs", type=int, default=2, help="exercises checked at once (default 2)")


def run(args) -> int:
    from ipclab_harness.sandbox import SandboxUnavailable
    from .. import report
    from ..grade import grade
    from ..locate import SubmissionError
    from ..manifest import ManifestError
    try:
        exercises = load(args.exercise)
        result = grade(args.submission, exercises, lang(args.lang), jobs=args.jobs)
    except (SubmissionError, ManifestError) as e:
        return error(str(e))
    except SandboxUnavailable as e:
        return error(f"cannot grade: {e}", 3)
    out_to_tty = args.output is None and sys.stdout.isatty()
    text = report.render(result, args.format, color=out_to_tty and not os.environ.get("NO_COLOR"))
    if args.output:
        tmp = Path(args.output + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, args.output)
    else:
        sys.stdout.write(text)
    return 0
