"""Joining the parts of a class graded on several machines (`batch --shard K/N`) into one
output folder: the parts are checked to be the N parts of one class graded the same way
(plan), then their students' folders and records become one OUT_DIR (join), whose class files
classfiles.py writes as for one machine's batch. `./ipclab merge` (commands/merge.py) is its
command line."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from .batch import STATE_SCHEMA, State, shard_of, student_dir


class Refused(Exception):
    """The parts cannot be merged; the message (in the command's language) says why."""


def _read(m, part: Path) -> dict:
    try:
        data = json.loads((part / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise Refused(m("merge.no_state", part=part)) from None
    if data.get("schema") != STATE_SCHEMA or not isinstance(data.get("part"), dict):
        raise Refused(m("merge.not_a_part", part=part))
    return data


def plan(m, parts: list[Path]) -> tuple[dict, dict[str, Path], dict[str, dict]]:
    """The common settings, and per student the part that graded it and its record. `m`
    gives the messages (i18n.messages)."""
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
            k = shard_of(name, total)
            raise Refused(m("merge.unfinished", name=name, shard=f"{k}/{total}", part=shards[k]))
    return d0["settings"], owner, records


def join(out: Path, settings: dict, owner: dict[str, Path], records: dict[str, dict]) -> State:
    """OUT_DIR's students/ and state.json from the parts (plan's owner and records)."""
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
    return state
