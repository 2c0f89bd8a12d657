#!/usr/bin/python3
"""Fabricates a class of N submissions (300 by default) for `./ipclab similarity`, then times
it: python3 scripts/similarity-class.py [-n 300] [--keep DIR].

Per student and exercise: an untouched skeleton (a quarter), nothing (a tenth), or one of the
correct solutions the lab has (solutions/, tests/styles/c-style, tests/styles/raii) disguised
with the student's own names and layout (scripts/disguise.py) and with a random sixth to a
third of its lines deleted, so that no two files are equal and many pairs are similar (the
costly case: every similar pair is looked at line by line). A twentieth are .zip, a fortieth
.tar.gz, and two are broken (an empty folder, a bad archive)."""
from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "grader"), str(ROOT / "harness"), str(ROOT / "scripts")]

from disguise import disguise  # noqa: E402
from ipclab_grader.manifest import load_all  # noqa: E402


def variants(ex) -> list[str]:
    found = []
    for base in (ROOT / "solutions", ROOT / "tests/styles/c-style", ROOT / "tests/styles/raii"):
        if all((base / ex.id / f).is_file() for f in ex.files):
            found.append("".join((base / ex.id / f).read_text() for f in ex.files))
    return found


def fabricate(class_dir: Path, n: int, seed: int = 1) -> None:
    rnd = random.Random(seed)
    exercises = load_all()
    bases = {ex.id: variants(ex) for ex in exercises}
    for i in range(n):
        name = f"student{i:03d}"
        d = class_dir / name if i % 20 and i % 40 != 1 else Path(tempfile.mkdtemp()) / name
        d.mkdir(parents=True)
        if i == 7:  # an empty folder
            continue
        for ex in exercises:
            roll = rnd.random()
            if roll < 0.10:
                continue
            (d / ex.id).mkdir()
            if roll < 0.35 or len(ex.files) != 1:
                for f in ex.files:
                    shutil.copy(ex.dir / f, d / ex.id / f)
                continue
            text = disguise(rnd.choice(bases[ex.id]), seed=i)
            cut = rnd.uniform(1 / 6, 1 / 3)
            lines = [
                line for line in text.splitlines() if rnd.random() > cut or line.strip() in "{}"
            ]
            (d / ex.id / ex.files[0]).write_text("\n".join(lines) + "\n")
        if d.parent != class_dir:
            if i % 20 == 0:
                with zipfile.ZipFile(class_dir / f"{name}.zip", "w") as z:
                    for f in sorted(d.rglob("*")):
                        z.write(f, f.relative_to(d.parent))
            else:
                with tarfile.open(class_dir / f"{name}.tar.gz", "w:gz") as t:
                    t.add(d, arcname=name)
            shutil.rmtree(d.parent)
    (class_dir / "broken.zip").write_bytes(b"PK not really")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=300, help="students (default 300)")
    ap.add_argument("--keep", type=Path, help="fabricate the class here and keep it")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ipclab-simclass-"))
    class_dir = args.keep or tmp / "class"
    class_dir.mkdir(parents=True, exist_ok=True)
    try:
        fabricate(class_dir, args.n)
        out = tmp / "similarity.csv"
        t0, c0 = time.monotonic(), _cpu()
        r = subprocess.run(
            [
                "/usr/bin/python3",
                str(ROOT / "ipclab"),
                "similarity",
                str(class_dir),
                "--format",
                "csv",
                "-o",
                str(out),
                "--lang",
                "en",
            ],
            capture_output=True,
            text=True,
        )
        wall, cpu = time.monotonic() - t0, _cpu() - c0
        if r.returncode != 0:
            print(r.stderr, file=sys.stderr)
            return 1
        pairs = sum(
            1 for line in out.read_text(encoding="utf-8-sig").splitlines()[1:] if ",true," in line
        )
        print(
            f"{args.n + 1} submissions: {pairs} similar pairs in {wall:.1f} s "
            f"({cpu:.1f} s of CPU); {r.stderr.strip().splitlines()[-1]}"
        )
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _cpu() -> float:
    import os

    t = os.times()
    return t.children_user + t.children_system


if __name__ == "__main__":
    sys.exit(main())
