"""`./ipclab merge OUT_DIR_1 OUT_DIR_2 ... -o OUT`: the parts of a class graded on several
machines (`batch --shard K/N`) joined into one output folder: the same gradebook.csv,
summary.md, report.html, similarity.csv, state.json and students/ one machine's batch writes.
Refused, with the reason, unless the parts are the N parts of one class graded the same way
(course/merge.py decides; this is its command line)."""
from __future__ import annotations

import sys
from pathlib import Path

from .. import i18n

NAME = "merge"
ORDER = 61
HELP = i18n.at_import()("merge.help")


def register(p) -> None:
    m = i18n.at_import()
    p.add_argument("parts", nargs="+", metavar="OUT_DIR", help=m("merge.arg_parts"))
    p.add_argument("-o", "--output", required=True, metavar="OUT", help=m("merge.arg_output"))
    i18n.add_lang(p)


def run(args) -> int:
    from ..course.batch import settings_for
    from ..course.classfiles import write_class_files
    from ..course.merge import Refused, join, plan
    from ..manifest import ManifestError
    from ..student.common import fail
    from .common import load

    m = i18n.messages(args.lang)
    parts = [Path(p) for p in args.parts]
    out = Path(args.output)
    for p in parts:
        if not p.is_dir():
            return fail(m("merge.not_a_folder", part=p))
        if out.resolve() == p.resolve():
            return fail(m("merge.out_is_part", out=out))
    if out.exists() and not out.is_dir():
        return fail(m("merge.out_not_folder", out=out))
    try:
        settings, owner, records = plan(m, parts)
        exercises = load(settings["exercises"])
    except Refused as e:
        return fail(str(e))
    except ManifestError as e:
        return fail(str(e))
    if settings_for(exercises, settings["lang"], tuple(settings.get("limits", ()))) != settings:
        return fail(m("merge.other_lab"))
    state = join(out, settings, owner, records)
    write_class_files(out, exercises, settings["lang"], state, list(owner))
    errors = sum(1 for r in records.values() if r.get("status") == "error")
    print(
        m(
            "merge.done",
            parts=len(parts),
            students=len(owner),
            errors=errors,
            out=out / "gradebook.csv",
        ),
        file=sys.stderr,
    )
    return 0
