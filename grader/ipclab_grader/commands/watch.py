"""`./ipclab watch [EXERCISE]`: checks the current exercise, then again on every save of its
files, and moves on to the next one when it passes, until all pass or Ctrl-C.

Saves are found by polling (mtime, size, inode) every --interval seconds: Debian's Python has
no inotify module, and a poll of a couple of files costs nothing. A save that leaves the
content as it was (touch, an editor's autosave) is not re-checked."""
from __future__ import annotations

import time

from .. import i18n
from ..student import progress
from ..student.common import Stop, fail, files_of, show_check
from .common import student_exercise

_m = i18n.at_import()
NAME = "watch"
HELP = _m("watch.help")
ORDER = 25


def register(p) -> None:
    p.add_argument("exercise", nargs="?", help=_m("watch.arg_exercise"))
    p.add_argument("--interval", type=float, default=0.1, help=_m("watch.arg_interval"))
    p.add_argument(
        "--max-rounds", type=int, default=0, metavar="N", help=_m("watch.arg_max_rounds")
    )
    i18n.add_lang(p)


def _wait_for_change(ex, checked: str | None, interval: float) -> None:
    """Returns once the files differ from `checked`, the hash taken before the last check
    started, so a save made while it ran is not missed."""
    sig = None
    while True:
        now = progress.signature(ex)
        if now != sig:
            sig = now
            if progress.student_hash(ex) != checked:
                return
        time.sleep(interval)  # a poll period, not a synchronisation


def run(args) -> int:
    m = i18n.messages(args.lang)
    if args.interval <= 0 or args.max_rounds < 0:
        return fail(m("watch.bad_option"))
    try:
        all_ex, ex = student_exercise(m, args.exercise)
        rounds = 0
        while ex is not None:
            checked = progress.student_hash(ex)
            passed = show_check(m, ex, all_ex)
            rounds += 1
            if args.max_rounds and rounds >= args.max_rounds:
                print(m("watch.rounds_done", n=rounds), flush=True)
                return 0 if passed else 1
            if passed:
                nxt = progress.first_not_passing(all_ex, after=ex)
                if nxt is not None:
                    print(m("watch.moving_on", id=ex.id, next=nxt.id), flush=True)
                ex = nxt
                continue
            print(m("watch.waiting", files=files_of(ex)), flush=True)
            _wait_for_change(ex, checked, args.interval)
            print(m("watch.changed"), flush=True)
        print(m("check.all_done", total=len(all_ex)), flush=True)
        return 0
    except Stop as e:
        return fail(str(e), e.code)
    except KeyboardInterrupt:
        print("\n" + m("watch.bye"), flush=True)
        return 0
