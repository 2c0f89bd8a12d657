"""`./ipclab`: the one command for students, instructors and CI."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Internal entry points used by the build: kept out of argparse so their arguments pass
    # through untouched.
    if argv[:1] == ["sandbox-run"]:
        from ipclab_harness.sandbox import run_command_main
        return run_command_main(argv[1:])
    if argv[:2] == ["manifest", "--cmake"]:
        from .manifest import main_cmake
        return main_cmake()

    parser = argparse.ArgumentParser(prog="ipclab", description="ipclab: System V IPC lab")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("manifest", help="check the exercise manifests")
    args = parser.parse_args(argv)
    if args.command == "manifest":
        from .manifest import ManifestError, load_all
        try:
            for ex in load_all():
                print(f"{ex.id}  {ex.max_score:3d} pts  {ex.title['en']}")
        except ManifestError as e:
            print(f"ipclab: {e}", file=sys.stderr)
            return 1
    return 0
