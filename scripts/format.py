#!/usr/bin/python3
"""The layout of the code, kept by the formatters people use: black and flake8 for Python
(pyproject.toml, .flake8), clang-format for C++ (.clang-format), 100 columns everywhere.

  make format                       apply black and clang-format to the files listed here
  /usr/bin/python3 scripts/format.py --check   what tests/test_format.py runs: exit 1 and the
                                    files that differ, or flake8's findings

This file is the one list of what they cover. Left out on purpose: tests/styles/ (each style
is the point of its files), tests/hostile/ (written as a student might hand it in) and
tests/vendor/ (other projects' files, as they ship them)."""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ["grader/*.py", "harness/*.py", "scripts/*.py", "tests/*.py"]
CPP = [
    f"{tree}/*.{ext}"
    for tree in ("lab", "harness", "exercises", "solutions", "grader/hidden")
    for ext in ("cpp", "hpp")
]
NOT_OURS = ("tests/styles/", "tests/hostile/", "tests/vendor/")
TOOLS = ("black", "flake8", "clang-format")


def tracked(patterns: list[str]) -> list[str]:
    """The repository's files that match `patterns` (git's pathspecs), but for NOT_OURS."""
    out = subprocess.run(
        ["git", "ls-files", "--", *patterns], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [f for f in out if not f.startswith(NOT_OURS) and (ROOT / f).is_file()]


def python_files() -> list[str]:
    return tracked(PYTHON)


def cpp_files() -> list[str]:
    return tracked(CPP)


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def check() -> list[str]:
    """What each formatter finds, one entry per formatter that is not satisfied."""
    problems = []
    r = subprocess.run(
        ["black", "--check", "--quiet", *python_files()], cwd=ROOT, capture_output=True, text=True
    )
    if r.returncode != 0:
        problems.append("black would reformat:\n" + r.stderr)
    r = subprocess.run(["flake8", *python_files()], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        problems.append("flake8:\n" + r.stdout)
    r = subprocess.run(
        ["clang-format", "--dry-run", "-Werror", *cpp_files()],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        changed = sorted(
            {
                line.split(":")[0]
                for line in r.stderr.splitlines()
                if ": error: code should be clang-formatted" in line
            }
        )
        problems.append("clang-format would change:\n" + "\n".join(changed or [r.stderr]))
    return problems


def apply() -> None:
    subprocess.run(["black", "--quiet", *python_files()], cwd=ROOT, check=True)
    subprocess.run(["clang-format", "-i", *cpp_files()], cwd=ROOT, check=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 on a finding")
    args = ap.parse_args()
    missing = missing_tools()
    if missing:
        print(f"format: {', '.join(missing)} not installed: run `make setup-test`", file=sys.stderr)
        return 2
    if not args.check:
        apply()
    problems = check()
    for p in problems:
        print(p.rstrip(), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
