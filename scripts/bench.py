#!/usr/bin/python3
"""What grading costs on this machine, every figure beside its target and beside the floor
measured in the same run (a benchmark, not a test: it asserts nothing).

  floor        the bare compile of the class's student files: g++ alone, with the grader's
               flags and precompiled header, as many at once as there are CPUs
  class        `./ipclab batch` (its default concurrency) over a class of distinct correct
               submissions (scripts/classgen.py: no two students share a file), builds
               included, after the lab itself was built once
  first class  the same on a machine that never graded: empty build cache and compiler cache
  check        `./ipclab check EX` after an edit of the exercise's file, and with nothing
               changed, in a copy of the lab holding the solutions (the slowest exercise is
               the figure); `watch`: from a save to the end of the check it triggers
  sandbox      the cost of one check's fresh sandbox
  one grade    where one distinct submission's grade goes, step by step (build, unit tests,
               process checks: scripts/grade_steps.py), with its slowest groups and checks

Timings are wall-clock: on a machine others use too they are noisy, which is why the floor is
measured in the same run and the ratio is printed. The load average is printed with them.
Usage: make bench   (or /usr/bin/python3 scripts/bench.py [--students N] [--quick])"""
from __future__ import annotations

import argparse
import json
import os
import resource
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "grader"), str(ROOT / "harness"), str(ROOT / "scripts")]

import classgen  # noqa: E402

TARGETS = {"class": 40, "ratio": 2.0, "first": 30, "edit": 1.5, "unchanged": 0.5}
IPCLAB = str(ROOT / "ipclab")
PYTHON = "/usr/bin/python3"


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def children_cpu() -> float:
    """CPU seconds of every finished child and their waited-for descendants: each process
    that starts sandboxes waits for them (a child subreaper), so a batch's is all of it."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def timed(cmd, env, **kw) -> float:
    t = time.monotonic()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, **kw)
    return time.monotonic() - t


def batch(class_dir: Path, out: Path, env: dict) -> tuple[float, float]:
    """Seconds `./ipclab batch` takes over the class at its default concurrency, and the
    CPU seconds it used."""
    shutil.rmtree(out, ignore_errors=True)
    c = children_cpu()
    t = time.monotonic()
    r = subprocess.run(
        [IPCLAB, "batch", str(class_dir), "-o", str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wall = time.monotonic() - t
    if r.returncode != 0:
        sys.exit(f"bench: batch exited {r.returncode}: {r.stderr.strip()[-500:]}")
    return wall, children_cpu() - c


def totals(out: Path) -> str:
    """The class's totals as the gradebook has them: "184/184 x20"."""
    import csv
    import io
    from collections import Counter

    rows = list(
        csv.DictReader(io.StringIO((out / "gradebook.csv").read_text(encoding="utf-8-sig")))
    )
    seen = Counter(f"{r['total'] or r['status']}/{r['max_score']}" for r in rows)
    return ", ".join(f"{k} x{v}" for k, v in seen.most_common())


def template_build(cache: Path) -> Path:
    """The configured template the class's grades copied (the one holding every exercise)."""
    best = None
    for t in (cache / "configured").glob("*/build"):
        n = len(list(t.glob("CMakeFiles/*-student.dir")))
        if best is None or n > best[0]:
            best = (n, t)
    if best is None:
        sys.exit("bench: no configured template in the cache: the grades built nothing")
    return best[1]


def floor_commands(template: Path, class_dir: Path, students: list[str], scratch: Path):
    """The compiler command of every student file of the class, as the grader's build runs
    it (compile_commands.json of the template), pointed at the class's files."""
    from ipclab_grader.pipeline.builder import box

    commands = json.loads((template / "compile_commands.json").read_text())
    out = []
    for c in commands:
        m = re.search(rf"{re.escape(box.BOX_STAGE)}/([^/]+)/(\S+\.cpp)$", c["file"])
        if not m or "-student.dir" not in c["command"]:
            continue
        ex_id, name = m.groups()
        argv = shlex.split(c["command"])
        for student in students:
            src = class_dir / student / ex_id / name
            obj = scratch / f"{student}-{ex_id}-{Path(name).stem}.o"
            a = [x.replace(box.BOX_BUILD, str(template)) for x in argv]
            a[a.index("-o") + 1] = str(obj)
            a[a.index("-c") + 1] = str(src)
            # The compiler cache is the grader's business, not the floor's (the grader
            # compiles student files without it too).
            if a[0].endswith("ccache"):
                a = a[1:]
            out.append(a)
    return out


def floor(template: Path, class_dir: Path, students: list[str]) -> tuple[float, int, float]:
    with tempfile.TemporaryDirectory(prefix="ipclab-floor-") as scratch:
        cmds = floor_commands(template, class_dir, students, Path(scratch))
        c = children_cpu()
        t = time.monotonic()
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            codes = list(
                pool.map(
                    lambda a: subprocess.run(
                        a, cwd=template, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                    ).returncode,
                    cmds,
                )
            )
        wall = time.monotonic() - t
        cpu = children_cpu() - c
    if any(codes):
        sys.exit(f"bench: {sum(1 for c in codes if c)} of the floor's compiles failed")
    return wall, len(cmds), cpu


def lab_copy(dest: Path) -> Path:
    """A copy of the lab whose exercises hold the reference solutions: the student's loop is
    timed there, never in this checkout's exercises/."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in (
        "CMakeLists.txt",
        "cmake",
        "lab",
        "exercises",
        "grader",
        "harness",
        "ipclab",
        "solutions",
    ):
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(
                src,
                dest / part,
                symlinks=True,
                ignore=shutil.ignore_patterns("__pycache__", ".ipclab"),
            )
        elif src.exists():
            shutil.copy2(src, dest / part)
    for d in (dest / "solutions").iterdir():
        for f in d.iterdir():
            shutil.copy(f, dest / "exercises" / d.name / f.name)
    dest.chmod(0o755)
    return dest


def student_loop(lab: Path, env: dict, exercises) -> dict:
    """Per exercise: seconds of `check` after an edit (median of 2) and with nothing changed."""
    out = {}
    for ex in exercises:
        f = lab / "exercises" / ex.id / ex.files[0]
        cmd = [str(lab / "ipclab"), "check", ex.id]
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, cwd=lab)  # its first build
        edits = []
        for i in range(2):
            with f.open("a") as w:
                w.write(f"\n// an edit {i} {time.time_ns()}\n")
            edits.append(timed(cmd, env, cwd=lab))
        same = [timed(cmd, env, cwd=lab) for _ in range(2)]
        out[ex.id] = (statistics.median(edits), statistics.median(same))
    return out


def watch_reaction(lab: Path, env: dict, ex) -> float:
    """Seconds from a save to the end of the check `watch` makes of it: the file is broken
    first (watch checks it and waits), then the solution is saved (watch checks it again and,
    with --max-rounds 2, ends)."""
    from ipclab_grader import i18n

    f = lab / "exercises" / ex.id / ex.files[0]
    good = f.read_text()
    f.write_text(good + "\n#error not yet\n")
    waiting = i18n.messages("en")("watch.waiting", files="\0").split("\0")[0]
    p = subprocess.Popen(
        [str(lab / "ipclab"), "watch", ex.id, "--max-rounds", "2", "--lang", "en"],
        env=env,
        cwd=lab,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    for line in p.stdout:
        if line.startswith(waiting):
            break
    f.write_text(good + f"\n// saved {time.time_ns()}\n")
    t = time.monotonic()
    p.stdout.read()
    p.wait()
    return time.monotonic() - t


def sandbox_overhead(bindir: Path, n: int) -> tuple[float, float]:
    from ipclab_harness.lab import Lab

    probe = ROOT / "README.md"
    t = time.monotonic()
    for _ in range(n):
        subprocess.run([str(bindir / "ftok_key"), str(probe), "1"], stdout=subprocess.DEVNULL)
    direct = (time.monotonic() - t) / n
    Lab(bindir).close()  # the sandbox's agent is compiled on first use: not a check's cost
    t = time.monotonic()
    for _ in range(n):
        lab = Lab(bindir)
        lab.file("k")
        lab.run("ftok_key", "k", "1").wait()
        lab.close()
    return direct, (time.monotonic() - t) / n


def grade_steps(base: Path, env: dict, exercises, seed: int) -> list[tuple]:
    """Where one distinct submission's grade goes, step by step (scripts/grade_steps.py), the
    lab already built: what the class's CPU time per submission is made of."""
    where = base / "steps"
    shutil.rmtree(where, ignore_errors=True)
    name = classgen.make_class(where, 1, exercises, seed=seed + 3000, prefix="steps")[0]
    r = subprocess.run(
        [PYTHON, str(ROOT / "scripts" / "grade_steps.py"), str(where / name), "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        return [("  one grade, step by step", "", "", f"failed: {r.stderr.strip()[-300:]}")]
    found = json.loads(r.stdout)
    rows = [
        (f"  one grade: {step}", f"{cpu_s:6.2f} CPU-s", f"{wall:5.2f} s", "")
        for step, cpu_s, wall in found["steps"]
        if step not in ("locate", "stage")
    ]
    for what in ("slowest_units", "slowest_checks"):
        rows.append(
            (
                f"    {what.replace('_', ' ')}",
                "",
                "",
                ", ".join(f"{n} {s:.2f} s" for s, n in found[what]),
            )
        )
    return rows


def mark(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=20, help="distinct submissions (default 20)")
    ap.add_argument(
        "--first-students",
        type=int,
        default=0,
        help="submissions of the first class (default: --students)",
    )
    ap.add_argument("--skip-first", action="store_true", help="no first-class measurement")
    ap.add_argument("--skip-loop", action="store_true", help="no check/watch measurement")
    ap.add_argument("--keep", type=Path, help="work here and keep it (class, results, caches)")
    ap.add_argument(
        "--seed",
        type=int,
        default=15,
        help="the class's names and layouts (another seed: files no cache has seen)",
    )
    args = ap.parse_args()
    from ipclab_grader.manifest import load_all
    from ipclab_harness.cachedir import cache_base

    exercises = load_all()
    base = args.keep or Path(tempfile.mkdtemp(prefix="ipclab-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o755)  # the sandbox's user (nobody) reaches the programs built here

    class Rows(list):
        def append(self, row):
            super().append(row)
            print("  " + "  ".join(x.strip() for x in row if x.strip()), flush=True)

        def __iadd__(self, more):
            for row in more:
                self.append(row)
            return self

    rows = Rows()
    print(f"ipclab bench: {os.cpu_count()} CPUs, load average {load()} at the start")
    try:
        # ---- a class of distinct submissions, the lab built once -------------------------
        cache = base / "cache"
        cache.mkdir(exist_ok=True)
        cache.chmod(0o755)
        env = {
            **os.environ,
            "IPCLAB_CACHE": str(cache),
            # The machine's compiler cache: the lab's own objects as after a first class.
            "IPCLAB_CCACHE": str(Path(os.environ.get("IPCLAB_CCACHE") or cache_base() / "ccache")),
        }
        class_dir = base / "class"
        shutil.rmtree(class_dir, ignore_errors=True)
        students = classgen.make_class(class_dir, args.students, exercises, seed=args.seed)
        warm = base / "warm"
        shutil.rmtree(warm, ignore_errors=True)
        classgen.make_class(warm, 1, exercises, seed=args.seed + 2000, prefix="warmup")
        t = time.monotonic()
        batch(warm, base / "out-warm", env)  # builds the lab once: not counted
        lab_once = time.monotonic() - t
        wall, cpu = batch(class_dir, base / "out", env)
        scores = totals(base / "out")
        template = template_build(cache)
        floor_wall, compiles, floor_cpu = floor(template, class_dir, students)
        n = len(students)
        rate, floor_rate = 60 * n / wall, 60 * n / floor_wall
        ratio = wall / floor_wall
        rows += [
            (
                "floor: bare compile of the class's files",
                f"{floor_wall:6.1f} s",
                f"{floor_rate:5.1f}/min",
                f"{compiles} compiles, {os.cpu_count()} at once; "
                f"{floor_cpu / n:.2f} CPU-s a submission",
            ),
            (
                f"class of {n} distinct submissions",
                f"{wall:6.1f} s",
                f"{rate:5.1f}/min",
                f"target >= {TARGETS['class']}/min: {mark(rate >= TARGETS['class'])}; "
                f"{cpu / n:.2f} CPU-s a submission; totals {scores}",
            ),
            (
                "  ratio to the floor",
                f"{ratio:6.2f} x",
                "",
                f"target <= {TARGETS['ratio']:.0f} x: {mark(ratio <= TARGETS['ratio'])}; "
                f"in CPU time {cpu / max(floor_cpu, 1e-9):.2f} x (what an idle machine's wall "
                f"clock would show)",
            ),
            ("  the lab's own build, once (not counted)", f"{lab_once:6.1f} s", "", ""),
        ]
        rows += grade_steps(base, env, exercises, args.seed)
        # ---- a machine's first class ------------------------------------------------------
        if not args.skip_first:
            m = args.first_students or n
            first_dir = base / "first-class"
            shutil.rmtree(first_dir, ignore_errors=True)
            classgen.make_class(first_dir, m, exercises, seed=args.seed + 1000)
            env_first = {
                **env,
                "IPCLAB_CACHE": str(base / "cache-first"),
                "IPCLAB_CCACHE": str(base / "ccache-first"),
            }
            (base / "cache-first").mkdir(exist_ok=True)
            (base / "cache-first").chmod(0o755)
            first, first_cpu = batch(first_dir, base / "out-first", env_first)
            f_rate = 60 * m / first
            rows.append(
                (
                    f"first class ({m}; empty caches)",
                    f"{first:6.1f} s",
                    f"{f_rate:5.1f}/min",
                    f"target >= {TARGETS['first']}/min: {mark(f_rate >= TARGETS['first'])}; "
                    f"{first_cpu:.0f} CPU-s in all",
                )
            )
            shutil.rmtree(base / "cache-first", ignore_errors=True)
            shutil.rmtree(base / "ccache-first", ignore_errors=True)
        # ---- the student's loop -----------------------------------------------------------
        if not args.skip_loop:
            lab = lab_copy(base / "lab")
            loop = student_loop(lab, env, exercises)
            worst_edit = max(loop.items(), key=lambda kv: kv[1][0])
            worst_same = max(loop.items(), key=lambda kv: kv[1][1])
            rows.append(
                (
                    "check after an edit (slowest exercise)",
                    f"{worst_edit[1][0]:6.2f} s",
                    worst_edit[0],
                    f"target < {TARGETS['edit']} s: " f"{mark(worst_edit[1][0] < TARGETS['edit'])}",
                )
            )
            rows.append(
                (
                    "check, nothing changed (slowest)",
                    f"{worst_same[1][1]:6.2f} s",
                    worst_same[0],
                    f"target < {TARGETS['unchanged']} s: "
                    f"{mark(worst_same[1][1] < TARGETS['unchanged'])}",
                )
            )
            react = watch_reaction(lab, env, next(e for e in exercises if e.id == worst_edit[0]))
            rows.append(
                (
                    "watch: a save to its result",
                    f"{react:6.2f} s",
                    worst_edit[0],
                    f"target < {TARGETS['edit']} s: {mark(react < TARGETS['edit'])}",
                )
            )
            per = ", ".join(f"{k[:2]} {v[0]:.2f}/{v[1]:.2f}" for k, v in loop.items())
            rows.append(("  per exercise (edit/unchanged, s)", "", "", per))
        # ---- one check's sandbox ----------------------------------------------------------
        bindir = next(cache.glob("builds/*/bin/ftok_key")).parent
        direct, boxed = sandbox_overhead(bindir, 20)
        rows.append(
            (
                "one check: new sandbox + program",
                f"{boxed * 1000:6.1f} ms",
                "",
                f"the program alone {direct * 1000:.1f} ms",
            )
        )
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    width = max(len(r[0]) for r in rows)
    print()
    for name, value, rate, note in rows:
        print(f"{name:<{width}}  {value:>10}  {rate:>12}  {note}")
    print(
        f"load average {load()} at the end (timings on a busy machine are noisy; the ratio "
        f"compares figures of the same run)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
