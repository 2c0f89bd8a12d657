"""`./ipclab vpl EXERCISE -o DIR`: the execution files of one Moodle VPL activity."""
from __future__ import annotations

from pathlib import Path

from .common import add_lang, package

NAME = "vpl"
HELP = (
    "build the execution files of a Moodle VPL activity for one exercise "
    "(vpl_evaluate.sh, ipclab.tar.gz)"
)
ORDER = 71


def register(p) -> None:
    p.add_argument("exercise", help="the activity's exercise: 03, 03-shmat or shmat")
    p.add_argument("-o", "--output", required=True, help="an empty or new folder to write to")
    add_lang(p)
    p.add_argument(
        "--require-sandbox",
        action="store_true",
        help="score 0 with the reason where the jail cannot build the sandbox, instead "
        "of grading unsandboxed (VPL's jail usually cannot run bubblewrap)",
    )


def run(args) -> int:
    from ..course import platform_pkg

    def build(exercises, lang):
        (ex,) = exercises
        names = platform_pkg.vpl(Path(args.output), ex, lang, not args.require_sandbox)
        return (
            f"{args.output}: {', '.join(names)}: add them to the execution files of a VPL "
            f"activity whose requested files are {', '.join(ex.files)} (exercise {ex.id}; "
            f'language {lang}, or VPL_LANG\'s; docs/instructor-guide.en.md, "Moodle VPL")'
        )

    return package(args, [args.exercise], build)
