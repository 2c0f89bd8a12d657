"""`./ipclab similarity CLASS_DIR`: per exercise, the pairs of students whose own code (the
starter code discounted) is similar beyond a threshold, found with Debian's sim_c++. The same
class folder `batch` takes; `batch` writes the same report into its class files."""
from __future__ import annotations

import sys
from pathlib import Path

from .. import i18n

NAME = "similarity"
ORDER = 62
HELP = i18n.at_import()("similarity.help")
FORMATS = ("text", "json", "csv")


def register(p) -> None:
    from ..course.similarity import THRESHOLD

    m = i18n.at_import()
    p.add_argument("class_dir", metavar="CLASS_DIR", help=m("similarity.arg_class"))
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("-o", "--output", metavar="FILE", help=m("similarity.arg_output"))
    p.add_argument("--exercise", action="append", metavar="ID", help=m("similarity.arg_exercise"))
    p.add_argument(
        "--threshold",
        type=int,
        default=THRESHOLD,
        metavar="PERCENT",
        help=m("similarity.arg_threshold", default=THRESHOLD),
    )
    p.add_argument("--min", type=int, default=None, metavar="PERCENT", help=m("similarity.arg_min"))
    i18n.add_lang(p)


def run(args) -> int:
    from ..course import similarity
    from ipclab_harness.atomic import write_atomic
    from ..manifest import ManifestError
    from ..student.common import fail
    from .common import load

    m = i18n.messages(args.lang)
    class_dir = Path(args.class_dir)
    if not class_dir.is_dir():
        return fail(m("similarity.not_a_folder", path=class_dir))
    if not 1 <= args.threshold <= 100 or (args.min is not None and not 1 <= args.min <= 100):
        return fail(m("similarity.bad_percent"))
    try:
        exercises = load(args.exercise)
        similarity.require_sim()
    except ManifestError as e:
        return fail(str(e))
    except similarity.SimMissing:
        return fail(m("similarity.no_sim"))
    try:
        sources = similarity.read_class(class_dir, exercises)
    except OSError as e:
        return fail(m("similarity.unreadable", path=class_dir, why=e.strerror or e))
    if not sources:
        return fail(m("similarity.empty", path=class_dir))
    report = similarity.analyse(sources, exercises, m.lang, args.threshold, args.min)
    text = {"json": similarity.to_json, "csv": similarity.to_csv}.get(
        args.format, lambda r: similarity.to_text(r, m.lang)
    )(report)
    if args.format != "text" and report.problems:
        for name, why in report.problems:
            print(m("similarity.not_compared", name=name, why=why), file=sys.stderr)
    if args.output:
        try:
            write_atomic(Path(args.output), text, parents=True)
        except OSError as e:
            return fail(m("similarity.cannot_write", path=args.output, why=e.strerror or e))
        print(
            m(
                "similarity.done",
                pairs=len(report.flagged),
                students=report.students,
                path=args.output,
            ),
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
    return 0
