"""A student's progress: each exercise's status and the last check of it.

The last check of every exercise is kept in .ipclab/checks.json, keyed by the content hash of
the exercise's student files and a fingerprint of the lab's side (its tests, checks, messages,
the grader itself), so `list` is instant and `check` answers an unchanged exercise from there
without building anything. A change on either side makes the entry stale: it is never wrong."""
from __future__ import annotations

import hashlib

from .. import paths
from . import pristine
from ..manifest import Exercise
from .state import read_json, write_json

NOT_STARTED, NOT_CHECKED, FAILS, PASSES = "not_started", "not_checked", "fails", "passes"
CACHE = "checks.json"


def student_hash(ex: Exercise) -> str | None:
    """None when a student file is missing."""
    h = hashlib.sha256()
    for name in ex.files:
        try:
            data = (ex.dir / name).read_bytes()
        except OSError:
            return None
        h.update(name.encode() + b"\0" + data + b"\0")
    return h.hexdigest()


def signature(ex: Exercise) -> tuple:
    """What `watch` polls: cheap (no reading), changes on every save."""
    out = []
    for name in ex.files:
        try:
            st = (ex.dir / name).stat()
            out.append((st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError:
            out.append(None)
    return tuple(out)


def _hash_tree(h, root, skip=()) -> None:
    if not root.exists():
        return
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name not in skip and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(paths.ROOT)).encode() + b"\0" + p.read_bytes() + b"\0")


_FINGERPRINTS: dict[str, str] = {}


def lab_fingerprint(ex: Exercise) -> str:
    """Everything but the student's files that decides a visible check's result (computed once
    a run: the lab does not change under a command)."""
    if ex.id not in _FINGERPRINTS:
        _FINGERPRINTS[ex.id] = _fingerprint(ex)
    return _FINGERPRINTS[ex.id]


def _fingerprint(ex: Exercise) -> str:
    h = hashlib.sha256()
    _hash_tree(h, ex.dir, skip=set(ex.files))
    for tree in (
        paths.ROOT / "lab",
        paths.ROOT / "cmake",
        paths.ROOT / "harness" / "ipclab_harness",
        paths.ROOT / "harness" / "messages",
        paths.ROOT / "grader" / "ipclab_grader",
    ):
        _hash_tree(h, tree)
    h.update(
        (paths.ROOT / "CMakeLists.txt").read_bytes()
        if (paths.ROOT / "CMakeLists.txt").exists()
        else b""
    )
    return h.hexdigest()


def last(ex: Exercise) -> dict | None:
    """The cached last check of `ex` if it still describes the files as they are now."""
    entry = read_json(CACHE).get(ex.id)
    if (
        not entry
        or entry.get("hash") != student_hash(ex)
        or entry.get("lab") != lab_fingerprint(ex)
    ):
        return None
    return entry


def status(ex: Exercise) -> str:
    entry = last(ex)
    if entry is not None:
        return PASSES if entry["passed"] else FAILS
    if student_hash(ex) == pristine.skeleton_hash(ex):
        return NOT_STARTED
    return NOT_CHECKED


def statuses(exercises: list[Exercise]) -> dict[str, str]:
    pristine.record(exercises)
    return {ex.id: status(ex) for ex in exercises}


def first_not_passing(exercises: list[Exercise], after: Exercise | None = None) -> Exercise | None:
    """The exercise to work on: the first not passing, looking after `after` first, then
    wrapping round so one skipped earlier is not forgotten."""
    st = statuses(exercises)
    order = exercises
    if after is not None:
        i = [e.id for e in exercises].index(after.id)
        order = exercises[i + 1 :] + exercises[:i]
    return next((e for e in order if st[e.id] != PASSES), None)


def _grade(ex: Exercise, lang: str):
    """The one place the student commands grade through: a student's own check may fall
    back to the unsandboxed mode where no sandbox can be built (the report says so)."""
    from ..pipeline.builder import template
    from ..pipeline.grade import grade

    # The build's template is made of the skeleton, not of the student's file
    # (pipeline/builder/template.py): recorded before the first check even when no other
    # command has run yet.
    pristine.record([ex])
    template.skeleton_of = pristine.skeleton
    return grade(str(paths.EXERCISES), [ex], lang, visible_only=True, allow_fallback=True)


def cached(ex: Exercise, lang: str):
    """The last check's Grade in `lang` when nothing changed since, else None."""
    entry = last(ex)
    if entry is None or lang not in entry.get("results", {}):
        return None
    return _from_json(ex, lang, entry["results"][lang])


def check(ex: Exercise, lang: str):
    """(Grade, from_cache). Raises what grade() raises when grading cannot run at all."""
    hit = cached(ex, lang)
    if hit is not None:
        return hit, True
    before = student_hash(ex)
    result = _grade(ex, lang)
    # Saved under the hash read before grading: a save during the run makes the entry stale.
    data = read_json(CACHE)
    old = data.get(ex.id, {})
    results = (
        old.get("results", {})
        if old.get("hash") == before and old.get("lab") == lab_fingerprint(ex)
        else {}
    )
    results[lang] = {"mode": result.mode, "exercise": result.exercises[0].to_json()}
    data[ex.id] = {
        "hash": before,
        "lab": lab_fingerprint(ex),
        "passed": passed(result),
        "score": result.score,
        "max_score": result.max_score,
        "results": results,
    }
    write_json(CACHE, data)
    return result, False


def passed(grade) -> bool:
    return all(
        e.status == "graded" and all(c.status == "passed" for c in e.checks)
        for e in grade.exercises
    )


def _from_json(ex: Exercise, lang: str, saved: dict):
    from ..pipeline.score import Grade, GradedCheck, GradedExercise

    e = saved["exercise"]
    checks = [GradedCheck(**c) for c in e["checks"]]
    ge = GradedExercise(
        ex, e["title"], e["status"], checks, e.get("build_errors", ""), list(e.get("notes", []))
    )
    return Grade(str(paths.EXERCISES), lang, saved["mode"], [ge])
