"""Step 6 of a grade (the steps: pipeline/__init__.py): turn raw results into graded checks
with the manifest's points.

Every check the manifest gives points appears in the result exactly once, whatever happened:
not submitted, not compiled, crashed, or run. That is what makes a grade comparable across
students and re-grades."""
from __future__ import annotations

from dataclasses import dataclass, field

from ipclab_harness.check import Catalog, CheckFailed, Status

from .. import paths
from ..manifest import Exercise
from . import discover, unit_messages
from .run import RawResult

SCHEMA = "ipclab-result/2"


@dataclass
class GradedCheck:
    name: str
    title: str
    score: int
    max_score: int
    status: Status
    feedback: str
    visibility: str

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "feedback": self.feedback,
            "visibility": self.visibility,
        }


@dataclass
class GradedExercise:
    exercise: Exercise
    title: str
    status: str  # graded | not_submitted | build_failed | refused
    checks: list[GradedCheck] = field(default_factory=list)
    build_errors: str = ""
    notes: list[str] = field(default_factory=list)
    # The rules of the lab the student's file broke (integrity.Finding as JSON); empty
    # for every honest file.
    integrity: list[dict] = field(default_factory=list)

    @property
    def score(self) -> int:
        return sum(c.score for c in self.checks)

    @property
    def max_score(self) -> int:
        return sum(c.max_score for c in self.checks)

    def to_json(self) -> dict:
        return {
            "id": self.exercise.id,
            "title": self.title,
            "status": self.status,
            "score": self.score,
            "max_score": self.max_score,
            "build_errors": self.build_errors,
            "notes": self.notes,
            "integrity": self.integrity,
            "checks": [c.to_json() for c in self.checks],
        }


def catalog_for(ex: Exercise, lang: str) -> Catalog:
    return Catalog(lang, [ex.dir, paths.HIDDEN / ex.id])


def grade_exercise(
    ex: Exercise,
    lang: str,
    raw: list[RawResult],
    *,
    status: str = "graded",
    problem: str = "",
    build_errors: str = "",
    visible_only: bool = False,
    notes: list[str] | None = None,
    integrity: list | None = None,
) -> GradedExercise:
    cat = catalog_for(ex, lang)
    g = GradedExercise(
        ex,
        ex.title_in(lang),
        status,
        build_errors=build_errors,
        notes=list(notes or []),
        integrity=[f.to_json() for f in integrity or []],
    )
    by_id = {r.id: r for r in raw}
    if integrity:
        reason = cat.render(
            CheckFailed(
                "_integrity",
                findings="\n".join(
                    cat.render(
                        CheckFailed(
                            "_integrity_line",
                            file=f.file,
                            line=f.line or "?",
                            rule=cat.render(CheckFailed(f"_integrity_{f.rule}", what=f.what)),
                        )
                    )
                    for f in integrity[:5]
                ),
            )
        )
    elif status == "not_submitted":
        reason = cat.render(CheckFailed("_not_submitted", what=problem))
    elif status == "refused":
        reason = cat.render(CheckFailed("_refused", what=problem))
    elif status == "build_failed":
        reason = cat.render(CheckFailed("_not_compiled", errors=build_errors))
    elif status == "error":
        reason = cat.render(CheckFailed("_grader_error", what=problem))
    else:
        reason = cat.render(CheckFailed("_check_missing"))
    for name, points in ex.points.items():
        r = by_id.pop(name, None)
        if r is None:
            if visible_only and _is_hidden(ex, name):
                continue
            g.checks.append(
                GradedCheck(
                    name,
                    cat.title(name),
                    0,
                    points,
                    "failed" if status not in ("graded", "error") else "error",
                    reason,
                    discover.visibility(ex, name),
                )
            )
            continue
        feedback = r.feedback
        if r.msg:
            feedback = cat.render(CheckFailed(r.msg, **_unit_params(r, cat)))
        g.checks.append(
            GradedCheck(
                name,
                r.title or cat.title(name),
                points if r.status == "passed" else 0,
                points,
                r.status,
                feedback if r.status != "passed" else "",
                r.visibility,
            )
        )
    # A check that runs but has no points is a manifest mistake: shown, worth nothing.
    for r in by_id.values():
        g.checks.append(
            GradedCheck(r.id, r.title or cat.title(r.id), 0, 0, r.status, r.feedback, r.visibility)
        )
    return g


def _unit_params(r: RawResult, cat: Catalog) -> dict:
    """A unit test's details carry message ids: rendered here, in the catalog's language."""
    if "failures" in r.params:
        return {
            **r.params,
            "details": unit_messages.details(r.params["failures"], cat, r.visibility == "hidden"),
        }
    if "details" in r.params:
        return {**r.params, "details": unit_messages.localize_tail(r.params["details"], cat)}
    return r.params


def _is_hidden(ex: Exercise, name: str) -> bool:
    return discover.visibility(ex, name) == discover.HIDDEN


@dataclass
class Grade:
    submission: str
    lang: str
    mode: str
    exercises: list[GradedExercise]

    @property
    def score(self) -> int:
        return sum(e.score for e in self.exercises)

    @property
    def max_score(self) -> int:
        return sum(e.max_score for e in self.exercises)

    @property
    def integrity_flagged(self) -> bool:
        """Some file of this submission broke a rule of the lab (an attempt to tamper)."""
        return any(e.integrity for e in self.exercises)

    def to_json(self) -> dict:
        return {
            "schema": SCHEMA,
            "submission": self.submission,
            "lang": self.lang,
            "mode": self.mode,
            "score": self.score,
            "max_score": self.max_score,
            "integrity_flagged": self.integrity_flagged,
            "exercises": [e.to_json() for e in self.exercises],
        }
