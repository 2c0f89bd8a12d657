#!/usr/bin/python3
"""The class-grading scenario, end to end, as an instructor would live it:
  1. fabricates a class of submissions (default 40): correct, buggy, non-compiling, untouched,
     empty and hostile ones, as folders, .zip and .tar.gz;
  2. grades them with `./ipclab batch -j 2`, kills the batch halfway (SIGKILL: a crash), starts
     it again and lets it finish;
  3. checks every submission has a row, nothing finished before the kill was graded again, and
     re-running changes nothing; prints the throughput (submissions a minute, builds included:
     the build cache starts empty unless --warm; with --cold-compiler the compiler cache
     too, so the lab's own test programs are compiled as well, as on a machine's first class).
Usage: /usr/bin/python3 scripts/class-demo.py [--students 40] [--jobs 2] [--keep DIR] [--warm]
                                              [--cold-compiler] [--same-code]
Every submission has files of its own (as a real class: no two share a build), unless
--same-code, where the correct ones are identical copies."""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "grader"), str(ROOT / "harness")]

from ipclab_grader.manifest import load_all  # noqa: E402

# Edits of the reference solutions that compile but are wrong: (exercise, old, new).
BUGS = [
    ("01-ftok", "ftok(path.c_str(), proj_id)", "ftok(path.c_str(), proj_id + 1)"),
    ("01-ftok", "if (key == -1) {", "if (false) {"),
    ("02-shmget", "IPC_CREAT | IPC_EXCL | 0600", "IPC_CREAT | 0666"),
    ("02-shmget", "if (shmid == -1) {", "if (shmid == -2) {"),
    ("01-ftok", "return key;", "return key ^ 1;"),
]
BROKEN = ["this is not C++\n", "int main( {\n"]


def solution_tree(exercises, dest: Path) -> None:
    for ex in exercises:
        src = ROOT / "solutions" / ex.id
        if not src.is_dir():
            src = ex.dir
        (dest / ex.id).mkdir(parents=True, exist_ok=True)
        for name in ex.files:
            shutil.copy(src / name, dest / ex.id / name)


def skeleton_tree(exercises, dest: Path) -> None:
    for ex in exercises:
        (dest / ex.id).mkdir(parents=True, exist_ok=True)
        for name in ex.files:
            shutil.copy(ex.dir / name, dest / ex.id / name)


def edit(dest: Path, exercises, ex_id: str, old: str, new: str) -> None:
    ex = next(e for e in exercises if e.id == ex_id)
    f = dest / ex_id / ex.files[0]
    text = f.read_text()
    if old in text:
        f.write_text(text.replace(old, new, 1))
    else:  # the solution moved on: a wrong answer all the same
        f.write_text(text + "\n// edited\n")


def personalize(dest: Path, exercises, name: str) -> None:
    """Makes every student file of a submission its own, as a real student's is: no two
    submissions share a build (the build cache keys files by content)."""
    tag = hashlib.sha256(name.encode()).hexdigest()[:12]
    for ex in exercises:
        for fname in ex.files:
            f = dest / ex.id / fname
            if f.is_file() and not f.is_symlink():
                with f.open("a") as out:
                    out.write(
                        f"\n// {name}\n[[maybe_unused]] static const int ipclab_demo_{tag} = 1;\n"
                    )


def zip_dir(src: Path, archive: Path, prefix: str = "") -> None:
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted(src.rglob("*")):
            if f.is_file():
                z.write(f, prefix + str(f.relative_to(src)))


def tar_dir(src: Path, archive: Path, prefix: str = "") -> None:
    with tarfile.open(archive, "w:gz") as t:
        t.add(src, arcname=prefix or ".")


def fabricate(class_dir: Path, n: int, exercises, same_code: bool = False) -> dict[str, str]:
    """Writes `n` submissions into class_dir; returns name -> kind. Unless `same_code`, every
    submission that is not an untouched skeleton has files of its own."""
    class_dir.mkdir(parents=True, exist_ok=True)
    kinds: dict[str, str] = {}
    scratch = Path(tempfile.mkdtemp(prefix="ipclab-demo-"))
    ids = {e.id for e in exercises}

    def own(d: Path, name: str) -> Path:
        if not same_code:
            personalize(d, exercises, name)
        return d

    def tree(name: str) -> Path:
        d = scratch / name
        solution_tree(exercises, d)
        return own(d, name)

    plan = (
        ["correct"] * 14
        + ["buggy"] * 10
        + ["broken"] * 5
        + ["skeleton"] * 3
        + ["empty"] * 2
        + ["hostile"] * 6
    )
    plan = (plan * (n // len(plan) + 1))[:n] if n > len(plan) else plan[:n]
    counters: dict[str, int] = {}
    for kind in plan:
        i = counters[kind] = counters.get(kind, 0) + 1
        name = f"{kind}-{i:02d}"
        if kind == "correct":
            d = tree(name)
            if i % 3 == 1:
                zip_dir(d, class_dir / f"{name}.zip", prefix=f"{name}/")
            elif i % 3 == 2:
                tar_dir(d, class_dir / f"{name}.tar.gz", prefix=f"{name}/exercises")
            else:
                shutil.copytree(d, class_dir / name)
        elif kind == "buggy":
            d = class_dir / name
            solution_tree(exercises, d)
            bug = BUGS[(i - 1) % len(BUGS)]
            if bug[0] in ids:
                edit(d, exercises, *bug)
            own(d, name)
        elif kind == "broken":
            d = class_dir / name
            solution_tree(exercises, d)
            ex = exercises[(i - 1) % min(2, len(exercises))]
            own(d, name)
            (d / ex.id / ex.files[0]).write_text(BROKEN[(i - 1) % len(BROKEN)])
        elif kind == "skeleton":
            skeleton_tree(exercises, class_dir / name)
        elif kind == "empty":
            d = class_dir / name
            d.mkdir()
            if i % 2 == 0:
                (d / "README.txt").write_text("I did not finish, sorry.\n")
        else:
            name = hostile(class_dir, scratch, i, exercises, own)
        kinds[name] = kind
    shutil.rmtree(scratch, ignore_errors=True)
    return kinds


def hostile(class_dir: Path, scratch: Path, i: int, exercises, own) -> str:
    """Submissions that try to break the grader or the gradebook."""
    which = (i - 1) % 6
    if which == 0:  # climbs out of its folder
        name = f"hostile-{i:02d}-traversal"
        with zipfile.ZipFile(class_dir / f"{name}.zip", "w") as z:
            z.writestr("../../escaped.txt", "gotcha\n")
            z.writestr("01-ftok/ftok_key.cpp", "int x;\n")
    elif which == 1:  # a link to a file of the grader's machine
        name = f"hostile-{i:02d}-symlink"
        with tarfile.open(class_dir / f"{name}.tar.gz", "w:gz") as t:
            info = tarfile.TarInfo(f"{exercises[0].id}/{exercises[0].files[0]}")
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/shadow"
            t.addfile(info)
    elif which == 2:  # never returns
        name = f"hostile-{i:02d}-loop"
        d = class_dir / name
        solution_tree(exercises, d)
        own(d, name)
        if exercises[0].id == "01-ftok":
            edit(d, exercises, "01-ftok", "key_t key = ftok", "for (;;) {}\n    key_t key = ftok")
    elif which == 3:  # a name a spreadsheet would run as a formula
        name = f"=SUM(1,1) hostile-{i:02d}"
        solution_tree(exercises, class_dir / name)
        own(class_dir / name, name)
    elif which == 4:  # not an archive the grader reads
        name = f"hostile-{i:02d}-rar"
        (class_dir / f"{name}.rar").write_bytes(b"Rar!\x1a\x07\x00" + os.urandom(64))
    else:  # a file far too large, and a link instead of a file
        name = f"hostile-{i:02d}-huge"
        d = class_dir / name
        solution_tree(exercises, d)
        own(d, name)
        ex = exercises[0]
        (d / ex.id / ex.files[0]).write_bytes(b"// " + b"x" * (3 << 20) + b"\n")
        if len(exercises) > 1:
            f = d / exercises[1].id / exercises[1].files[0]
            f.unlink()
            f.symlink_to("/etc/passwd")
    if which == 4:
        return f"{name}.rar"
    return name


def batch(class_dir: Path, out: Path, jobs: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(ROOT / "ipclab"),
            "batch",
            str(class_dir),
            "-o",
            str(out),
            "-j",
            str(jobs),
            "--lang",
            "es",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def graded(out: Path) -> dict:
    try:
        return json.loads((out / "state.json").read_text())["students"]
    except (OSError, ValueError, KeyError):
        return {}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=40)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="build the class and results here and keep them")
    ap.add_argument("--warm", action="store_true", help="reuse the usual build cache")
    ap.add_argument(
        "--same-code",
        action="store_true",
        help="the correct submissions are identical copies (they then share builds)",
    )
    ap.add_argument(
        "--cold-compiler",
        action="store_true",
        help="start with an empty compiler cache too (a machine's first class)",
    )
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="ipclab-class-"))
    if base.exists() and args.keep:
        shutil.rmtree(base)
    class_dir, out = base / "class", base / "out"
    exercises = load_all()
    kinds = fabricate(class_dir, args.students, exercises, same_code=args.same_code)
    env = dict(os.environ)
    cache = None
    if not args.warm:
        cache = tempfile.mkdtemp(prefix="ipclab-demo-cache-")
        env["IPCLAB_CACHE"] = cache
        if not args.cold_compiler:
            # Every submission is built; only the lab's own, unchanging test programs come
            # from the machine's compiler cache, as for any class after the first.
            sys.path[:0] = [str(ROOT / "harness")]
            from ipclab_harness.cachedir import cache_base

            env["IPCLAB_CCACHE"] = str(cache_base() / "ccache")
    counts = ", ".join(f"{k} {list(kinds.values()).count(k)}" for k in sorted(set(kinds.values())))
    print(f"class: {len(kinds)} submissions in {class_dir} ({counts})")

    t0 = time.monotonic()
    p = batch(class_dir, out, args.jobs, env)
    half = len(kinds) // 2
    while p.poll() is None and len(graded(out)) < half:
        time.sleep(0.2)
    p.send_signal(signal.SIGKILL)
    p.wait()
    before = graded(out)
    stamps = {
        n: (out / "students" / n / "result.json").stat().st_mtime_ns
        for n, r in before.items()
        if r["status"] == "graded"
    }
    print(
        f"killed the batch (SIGKILL) after {len(before)} of {len(kinds)} results, "
        f"{time.monotonic() - t0:.1f} s"
    )

    p = batch(class_dir, out, args.jobs, env)
    _, err = p.communicate()
    wall = time.monotonic() - t0
    if p.returncode != 0:
        print(f"FAIL: the resumed batch exited {p.returncode}: {err.strip()[-500:]}")
        return 1
    state = graded(out)
    regraded = [
        n
        for n, t in stamps.items()
        if (out / "students" / n / "result.json").stat().st_mtime_ns != t
    ]
    rows = list(
        csv.DictReader(io.StringIO((out / "gradebook.csv").read_text(encoding="utf-8-sig")))
    )
    expected = {n.removesuffix(".rar") if n.endswith(".rar") else n for n in kinds}
    problems = []
    if len(rows) != len(kinds):
        problems.append(f"{len(rows)} gradebook rows for {len(kinds)} submissions")
    if regraded:
        problems.append(f"graded again after the restart: {regraded}")
    if (base / "escaped.txt").exists() or (class_dir.parent / "escaped.txt").exists():
        problems.append("an archive wrote outside its folder")
    gradebook_before = (out / "gradebook.csv").read_bytes()
    summary_before = (out / "summary.md").read_bytes()
    t = time.monotonic()
    again = subprocess.run(
        [
            str(ROOT / "ipclab"),
            "batch",
            str(class_dir),
            "-o",
            str(out),
            "-j",
            str(args.jobs),
            "--lang",
            "es",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    rerun = time.monotonic() - t
    if again.returncode != 0:
        problems.append(f"the re-run exited {again.returncode}: {again.stderr.strip()[-300:]}")
    if (out / "gradebook.csv").read_bytes() != gradebook_before or (
        out / "summary.md"
    ).read_bytes() != summary_before:
        problems.append("a re-run with the same input changed gradebook.csv or summary.md")
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()))
    unknown = sorted(set(r["student"] for r in rows) - expected - {"'" + n for n in expected})
    print(
        f"rows: {len(rows)} ({statuses}); state has {len(state)} students; "
        f"unknown names: {unknown}"
    )
    if args.warm:
        caches = ""
    elif args.cold_compiler:
        caches = " (empty build cache, empty compiler cache)"
    else:
        caches = " (empty build cache, the lab compiled before)"
    files = ", correct ones identical" if args.same_code else ", every submission its own files"
    print(
        f"graded {len(kinds)} submissions in {wall:.1f} s with -j {args.jobs}, builds included"
        f"{caches}{files}, one crash and resume included: "
        f"{60 * len(kinds) / wall:.1f} submissions a minute"
    )
    print(f"a second run over the unchanged class: {rerun:.1f} s (nothing graded again)")
    print(f"results in {out} (gradebook.csv, summary.md, report.html, students/)")
    if cache:
        shutil.rmtree(cache, ignore_errors=True)
    if problems:
        for pr in problems:
            print("FAIL:", pr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
