"""`./ipclab reset EXERCISE [--yes]`: puts the skeleton back in the student's file(s), after
asking. The skeleton is the copy recorded at the first student command (see pristine.py); the
replaced work is kept in .ipclab/backup/ so a wrong answer to the question costs nothing."""
from __future__ import annotations

import sys
import time

from ipclab_harness.atomic import write_atomic

from .. import i18n
from ..student import pristine
from ..student.state import state_dir
from ..student.common import Stop, exercises, fail, find, rel

_m = i18n.at_import()
NAME = "reset"
HELP = _m("reset.help")
ORDER = 40


def register(p) -> None:
    p.add_argument("exercise", help=_m("reset.arg_exercise"))
    p.add_argument("-y", "--yes", action="store_true", help=_m("reset.arg_yes"))
    i18n.add_lang(p)


def _confirm(m, question: str) -> bool:
    print(question, end=" ", flush=True)
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        print()
        return False
    if not sys.stdin.isatty():
        print(answer.strip())  # the transcript shows what was answered
    return answer.strip().lower() in m.raw("reset.yes_words")


def run(args) -> int:
    m = i18n.messages(args.lang)
    try:
        all_ex = exercises(m)
        ex = find(m, all_ex, args.exercise)
    except Stop as e:
        return fail(str(e), e.code)
    pristine.record(all_ex)
    changed = []
    for name in ex.files:
        skel = pristine.skeleton(ex, name)
        if skel is None:
            return fail(m("reset.no_skeleton", file=rel(ex.dir / name)), 1)
        try:
            current = (ex.dir / name).read_bytes()
        except OSError:
            current = None
        if current != skel:
            changed.append((name, skel, current))
    if not changed:
        print(m("reset.already", id=ex.id))
        return 0
    names = ", ".join(rel(ex.dir / n) for n, _, _ in changed)
    if not args.yes and not _confirm(m, m("reset.question", files=names)):
        print(m("reset.kept"))
        return 1
    backup = state_dir() / "backup" / ex.id / time.strftime("%Y%m%d-%H%M%S")
    for name, skel, current in changed:
        if current is not None:
            backup.mkdir(parents=True, exist_ok=True)
            (backup / name).write_bytes(current)
        write_atomic(ex.dir / name, skel)
    print(m("reset.done", files=names))
    if backup.exists():
        print(m("reset.backup", dir=rel(backup)))
    return 0
