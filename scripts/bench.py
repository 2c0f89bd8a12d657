#!/usr/bin/python3
"""Measures and prints (a benchmark, not a test: it asserts nothing):
  1. cold build + grade of the reference solutions (empty build cache),
  2. warm grade of the same files (every build a cache hit),
  3. the sandbox's cost per check: a fresh sandbox running one program, against running
     the same program directly.
Usage: make bench   (or /usr/bin/python3 scripts/bench.py [--runs N])"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "grader"), str(ROOT / "harness")]


def timed(cmd, env):
    t = time.monotonic()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3, help="warm grades and overhead rounds")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ipclab-bench-") as cache:
        os.chmod(cache, 0o755)  # the sandbox's user (nobody) reaches the programs built here
        env = {**os.environ, "IPCLAB_CACHE": cache}
        grade = [str(ROOT / "ipclab"), "grade", str(ROOT / "solutions"), "--format", "json"]
        cold = timed(grade, env)
        warm = [timed(grade, env) for _ in range(args.runs)]
        print(f"cold build + grade of the solutions : {cold:6.2f} s")
        print(f"warm grade of the solutions         : {statistics.median(warm):6.2f} s "
              f"(median of {args.runs}; min {min(warm):.2f}, max {max(warm):.2f})")

        from ipclab_harness.lab import Lab
        bindir = next(Path(cache).glob("builds/*/bin/ftok_key")).parent
        probe = ROOT / "README.md"
        n = 20 * args.runs
        t = time.monotonic()
        for _ in range(n):
            subprocess.run([str(bindir / "ftok_key"), str(probe), "1"], stdout=subprocess.DEVNULL)
        direct = (time.monotonic() - t) / n
        t = time.monotonic()
        for _ in range(n):
            lab = Lab(bindir)
            lab.file("k")
            lab.run("ftok_key", "k", "1").wait()
            lab.close()
        boxed = (time.monotonic() - t) / n
        print(f"one program, run directly           : {direct * 1000:6.1f} ms")
        print(f"one check: new sandbox + program    : {boxed * 1000:6.1f} ms")
        print(f"sandbox overhead per check          : {(boxed - direct) * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
