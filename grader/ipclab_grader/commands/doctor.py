"""`./ipclab doctor`: is this machine ready for the lab? Each tool a check needs and the
sandbox, with the exact command that fixes what is missing (apt or dnf, found in
/etc/os-release). Exit 0 when all is well, 1 otherwise."""
from __future__ import annotations

from ..student import diagnose
from .. import i18n
from ..student.common import color

_m = i18n.at_import()
NAME = "doctor"
HELP = _m("doctor.help")
ORDER = 60


def register(p) -> None:
    i18n.add_lang(p)


def run(args) -> int:
    m = i18n.messages(args.lang)
    paint = (lambda s, c: f"\033[{c}m{s}\033[0m") if color() else (lambda s, c: s)
    print(m("doctor.title"), flush=True)
    findings = diagnose.all_findings()
    for f in findings:
        mark = paint("✔", "32") if f.ok else paint("✘", "31")
        detail = m(f.detail_key) if f.detail_key else f.detail
        print(f"  {mark} {m('doctor.check_' + f.name)}: {detail}")
    bad = [f for f in findings if not f.ok]
    print()
    if not bad:
        print(m("doctor.all_good"))
        return 0
    manager = diagnose.package_manager()
    install = diagnose.install_command(bad, manager)
    if install:
        print(m("doctor.install"))
        print("    " + install)
    for f in bad:
        if f.fix_key:
            print()
            print(m(f.fix_key))
            for line in f.fix_cmd.splitlines():
                print("    " + line if line else "")
    print()
    print(m("doctor.then", cmd="./ipclab doctor"))
    return 1
