"""`./ipclab list`: every exercise with its status and a progress bar. Reads only the last
checks (.ipclab/checks.json) and hashes of the student files, so it builds nothing."""
from __future__ import annotations

from .. import i18n
from ..student import progress
from ..student.common import Stop, color, command, exercises, fail

_m = i18n.at_import()
NAME = "list"
HELP = _m("list.help")
ORDER = 10
BAR_WIDTH = 30
MARKS = {
    progress.PASSES: ("✔", "32"),
    progress.FAILS: ("✘", "31"),
    progress.NOT_CHECKED: ("•", "33"),
    progress.NOT_STARTED: ("·", "2"),
}


def register(p) -> None:
    i18n.add_lang(p)


def run(args) -> int:
    m = i18n.messages(args.lang)
    try:
        all_ex = exercises(m)
    except Stop as e:
        return fail(str(e), e.code)
    st = progress.statuses(all_ex)
    paint = (lambda s, c: f"\033[{c}m{s}\033[0m") if color() else (lambda s, c: s)
    width = max(len(e.id) for e in all_ex)
    print(m("list.title"))
    for ex in all_ex:
        mark, code = MARKS[st[ex.id]]
        label = m(f"list.status_{st[ex.id]}")
        entry = progress.last(ex)
        if entry is not None and st[ex.id] == progress.FAILS:
            label += f" ({entry['score']}/{entry['max_score']})"
        label = paint(label.ljust(24), code)
        print(f"  {paint(mark, code)} {ex.id:<{width}}  {label}  {ex.title_in(m.lang)}")
    done = sum(s == progress.PASSES for s in st.values())
    filled = BAR_WIDTH * done // len(all_ex)
    bar = "█" * filled + "░" * (BAR_WIDTH - filled)
    print()
    print(
        m("list.progress", bar=bar, done=done, total=len(all_ex), percent=100 * done // len(all_ex))
    )
    nxt = progress.first_not_passing(all_ex)
    if nxt is None:
        print("→ " + m("check.all_done", total=len(all_ex)))
    else:
        print("→ " + m("list.next", cmd=command("check", nxt.id), id=nxt.id))
    return 0
