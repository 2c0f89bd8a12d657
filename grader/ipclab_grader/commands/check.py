"""`./ipclab check [EXERCISE]`: a student's check, visible unit tests and process checks only."""
from __future__ import annotations

import sys

from .. import paths
from .common import add_lang, error, lang, load

NAME = "check"
HELP = "build and run the visible checks of your exercises"
ORDER = 20


def register(p) -> None:
    p.add_argument("exercise", nargs="?", help="one exercise (default: all)")
    add_lang(p)


def run(args) -> int:
    from ipclab_harness.sandbox import SandboxUnavailable
    from .. import report
    from ..grade import grade
    from ..locate import SubmissionError
    from ..manifest import ManifestError
    try:
        exercises = load([args.exercise] if args.exercise else None)
        result = grade(str(paths.EXERCISES), exercises, lang(args.lang), visible_only=True)
    except (SubmissionError, ManifestError) as e:
        return error(str(e))
    except SandboxUnavailable as e:
        return error(f"cannot check: {e}", 3)
    sys.stdout.write(report.render(result, "text", color=sys.stdout.isatty()))
    return 0 if result.score == result.max_score else 1
