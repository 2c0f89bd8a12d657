"""A whole grade, one way: locate → stage → build → integrity → run → score. Reports are
report.py's."""
from __future__ import annotations

import os
import shutil
from dataclasses import replace
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ipclab_harness import limits as bounds, sandbox

from . import locate, run, stage
from .build.step import build_all
from ..manifest import Exercise
from .score import Grade, GradedExercise, grade_exercise

def grade(submission: str, exercises: list[Exercise], lang: str, *, jobs: int = 2,
          visible_only: bool = False, limits: dict | None = None,
          allow_fallback: bool = False) -> Grade:
    """Grades `submission`. Raises locate.SubmissionError or sandbox.SandboxUnavailable when
    grading cannot run at all; anything wrong with one exercise is that exercise's grade.
    `limits` tightens or loosens every exercise's limits (names as in [limits]).

    The grade's mode says how student code ran: "bwrap" (private IPC, PID, network, mount
    and user namespaces) or, when no sandbox can be built and `allow_fallback` (a student's
    own check, never an instructor's grade), "unsandboxed": one program at a time, every
    descendant killed, only the objects its programs created removed (docs/sandbox.en.md)."""
    sandbox.reap_orphans()   # what a grader killed outright left running
    reason = sandbox.probe()
    if reason and not allow_fallback:
        raise sandbox.SandboxUnavailable(reason)
    if reason:
        sandbox.enter_fallback()
        jobs = 1
    mode = sandbox.current_mode()
    if limits:
        exercises = [replace(ex, limits=bounds.resolve({**ex.limits, **limits}))
                     for ex in exercises]
    root = locate.locate(submission, exercises)
    work = Path(tempfile.mkdtemp(prefix="ipclab-grade-"))
    work.chmod(0o711)  # the build runs as nobody: it may pass through, not list
    try:
        staged = stage.stage(root, exercises, work / "stage")
        built = build_all(staged, work, jobs=jobs,
                                use_sandbox=mode == sandbox.SANDBOXED)

        def problem(st: stage.Staged) -> GradedExercise | None:
            ex = st.exercise
            if st.problem:
                return grade_exercise(ex, lang, [], problem=st.problem,
                                      status="not_submitted" if st.missing else "refused",
                                      visible_only=visible_only, notes=st.notes)
            if built[ex.id].integrity:
                # The file reaches for what no solution needs (integrity.py), compiled
                # whole or not: nothing of it
                # runs, every check scores 0, and the result says which rule it broke.
                return grade_exercise(ex, lang, [], status="refused",
                                      integrity=built[ex.id].integrity,
                                      visible_only=visible_only, notes=st.notes)
            if not built[ex.id].ok:
                return grade_exercise(ex, lang, [], status="build_failed",
                                      build_errors=_first_lines(built[ex.id].log),
                                      visible_only=visible_only, notes=st.notes)
            return None

        graded = {st.exercise.id: problem(st) for st in staged}
        ready = [st for st in staged if graded[st.exercise.id] is None]
        raw: dict[str, list] = {st.exercise.id: [] for st in ready}
        failures: dict[str, str] = {}

        def unit(st: stage.Staged) -> None:
            try:
                raw[st.exercise.id] += run.run_unit_tests(st.exercise, built[st.exercise.id].dir,
                                                          include_hidden=not visible_only)
            except Exception as e:  # noqa: BLE001 - recorded as that exercise's problem
                failures[st.exercise.id] = f"{type(e).__name__}: {e}"

        def checks(group: list[stage.Staged]) -> None:
            try:
                found = run.run_process_checks(
                    [(st.exercise, built[st.exercise.id].dir) for st in group], lang,
                    include_hidden=not visible_only)
                for ex_id, results in found.items():
                    raw[ex_id] += results
            except Exception as e:  # noqa: BLE001
                for st in group:
                    failures[st.exercise.id] = f"{type(e).__name__}: {e}"

        # Unit tests per exercise; process checks in `jobs` pytest runs (pytest starts once
        # per run, not once per exercise), all of it `jobs` at a time.
        groups = [ready[i::max(1, jobs)] for i in range(max(1, jobs))]
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            tasks = [pool.submit(unit, st) for st in ready]
            tasks += [pool.submit(checks, g) for g in groups if g]
            for t in tasks:
                t.result()
        for st in ready:
            ex_id = st.exercise.id
            if ex_id in failures:
                # Whatever goes wrong while grading one exercise is that exercise's problem:
                # the others are graded, and the grade still comes out.
                graded[ex_id] = grade_exercise(st.exercise, lang, [], status="error",
                                               problem=failures[ex_id], visible_only=visible_only,
                                               notes=st.notes)
            else:
                graded[ex_id] = grade_exercise(st.exercise, lang, raw[ex_id],
                                               visible_only=visible_only, notes=st.notes)
        graded = [graded[st.exercise.id] for st in staged]
        # A folder name that is not UTF-8 is shown with U+FFFD: reports are UTF-8 text.
        shown = os.fsencode(str(submission)).decode("utf-8", errors="replace")
        return Grade(shown, lang, mode, graded)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _first_lines(log: str, n: int = 15) -> str:
    return "\n".join(log.strip().splitlines()[:n])
