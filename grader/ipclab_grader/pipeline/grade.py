"""A whole grade, one way: the steps of pipeline/__init__.py, in their order, for every
exercise of a submission. Reports are reports/'s."""
from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from ipclab_harness import limits as bounds, sandbox

from ..manifest import Exercise
from . import discover, locate, run, stage
from .builder.cache import Built
from .builder.step import build_all
from .score import Grade, GradedExercise, grade_exercise


@dataclass(frozen=True)
class _Asked:
    """What every exercise of one grade is graded with."""

    lang: str
    visible_only: bool

    def graded(self, st: stage.Staged, raw: list, **how) -> GradedExercise:
        return grade_exercise(
            st.exercise, self.lang, raw, visible_only=self.visible_only, notes=st.notes, **how
        )


def grade(
    submission: str,
    exercises: list[Exercise],
    lang: str,
    *,
    jobs: int = 2,
    visible_only: bool = False,
    limits: dict | None = None,
    allow_fallback: bool = False,
) -> Grade:
    """Grades `submission`. Raises locate.SubmissionError or sandbox.SandboxUnavailable when
    grading cannot run at all; anything wrong with one exercise is that exercise's grade.
    `limits` tightens or loosens every exercise's limits (names as in [limits]).

    The grade's mode says how student code ran: "bwrap" (private IPC, PID, network, mount
    and user namespaces) or, when no sandbox can be built and `allow_fallback` (a student's
    own check, never an instructor's grade), "unsandboxed": one program at a time, every
    descendant killed, only the objects its programs created removed (docs/sandbox.en.md)."""
    mode, jobs = _enter_mode(allow_fallback, jobs)
    exercises = _with_limits(exercises, limits)
    root = locate.locate(submission, exercises)
    asked = _Asked(lang, visible_only)
    work = Path(tempfile.mkdtemp(prefix="ipclab-grade-"))
    work.chmod(0o711)  # the build runs as nobody: it may pass through, not list
    try:
        staged = stage.stage(root, exercises, work / "stage")
        built = build_all(staged, work, jobs=jobs, use_sandbox=mode == sandbox.SANDBOXED)
        graded = {
            st.exercise.id: _not_runnable(
                st, built[st.exercise.id] if not st.problem else None, asked
            )
            for st in staged
        }
        ready = [st for st in staged if graded[st.exercise.id] is None]
        raw, failures = _run(ready, built, lang, jobs, include_hidden=not visible_only)
        for st in ready:
            graded[st.exercise.id] = _scored(
                st, raw[st.exercise.id], failures.get(st.exercise.id), asked
            )
        return Grade(_shown(submission), lang, mode, [graded[st.exercise.id] for st in staged])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _enter_mode(allow_fallback: bool, jobs: int) -> tuple[str, int]:
    """The sandbox's mode for this grade, and how many jobs it allows (one, unsandboxed)."""
    sandbox.reap_orphans()  # what a grader killed outright left running
    reason = sandbox.probe()
    if reason and not allow_fallback:
        raise sandbox.SandboxUnavailable(reason)
    if reason:
        sandbox.enter_fallback()
        jobs = 1
    return sandbox.current_mode(), jobs


def _with_limits(exercises: list[Exercise], limits: dict | None) -> list[Exercise]:
    if not limits:
        return exercises
    return [replace(ex, limits=bounds.resolve({**ex.limits, **limits})) for ex in exercises]


def _not_runnable(st: stage.Staged, built: Built | None, asked: _Asked) -> GradedExercise | None:
    """The grade of an exercise nothing of which can run (not submitted, refused, broke a
    rule of the lab, does not compile), or None when its checks are to run."""
    if st.problem:
        return asked.graded(
            st, [], problem=st.problem, status="not_submitted" if st.missing else "refused"
        )
    if built.integrity:
        # The file reaches for what no solution needs (integrity.py), compiled whole or not:
        # nothing of it runs, every check scores 0, and the result says which rule it broke.
        return asked.graded(st, [], status="refused", integrity=built.integrity)
    if not built.ok:
        return asked.graded(st, [], status="build_failed", build_errors=_first_lines(built.log))
    return None


def _run(
    ready: list[stage.Staged], built: dict[str, Built], lang: str, jobs: int, include_hidden: bool
) -> tuple[dict[str, list], dict[str, str]]:
    """Unit tests per exercise; process checks in `jobs` pytest runs (pytest starts once per
    run, not once per exercise), all of it `jobs` at a time. Returns the raw results of each
    exercise, and what went wrong while running an exercise's (its grader error)."""
    raw: dict[str, list] = {st.exercise.id: [] for st in ready}
    failures: dict[str, str] = {}
    workers = max(1, jobs)
    groups = [(g, None) for g in (ready[i::workers] for i in range(workers)) if g]
    if len(ready) == 1 and workers > 1:
        # One exercise (a student's check): its checks dealt out among the workers, so that
        # a long one (06's concurrent adds) runs beside the others instead of before them.
        files = discover.check_files(ready[0].exercise, include_hidden)
        names = [n for f in files for n in discover.checks_in(f)]
        groups = [(ready, set(names[i::workers])) for i in range(workers) if names[i::workers]]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        units = [
            pool.submit(_unit_tests, st, built[st.exercise.id], include_hidden) for st in ready
        ]
        checks = [
            pool.submit(_process_checks, g, built, lang, include_hidden, only) for g, only in groups
        ]
        for task in units + checks:
            found, failed = task.result()
            for ex_id, results in found.items():
                raw.setdefault(ex_id, []).extend(results)
            failures.update(failed)
    return raw, failures


def _unit_tests(
    st: stage.Staged, built: Built, include_hidden: bool
) -> tuple[dict[str, list], dict[str, str]]:
    ex_id = st.exercise.id
    try:
        return {
            ex_id: run.run_unit_tests(st.exercise, built.dir, include_hidden=include_hidden)
        }, {}
    except Exception as e:  # noqa: BLE001 - recorded as that exercise's problem
        return {}, {ex_id: f"{type(e).__name__}: {e}"}


def _process_checks(
    group: list[stage.Staged],
    built: dict[str, Built],
    lang: str,
    include_hidden: bool,
    only: set[str] | None = None,
) -> tuple[dict[str, list], dict[str, str]]:
    try:
        return (
            run.run_process_checks(
                [(st.exercise, built[st.exercise.id].dir) for st in group],
                lang,
                include_hidden=include_hidden,
                only=only,
            ),
            {},
        )
    except Exception as e:  # noqa: BLE001
        return {}, {st.exercise.id: f"{type(e).__name__}: {e}" for st in group}


def _scored(st: stage.Staged, raw: list, failure: str | None, asked: _Asked) -> GradedExercise:
    if failure is not None:
        # Whatever goes wrong while grading one exercise is that exercise's problem: the
        # others are graded, and the grade still comes out.
        return asked.graded(st, [], status="error", problem=failure)
    return asked.graded(st, raw)


def _shown(submission: str) -> str:
    """The submission as reports name it: a folder name that is not UTF-8 is shown with
    U+FFFD, reports are UTF-8 text."""
    return os.fsencode(str(submission)).decode("utf-8", errors="replace")


def _first_lines(log: str, n: int = 15) -> str:
    return "\n".join(log.strip().splitlines()[:n])
