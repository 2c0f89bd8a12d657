"""`./ipclab`: the one command for students, instructors and CI. Each subcommand is a module
in commands/ (see commands/__init__.py); this file only finds and dispatches them."""
from __future__ import annotations

import argparse
import os
import importlib
import pkgutil
import sys

from . import commands


def _command_modules():
    mods = []
    for info in pkgutil.iter_modules(commands.__path__):
        mod = importlib.import_module(f"{commands.__name__}.{info.name}")
        if hasattr(mod, "NAME") and hasattr(mod, "run"):
            mods.append(mod)
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 50), m.NAME))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if os.environ.get("IPCLAB_CACHE"):
        # A relative cache means the same folder to the process checks, which run elsewhere.
        os.environ["IPCLAB_CACHE"] = os.path.abspath(os.environ["IPCLAB_CACHE"])
    # Entry points used by the build: kept out of argparse so their arguments pass untouched.
    if argv[:1] == ["sandbox-run"]:
        from ipclab_harness.sandbox import run_command_main

        return run_command_main(argv[1:])
    if argv[:2] == ["manifest", "--cmake"]:
        from .manifest import main_cmake

        return main_cmake()
    if argv[:2] == ["manifest", "--markdown"]:
        from .manifest import load_all, markdown_index

        sys.stdout.write(markdown_index(load_all()))
        return 0

    parser = argparse.ArgumentParser(prog="ipclab", description="ipclab: a System V IPC lab")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for mod in _command_modules():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.register(p)
        p.set_defaults(func=mod.run)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("ipclab: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `./ipclab list | head`: the reader left; nothing more to say, and no traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
