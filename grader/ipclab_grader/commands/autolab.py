"""`./ipclab autolab -o DIR`: autograde-Makefile and autograde.tar for an Autolab assessment."""
from __future__ import annotations

from pathlib import Path

from .common import add_lang, package

NAME = "autolab"
HELP = (
    "build an Autolab assessment's autograde-Makefile and autograde.tar (one problem per exercise)"
)
ORDER = 73


def register(p) -> None:
    p.add_argument("-o", "--output", required=True, help="an empty or new folder to write to")
    p.add_argument(
        "--exercise",
        action="append",
        metavar="ID",
        help="grade only this exercise in this assessment (repeatable; default all)",
    )
    add_lang(p)
    p.add_argument(
        "--timeout",
        type=int,
        default=540,
        help="seconds the grade may take (default 540); set the assessment's "
        "autograding timeout above it",
    )
    p.add_argument(
        "--allow-unsandboxed",
        action="store_true",
        help="if Autolab's autograding image cannot build the sandbox, grade without "
        "it (the report says so) instead of 0 with the reason",
    )


def run(args) -> int:
    from ..course import platform_pkg

    def build(exercises, lang):
        platform_pkg.autolab(
            Path(args.output), exercises, lang, args.timeout, args.allow_unsandboxed
        )
        return (
            f"{args.output}: autograde-Makefile and autograde.tar; the assessment's problems "
            f"are {', '.join(e.id for e in exercises)} (max score: each exercise's points) and "
            'its handin file handin.tar or handin.zip; docs/instructor-guide.en.md, "Autolab"'
        )

    return package(args, args.exercise, build, min_timeout=10)
