"""`./ipclab clean [--dry-run] [--yes] [--path P]...`: removes the IPC objects the student's
manual runs left, and nothing else (the rule is in cleaner.py), showing `ipcs` before and
after. Checks never need it: they run in private namespaces."""
from __future__ import annotations

from ..student import cleaner
from .. import i18n
from ..student.common import fail

_m = i18n.at_import()
NAME = "clean"
HELP = _m("clean.help")
ORDER = 45
KIND_WORDS = {"shm": "clean.kind_shm", "sem": "clean.kind_sem", "msg": "clean.kind_msg"}


def register(p) -> None:
    p.add_argument("-n", "--dry-run", action="store_true", help=_m("clean.arg_dry_run"))
    p.add_argument("-y", "--yes", action="store_true", help=_m("clean.arg_yes"))
    p.add_argument("--path", action="append", default=[], metavar="PATH", help=_m("clean.arg_path"))
    i18n.add_lang(p)


def _describe(m, o: cleaner.IpcObject) -> str:
    return m(
        "clean.object",
        kind=m(KIND_WORDS[o.kind]),
        id=o.id,
        key=f"0x{o.key:08x}",
        perms=f"{o.perms & 0o777:04o}",
    )


def run(args) -> int:
    import sys

    m = i18n.messages(args.lang)
    for p in args.path:
        if not cleaner.ftok_keys(p):
            return fail(m("clean.bad_path", path=p))
    print(m("clean.before"))
    print(cleaner.ipcs().rstrip())
    print()
    mine = cleaner.students(cleaner.objects(), cleaner.lab_keys(args.path))
    if not mine:
        print(m("clean.nothing"))
        return 0
    print(m("clean.found", n=len(mine)))
    for o in mine:
        print("  " + _describe(m, o))
    if args.dry_run:
        print(m("clean.dry_run"))
        return 0
    if not args.yes:
        print(m("clean.question"), end=" ", flush=True)
        answer = sys.stdin.readline().strip().lower()
        if answer not in m.raw("reset.yes_words"):
            print(m("clean.kept"))
            return 1
    problems = 0
    for o in mine:
        why = cleaner.remove(o)
        if why:
            problems += 1
            print("  " + m("clean.not_removed", what=_describe(m, o), why=why))
        else:
            print("  " + m("clean.removed", what=_describe(m, o)))
    print()
    print(m("clean.after"))
    print(cleaner.ipcs().rstrip())
    return 1 if problems else 0
