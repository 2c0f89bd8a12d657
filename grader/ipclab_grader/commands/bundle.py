"""`./ipclab bundle -o DIR|FILE.tar.gz`: what students receive, without solutions or hidden
checks: the template repository of a course (GitHub Classroom) or an archive to hand out."""
from __future__ import annotations

import sys
from pathlib import Path

from .common import error

NAME = "bundle"
HELP = "build the student repository (no solutions, no hidden checks) as a folder or .tar.gz"
ORDER = 75


def register(p) -> None:
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="DIR|FILE.tar.gz",
        help="a new folder, or an archive if the name ends in .tar.gz",
    )


def run(args) -> int:
    from ..course import bundle

    out = Path(args.output)
    files = bundle.student_files()
    try:
        bundle.check_no_leak(files)
    except bundle.LeakError as e:
        return error(str(e))
    archive = out.name.endswith((".tar.gz", ".tgz"))
    if archive and not out.parent.is_dir():
        return error(f"{out.parent}: no such folder; create it or give another -o")
    try:
        if archive:
            top = out.name.removesuffix(".tar.gz").removesuffix(".tgz")
            bundle.write_tar(files, out, top)
        else:
            bundle.write_tree(files, out)
    except FileExistsError as e:
        return error(str(e))
    except OSError as e:
        return error(f"{out}: {e.strerror}; give a folder you can write")
    print(
        f"{out}: {len(files)} files for students (no solutions/, no hidden checks); "
        "the workflow for GitHub Classroom is .github/workflows/classroom.yml",
        file=sys.stderr,
    )
    return 0
