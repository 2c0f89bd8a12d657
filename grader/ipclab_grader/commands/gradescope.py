"""`./ipclab gradescope -o autograder.zip`: the autograder to upload to Gradescope."""
from __future__ import annotations

from pathlib import Path

from .common import add_lang, error, package

NAME = "gradescope"
HELP = "build the Gradescope autograder zip (setup.sh, run_autograder, the grader)"
ORDER = 70


def register(p) -> None:
    p.add_argument(
        "-o",
        "--output",
        default="autograder.zip",
        help="the zip to write (default " "autograder.zip)",
    )
    p.add_argument(
        "--exercise",
        action="append",
        metavar="ID",
        help="grade only this exercise in this assignment (repeatable; default all)",
    )
    add_lang(p)
    p.add_argument(
        "--allow-unsandboxed",
        action="store_true",
        help="if Gradescope's container cannot build the sandbox, grade without it "
        "(each report's mode then says 'unsandboxed'; docs/sandbox.en.md)",
    )
    p.add_argument(
        "--timeout",
        type=int,
        default=540,
        help="seconds a grade may take on Gradescope (default 540; Gradescope stops "
        "everything at its own limit, 600 by default)",
    )


def run(args) -> int:
    from ..course import gradescope_pkg

    out = Path(args.output)
    if not out.name.endswith(".zip"):
        return error(f"{out}: the autograder must be a .zip file; give a name ending in .zip")
    if not out.parent.is_dir():
        return error(f"{out.parent}: no such folder; create it or give another -o")

    def build(exercises, lang):
        n = gradescope_pkg.build(
            out, exercises, lang, args.timeout, allow_unsandboxed=args.allow_unsandboxed
        )
        return (
            f"{out}: {n} files; upload it as the autograder of a Gradescope programming "
            f"assignment (exercises: {', '.join(e.id for e in exercises)}; language: {lang})"
        )

    # Unlike the folder packages, an error writing the zip has always surfaced whole.
    return package(args, args.exercise, build, min_timeout=10, errors=())
