#!/usr/bin/python3
"""Grades the same submission N times (and, with --parallel K, K at a time) and prints
whether every grade gave the same scores: the "same score every time, alone or beside a
hundred others" promise of the lab's specification (../shared/lab-spec.md, beside the
repository), measured rather than assumed.

    scripts/repeat-grade.py [SUBMISSION] [--runs 20] [--parallel 1] [--exercise ID]...
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def scores(result: dict) -> dict:
    return {
        e["id"]: {c["name"]: (c["score"], c["status"]) for c in e["checks"]}
        for e in result["exercises"]
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("submission", nargs="?", default=str(ROOT / "solutions"))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--parallel", type=int, default=1, help="grades at once (default 1)")
    ap.add_argument("--exercise", action="append", default=[])
    args = ap.parse_args()
    extra = [x for e in args.exercise for x in ("--exercise", e)]

    def one(i: int):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "r.json"
            t0 = time.monotonic()
            r = subprocess.run(
                [
                    str(ROOT / "ipclab"),
                    "grade",
                    args.submission,
                    "--format",
                    "json",
                    "--lang",
                    "en",
                    "-o",
                    str(out),
                    *extra,
                ],
                capture_output=True,
                text=True,
            )
            if r.returncode != 0:
                return i, None, time.monotonic() - t0, r.stderr.strip()
            result = json.loads(out.read_text())
            return i, result, time.monotonic() - t0, ""

    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        runs = list(pool.map(one, range(args.runs)))
    first = next((r for _, r, _, _ in runs if r), None)
    if first is None:
        print("no grade ran:", runs[0][3])
        return 1
    reference = scores(first)
    differ = 0
    for i, result, seconds, err in runs:
        if result is None:
            print(f"run {i + 1:2d}: grading failed: {err}")
            differ += 1
            continue
        same = scores(result) == reference
        differ += not same
        print(
            f"run {i + 1:2d}: {result['score']}/{result['max_score']} in {seconds:5.1f} s"
            f"{'' if same else '  DIFFERENT: ' + json.dumps(diff(reference, scores(result)))}"
        )
    print(
        f"{args.runs} grades, {args.parallel} at a time: "
        f"{'all identical' if not differ else f'{differ} differ from the first'}"
    )
    return 1 if differ else 0


def diff(a: dict, b: dict) -> dict:
    return {
        f"{ex}/{name}": [a.get(ex, {}).get(name), b.get(ex, {}).get(name)]
        for ex in set(a) | set(b)
        for name in set(a.get(ex, {})) | set(b.get(ex, {}))
        if a.get(ex, {}).get(name) != b.get(ex, {}).get(name)
    }


if __name__ == "__main__":
    sys.exit(main())
