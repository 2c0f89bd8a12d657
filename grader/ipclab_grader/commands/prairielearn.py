"""`./ipclab prairielearn -o DIR`: PrairieLearn questions (one per exercise) and their image."""
from __future__ import annotations

from pathlib import Path

from .common import add_lang, package

NAME = "prairielearn"
HELP = (
    "build PrairieLearn questions (one per exercise, externally graded) "
    "and the grading image's Dockerfile"
)
ORDER = 72


def register(p) -> None:
    p.add_argument("-o", "--output", required=True, help="an empty or new folder to write to")
    p.add_argument(
        "--exercise",
        action="append",
        metavar="ID",
        help="a question for this exercise only (repeatable; default all)",
    )
    add_lang(p)
    p.add_argument(
        "--image",
        default="ipclab/grader:latest",
        help="the grading image's name in the questions' info.json (default "
        "ipclab/grader:latest): build DIR/image and push it under this name",
    )
    p.add_argument(
        "--timeout",
        type=int,
        default=120,
        help="seconds PrairieLearn gives one grading job (default 120)",
    )
    p.add_argument(
        "--allow-unsandboxed",
        action="store_true",
        help="if the grading container cannot build the sandbox, grade without it "
        "(the results say so) instead of 'not gradable' with the reason",
    )


def run(args) -> int:
    from ..course import platform_pkg

    def build(exercises, lang):
        platform_pkg.prairielearn(
            Path(args.output), exercises, lang, args.image, args.timeout, args.allow_unsandboxed
        )
        return (
            f"{args.output}: questions/ipclab-NN-name/ for {', '.join(e.id for e in exercises)} "
            f"(copy them into your course's questions/) and image/ (docker build -t {args.image} "
            f'{args.output}/image, then push it); docs/instructor-guide.en.md, "PrairieLearn"'
        )

    return package(args, args.exercise, build, min_timeout=20)
