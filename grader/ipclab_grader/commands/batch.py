"""`./ipclab batch CLASS_DIR -o OUT_DIR [-j N]`: grade a whole class, resumably."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from .common import add_lang, error, lang, load

NAME = "batch"
HELP = "grade a folder of submissions (one folder, .zip or .tar.gz per student)"
ORDER = 60


# A grade waits now and then (a check that a process blocks, a program's deadline), so two
# grades per CPU keep the CPUs busy: on two cores, -j 4 grades a third more a minute than -j 2.
DEFAULT_JOBS = 2 * (os.cpu_count() or 1)


def register(p) -> None:
    p.add_argument("class_dir", metavar="CLASS_DIR", help="one sub-folder or archive per student")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT_DIR",
        help="results, gradebook.csv, summary.md, report.html (kept between runs)",
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help=f"submissions graded at once (default twice the CPUs: {DEFAULT_JOBS})",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=900,
        help="seconds one submission may take before it is an error row (default 900)",
    )
    p.add_argument(
        "--exercise", action="append", metavar="ID", help="grade only this exercise (repeatable)"
    )
    add_lang(p)
    p.add_argument(
        "--regrade",
        action="append",
        default=[],
        metavar="STUDENT",
        help="grade this student again even if unchanged (repeatable)",
    )
    p.add_argument(
        "--retry-errors",
        action="store_true",
        help="grade again the submissions that ended in an error",
    )
    p.add_argument("--grade-jobs", type=int, default=1, help=argparse_hide())
    p.add_argument(
        "--limit",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a limit of every exercise in every grade, as grade --limit",
    )
    p.add_argument(
        "--shard",
        metavar="K/N",
        help="grade only part K of N of the class (the same part on every machine, "
        "by a hash of each student's name); ./ipclab merge joins the parts",
    )


def shard_arg(text: str | None) -> tuple[int, int] | None:
    """ "K/N" as (K, N); None when not given; ValueError when not 1 <= K <= N."""
    if text is None:
        return None
    k, n = (int(x) for x in text.split("/"))
    if not 1 <= k <= n:
        raise ValueError(text)
    return k, n


def argparse_hide():
    import argparse

    return argparse.SUPPRESS


def run(args) -> int:
    from ..course import batch
    from ..manifest import ManifestError
    from ipclab_harness.sandbox import SandboxUnavailable, require

    class_dir, out = Path(args.class_dir), Path(args.output)
    if not class_dir.is_dir():
        return error(
            f"{class_dir}: not a folder; give the folder that holds one sub-folder or "
            "archive per student"
        )
    if args.jobs < 1 or args.timeout <= 0:
        return error("-j and --timeout must be positive numbers")
    try:
        shard = shard_arg(args.shard)
    except ValueError:
        return error(f"--shard {args.shard}: give K/N, part K of N with 1 <= K <= N (e.g. 2/4)")
    if out.resolve().is_relative_to(class_dir.resolve()):
        return error(f"{out}: the output folder is inside the class folder; put it elsewhere")
    if out.exists() and not out.is_dir():
        return error(f"{out}: exists and is not a folder; give a folder for the results")
    from ipclab_harness.limits import LimitsError
    from .grade import parse_limits

    try:
        parse_limits(args.limit)
    except (ValueError, LimitsError) as e:
        return error(f"{e}")
    try:
        exercises = load(args.exercise)
        require()
    except ManifestError as e:
        return error(str(e))
    except SandboxUnavailable as e:
        return error(f"cannot grade: {e}", 3)
    language = lang(args.lang)
    out.mkdir(parents=True, exist_ok=True)
    run_ = batch.Run(
        class_dir,
        out,
        exercises,
        language,
        jobs=args.jobs,
        grade_jobs=args.grade_jobs,
        timeout=args.timeout,
        regrade=set(args.regrade),
        retry_errors=args.retry_errors,
        shard=shard,
        limits=tuple(args.limit),
    )
    subs, todo, state = run_.plan()
    unknown = set(args.regrade) - {s.name for s in subs}
    if unknown:
        return error(f"--regrade {sorted(unknown)[0]}: no such student in {class_dir}")
    if not subs and not shard:
        return error(
            f"{class_dir}: no submissions in it (expected one sub-folder or "
            ".zip/.tar.gz per student)"
        )
    if state.stale:
        print(
            "ipclab: the exercises or the language changed since the last batch: "
            "grading every submission again",
            file=sys.stderr,
        )
    progress = Progress(len(subs), len(subs) - len(todo), args.jobs)
    code = 0
    try:
        with progress:
            run_.execute(todo, state, progress.event)
    except KeyboardInterrupt:
        code = 130
    except batch.SandboxLost as e:
        code = error(f"cannot grade: {e}", 3)
    finally:
        from ..course.classfiles import write_class_files
        from ..course.similarity import store_sources

        store_sources(out, subs, exercises)
        write_class_files(out, exercises, language, state, [s.name for s in subs])
    done = sum(1 for s in subs if state.done(s, out))
    if code == 130:
        print(
            f"ipclab: interrupted: {done} of {len(subs)} submissions graded; run the same "
            "command again to grade the rest",
            file=sys.stderr,
        )
        return code
    errors = sum(1 for s in subs if state.students.get(s.name, {}).get("status") == "error")
    print(
        f"{done} of {len(subs)} submissions graded ({errors} could not be graded) "
        f"in {progress.elapsed():.0f} s → {out / 'gradebook.csv'}, summary.md, report.html, "
        "similarity.csv",
        file=sys.stderr,
    )
    return code


class Progress:
    """A rich progress bar on a terminal (done, failed, rate, time left); one plain line per
    finished submission otherwise (logs, CI, a pipe)."""

    def __init__(self, total: int, already: int, jobs: int):
        self.total, self.done, self.failed = total, already, 0
        self.new = 0
        self.t0 = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.bar = None
        if already and not self.tty:
            print(
                f"[{already}/{total}] already graded (unchanged since the last run)",
                file=sys.stderr,
                flush=True,
            )

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def __enter__(self):
        if self.tty:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress as Bar,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Bar(
                TextColumn("[bold]batch"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("· [red]{task.fields[failed]} failed"),
                TextColumn("· {task.fields[rate]}/min"),
                TextColumn("· left"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[last]}"),
                transient=False,
            )
            self.bar.__enter__()
            self.task = self.bar.add_task(
                "batch", total=self.total, completed=self.done, failed=0, rate="–", last=""
            )
        return self

    def __exit__(self, *exc):
        if self.bar:
            self.bar.__exit__(*exc)
        return False

    def event(self, kind, sub, outcome) -> None:
        if kind != "done":
            return
        self.done += 1
        self.new += 1
        self.failed += outcome.status != "graded"
        rate = 60 * self.new / max(self.elapsed(), 1e-6)
        what = (
            f"{outcome.score}/{outcome.max_score}"
            if outcome.status == "graded"
            else f"error: {outcome.error}"
        )
        if self.bar:
            self.bar.update(
                self.task,
                completed=self.done,
                failed=self.failed,
                rate=f"{rate:.1f}",
                last=f"{sub.name}: {what}"[:50],
            )
        else:
            print(
                f"[{self.done}/{self.total}] {sub.name}  {what}  ({outcome.seconds:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
