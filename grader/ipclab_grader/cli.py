"""`./ipclab`: the one command for students, instructors and CI."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import paths


def _lang(arg: str | None) -> str:
    if arg:
        return arg
    from ipclab_harness.plugin import default_lang
    return default_lang()


def _error(msg: str, code: int = 2) -> int:
    print(f"ipclab: {msg}", file=sys.stderr)
    return code


def _load(wanted: list[str] | None):
    from .manifest import by_id, load_all
    exercises = load_all()
    if wanted:
        exercises = [by_id(exercises, w) for w in wanted]
    return exercises


def cmd_grade(args) -> int:
    from ipclab_harness.sandbox import SandboxUnavailable
    from . import report
    from .grade import grade
    from .locate import SubmissionError
    from .manifest import ManifestError
    try:
        exercises = _load(args.exercise)
        result = grade(args.submission, exercises, _lang(args.lang), jobs=args.jobs)
    except (SubmissionError, ManifestError) as e:
        return _error(str(e))
    except SandboxUnavailable as e:
        return _error(f"cannot grade: {e}", 3)
    out_to_tty = args.output is None and sys.stdout.isatty()
    text = report.render(result, args.format, color=out_to_tty and not os.environ.get("NO_COLOR"))
    if args.output:
        tmp = Path(args.output + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, args.output)
    else:
        sys.stdout.write(text)
    return 0


def cmd_check(args) -> int:
    """A student's check: the visible unit tests and process checks of exercises/."""
    from ipclab_harness.sandbox import SandboxUnavailable
    from . import report
    from .grade import grade
    from .locate import SubmissionError
    from .manifest import ManifestError
    try:
        exercises = _load([args.exercise] if args.exercise else None)
        result = grade(str(paths.EXERCISES), exercises, _lang(args.lang), visible_only=True)
    except (SubmissionError, ManifestError) as e:
        return _error(str(e))
    except SandboxUnavailable as e:
        return _error(f"cannot check: {e}", 3)
    sys.stdout.write(report.render(result, "text", color=sys.stdout.isatty()))
    return 0 if result.score == result.max_score else 1


def cmd_hint(args) -> int:
    """Hints are revealed one at a time; the count of seen hints lives in .ipclab/."""
    import json
    from .manifest import ManifestError
    try:
        ex = _load([args.exercise])[0]
    except ManifestError as e:
        return _error(str(e))
    lang = _lang(args.lang)
    state_file = paths.ROOT / ".ipclab" / "hints.json"
    try:
        seen = json.loads(state_file.read_text())
    except (OSError, ValueError):
        seen = {}
    n = min(seen.get(ex.id, 0) + 1, len(ex.hints))
    seen[ex.id] = n
    state_file.parent.mkdir(exist_ok=True)
    state_file.write_text(json.dumps(seen))
    label = "Pista" if lang == "es" else "Hint"
    print(f"{ex.id} — {label} {n}/{len(ex.hints)}:\n{ex.hints[n - 1][lang]}")
    return 0


def cmd_manifest(args) -> int:
    from .manifest import ManifestError, load_all
    try:
        for ex in load_all():
            print(f"{ex.id}  {ex.max_score:3d} pts  {ex.title['en']}")
    except ManifestError as e:
        return _error(str(e), 1)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
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

    g = sub.add_parser("grade", help="grade a submission (a copy of exercises/, or a repo with one)")
    g.add_argument("submission")
    g.add_argument("--format", choices=("text", "json", "gradescope", "junit"), default="text")
    g.add_argument("--lang", choices=("es", "en"), help="feedback language (default: locale)")
    g.add_argument("-o", "--output", help="write the report to this file instead of stdout")
    g.add_argument("--exercise", action="append", metavar="ID",
                   help="grade only this exercise (repeatable): 03, 03-shmat or shmat")
    g.add_argument("-j", "--jobs", type=int, default=2, help="exercises checked at once (default 2)")
    g.set_defaults(func=cmd_grade)

    c = sub.add_parser("check", help="build and run the visible checks of your exercises")
    c.add_argument("exercise", nargs="?", help="one exercise (default: all)")
    c.add_argument("--lang", choices=("es", "en"))
    c.set_defaults(func=cmd_check)

    h = sub.add_parser("hint", help="the next hint of an exercise (one at a time)")
    h.add_argument("exercise")
    h.add_argument("--lang", choices=("es", "en"))
    h.set_defaults(func=cmd_hint)

    m = sub.add_parser("manifest", help="list the exercises from their manifests")
    m.set_defaults(func=cmd_manifest)

    args = parser.parse_args(argv)
    return args.func(args)
