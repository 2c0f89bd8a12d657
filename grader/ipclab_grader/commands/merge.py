"""`./ipclab merge OUT_DIR_1 OUT_DIR_2 ... -o OUT`: the parts of a class graded on several
machines (`batch --shard K/N`) joined into one output folder: the same gradebook.csv,
summary.md, report.html, similarity.csv, state.json and students/ one machine's batch writes.
Refused, with the reason, unless the parts are the N parts of one class graded the same way."""
from __future__ import annotations

import json
import shutil
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


class Refused(Exception):
    pass


def _read(m, part: Path) -> dict:
    from ..course.batch import STATE_SCHEMA
    try:
        data = json.loads((part / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise Refused(m("merge.no_state", part=part)) from None
    if data.get("schema") != STATE_SCHEMA or not isinstance(data.get("part"), dict):
        raise Refused(m("merge.not_a_part", part=part))
    return data


def plan(m, parts: list[Path]) -> tuple[dict, dict[str, Path], dict[str, dict]]:
    """The common settings, and per student the part that graded it and its record."""
    datas = [(p, _read(m, p)) for p in parts]
    first, d0 = datas[0]
    shards: dict[int, Path] = {}
    total = None
    for p, d in datas:
        if d["settings"] != d0["settings"]:
            raise Refused(m("merge.other_settings", part=p, first=first))
        if d["part"].get("class") != d0["part"].get("class"):
            raise Refused(m("merge.other_class", part=p, first=first))
        k, n = (int(x) for x in d["part"]["shard"].split("/"))
        if total not in (None, n):
            raise Refused(m("merge.other_count", part=p, shard=f"{k}/{n}", n=total))
        total = n
        if k in shards:
            raise Refused(m("merge.twice", shard=f"{k}/{n}", a=shards[k], b=p))
        shards[k] = p
    missing = [f"{k}/{total}" for k in range(1, total + 1) if k not in shards]
    if missing:
        raise Refused(m("merge.missing", shards=", ".join(missing)))
    owner: dict[str, Path] = {}
    records: dict[str, dict] = {}
    for p, d in datas:
        for name, rec in d["students"].items():
            owner[name] = p
            records[name] = rec
    for name in d0["part"]["class"]:
        if name not in records:
            from ..course.batch import shard_of
            k = shard_of(name, total)
            raise Refused(m("merge.unfinished", name=name, shard=f"{k}/{total}", part=shards[k]))
    return d0["settings"], owner, records


def run(args) -> int:
    from ..course.batch import State, settings_for, student_dir
    from ..manifest import ManifestError
    from ..student.common import fail
    from .batch import write_class_files
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
    out.mkdir(parents=True, exist_ok=True)
    state = State(out, settings)
    state.students = {}
    for name in sorted(owner):
        src, dest = student_dir(owner[name], name), student_dir(out, name)
        if dest.exists():
            shutil.rmtree(dest)
        if src.is_dir():
            shutil.copytree(src, dest)
        state.students[name] = records[name]
    state.save()
    write_class_files(out, exercises, settings["lang"], state, list(owner))
    errors = sum(1 for r in records.values() if r.get("status") == "error")
    print(m("merge.done", parts=len(parts), students=len(owner), errors=errors,
            out=out / "gradebook.csv"), file=sys.stderr)
    return 0
