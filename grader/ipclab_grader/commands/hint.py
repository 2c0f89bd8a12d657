"""`./ipclab hint [EXERCISE]`: hints are revealed one at a time; how many a student has seen
lives in .ipclab/hints.json, so the next `hint` shows the next one."""
from __future__ import annotations

from .. import i18n
from ..student.state import read_json, write_json
from ..student.common import HINTS, Stop, command, fail
from .common import student_exercise

_m = i18n.at_import()
NAME = "hint"
HELP = _m("hint.help")
ORDER = 30


def register(p) -> None:
    p.add_argument("exercise", nargs="?", help=_m("hint.arg_exercise"))
    i18n.add_lang(p)


def run(args) -> int:
    m = i18n.messages(args.lang)
    try:
        all_ex, ex = student_exercise(m, args.exercise)
    except Stop as e:
        return fail(str(e), e.code)
    if ex is None:
        print(m("check.all_done", total=len(all_ex)))
        return 0
    seen = read_json(HINTS)
    total = len(ex.hints)
    n = min(int(seen.get(ex.id, 0)) + 1, total)
    seen[ex.id] = n
    write_json(HINTS, seen)
    text = ex.hints[n - 1].get(m.lang) or ex.hints[n - 1]["en"]
    print(m("hint.header", id=ex.id, n=n, total=total))
    print(text)
    print()
    if n < total:
        print("→ " + m("hint.more", cmd=command("hint", ex.id)))
    else:
        print("→ " + m("hint.last", cmd=command("check", ex.id)))
    return 0
