"""A whole grade, one way: locate → stage → build → run → score. Reports are report.py's."""
from __future__ import annotations

import os
import shutil
from dataclasses import replace
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ipclab_harness import limits as bounds, sandbox

from . import build, locate, run, stage
from .manifest import Exercise
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
        built = build.build_all(staged, work, jobs=jobs,
                                use_sandbox=mode == sandbox.SANDBOXED)

        def one(st: stage.Staged) -> GradedExercise:
            ex = st.exercise
            if st.problem:
                return grade_exercise(ex, lang, [], problem=st.problem,
                                      status="not_submitted" if st.missing else "refused",
                                      visible_only=visible_only, notes=st.notes)
            b = built[ex.id]
            if not b.ok:
                return grade_exercise(ex, lang, [], status="build_failed",
                                      build_errors=_first_lines(b.log), visible_only=visible_only,
                                      notes=st.notes)
            raw = run.run_unit_tests(ex, b.dir, include_hidden=not visible_only)
            raw += run.run_process_checks(ex, b.dir, lang, include_hidden=not visible_only)
            return grade_exercise(ex, lang, raw, visible_only=visible_only, notes=st.notes)

        def guarded(st: stage.Staged) -> GradedExercise:
            # Whatever goes wrong while grading one exercise is that exercise's problem:
            # the others are graded, and the grade still comes out.
            try:
                return one(st)
            except Exception as e:  # noqa: BLE001 - any failure, recorded with its reason
                return grade_exercise(st.exercise, lang, [], status="error",
                                      problem=f"{type(e).__name__}: {e}", visible_only=visible_only,
                                      notes=st.notes)

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            graded = list(pool.map(guarded, staged))
        # A folder name that is not UTF-8 is shown with U+FFFD: reports are UTF-8 text.
        shown = os.fsencode(str(submission)).decode("utf-8", errors="replace")
        return Grade(shown, lang, mode, graded)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _first_lines(log: str, n: int = 15) -> str:
    return "\n".join(log.strip().splitlines()[:n])
