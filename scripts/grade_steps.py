#!/usr/bin/python3
"""Where one grade's time goes: the steps of pipeline/grade.py run one after the other on a
submission, each with the CPU seconds it used (its own and its children's: every process
that starts sandboxes waits for them) and its wall-clock seconds, then the slowest unit-test
groups and process checks. A benchmark, not a test: it asserts nothing.

Usage: /usr/bin/python3 scripts/grade_steps.py SUBMISSION [--json]
(make bench runs it on a distinct submission of its class, the lab already built)."""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "grader"), str(ROOT / "harness")]

from ipclab_grader.manifest import load_all  # noqa: E402
from ipclab_grader.pipeline import locate, run, stage  # noqa: E402
from ipclab_grader.pipeline.builder.step import build_all  # noqa: E402


def cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def steps(submission: str) -> dict:
    """{"steps": [[name, cpu, wall], ...], "slowest_units": [...], "slowest_checks": [...]}"""
    exercises = load_all()
    out: list[list] = []
    work = Path(tempfile.mkdtemp(prefix="ipclab-steps-"))
    work.chmod(0o711)  # the build runs as nobody: it may pass through

    def timed(name, fn):
        c, t = cpu(), time.monotonic()
        value = fn()
        out.append([name, round(cpu() - c, 3), round(time.monotonic() - t, 3)])
        return value

    try:
        root = timed("locate", lambda: locate.locate(submission, exercises))
        staged = timed("stage", lambda: stage.stage(root, exercises, work / "stage"))
        built = timed("build", lambda: build_all(staged, work, jobs=1))
        ready = [st for st in staged if st.exercise.id in built and built[st.exercise.id].ok]
        units = timed(
            "unit tests",
            lambda: [
                r
                for st in ready
                for r in run.run_unit_tests(st.exercise, built[st.exercise.id].dir)
            ],
        )
        checks = timed(
            "process checks",
            lambda: run.run_process_checks(
                [(st.exercise, built[st.exercise.id].dir) for st in ready], "en"
            ),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    flat = [(r.seconds, f"{ex_id} {r.id}") for ex_id, rs in checks.items() for r in rs]
    return {
        "steps": out,
        "slowest_units": [
            [round(r.seconds, 3), r.id] for r in sorted(units, key=lambda r: -r.seconds)[:3]
        ],
        "slowest_checks": [[round(s, 3), name] for s, name in sorted(flat, reverse=True)[:3]],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("submission")
    ap.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    args = ap.parse_args()
    if not Path(args.submission).exists():
        print(f"grade_steps: {args.submission}: no such file or folder", file=sys.stderr)
        return 2
    found = steps(args.submission)
    if args.json:
        print(json.dumps(found))
        return 0
    for name, c, w in found["steps"]:
        print(f"{name:<16} {c:6.2f} CPU-s  {w:6.2f} s")
    print(f"{'total':<16} {sum(s[1] for s in found['steps']):6.2f} CPU-s")
    for what in ("slowest_units", "slowest_checks"):
        print(what.replace("_", " ") + ": " + ", ".join(f"{n} {s:.2f} s" for s, n in found[what]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
