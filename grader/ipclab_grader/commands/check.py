"""`./ipclab check [EXERCISE]`: a student's check, visible unit tests and process checks only,
with the grader's feedback and the next step. An unchanged exercise is answered from the last
check (.ipclab/checks.json) without building anything."""
from __future__ import annotations

from .. import i18n
from ..student.common import Stop, fail, show_check
from .common import student_exercise

_m = i18n.at_import()
NAME = "check"
HELP = _m("check.help")
ORDER = 20


def register(p) -> None:
    p.add_argument("exercise", nargs="?", help=_m("check.arg_exercise"))
    i18n.add_lang(p)


def run(args) -> int:
    m = i18n.messages(args.lang)
    try:
        all_ex, ex = student_exercise(m, args.exercise)
        if ex is None:
            print(m("check.all_done", total=len(all_ex)))
            return 0
        return 0 if show_check(m, ex, all_ex) else 1
    except Stop as e:
        return fail(str(e), e.code)
