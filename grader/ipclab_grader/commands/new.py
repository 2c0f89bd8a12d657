"""`./ipclab new NN-name`: scaffolds a new exercise (docs/authoring.en.md, "Adding an exercise")."""
from __future__ import annotations

import sys

from .common import error

NAME = "new"
HELP = "scaffold a new exercise NN-name: manifest, statements, header, skeleton, solution, tests"
ORDER = 92


def register(p) -> None:
    p.add_argument("id", metavar="NN-name", help="the new exercise's id, e.g. 10-pipes")
    p.add_argument(
        "--track",
        choices=("A", "B"),
        default="B",
        help="A: shared memory; B: the other mechanisms (default B)",
    )


def run(args) -> int:
    from .. import paths
    from ..course import scaffold
    from ..manifest import ManifestError

    try:
        written = scaffold.create(args.id, args.track)
    except (scaffold.ScaffoldError, ManifestError) as e:
        return error(str(e))
    except OSError as e:
        return error(f"{e.filename}: {e.strerror}")
    for path in written:
        print(path.relative_to(paths.ROOT))
    print(
        f"docs/exercises.md regenerated. Now replace every {scaffold.MARK} "
        f"(grep -rn '{scaffold.MARK}' exercises/{args.id} solutions/{args.id}), make the "
        f"example your exercise, add hidden tests in grader/hidden/{args.id}/ if it has any, "
        "regenerate docs/exercises.md (./ipclab manifest --markdown > docs/exercises.md) and "
        'run make test (docs/authoring.en.md, "Adding an exercise").',
        file=sys.stderr,
    )
    return 0
