"""Which checks an exercise has, and which of them are hidden: the one reader of the sources
that define them, for the grader (run.py, score.py, build/) and the developer check
(tests/test_manifests.py) alike. What students are shown depends on it.

A check is a unit suite or a process check:
  unit suites     the GoogleTest suites (TEST, TEST_F, TEST_P) of the exercise's unit tests:
                  visible ones in the manifest's [unit] sources, hidden ones in
                  grader/hidden/ID/unit/*.cpp; the check's id is "unit.SUITE"
  process checks  the test_NAME functions of exercises/ID/checks/test_*.py (visible) and of
                  grader/hidden/ID/checks/test_*.py (hidden); the check's id is NAME
A student's bundle has no grader/hidden/: there every check not defined visibly is hidden."""
from __future__ import annotations

import re
from pathlib import Path

from .. import paths
from ..manifest import Exercise

VISIBLE, HIDDEN = "visible", "hidden"
UNIT = "unit."  # a unit suite's check id is UNIT + the suite
_SUITE = re.compile(r"^\s*TEST(?:_F|_P)?\(\s*(\w+)\s*,", re.M)
_CHECK = re.compile(r"^def test_(\w+)\(", re.M)


def _found(rx: re.Pattern, files) -> set[str]:
    out: set[str] = set()
    for f in files:
        out |= set(rx.findall(f.read_text(errors="replace")))
    return out


def _hidden_dir(ex: Exercise) -> Path:
    return paths.HIDDEN / ex.id


def hidden_unit_sources(ex: Exercise) -> list[Path]:
    return sorted((_hidden_dir(ex) / "unit").glob("*.cpp"))


def has_hidden_tests(ex: Exercise) -> bool:
    """Whether the grader has hidden unit tests for `ex` (then it builds <id>-hidden)."""
    return bool(hidden_unit_sources(ex))


def visible_suites(ex: Exercise) -> set[str]:
    """The GoogleTest suites the visible unit tests define."""
    return _found(_SUITE, [ex.dir / s for s in ex.unit_sources])


def hidden_suites(ex: Exercise) -> set[str]:
    """The GoogleTest suites the hidden unit tests define: their results are hidden."""
    return _found(_SUITE, hidden_unit_sources(ex))


def visible_checks(ex: Exercise) -> set[str]:
    """The process checks of exercises/ID/checks/."""
    return _found(_CHECK, sorted((ex.dir / "checks").glob("test_*.py")))


def check_files(ex: Exercise, include_hidden: bool = True) -> list[Path]:
    """The files that define the process checks of `ex`: visible ones, then hidden ones."""
    dirs = [ex.dir / "checks"] + ([_hidden_dir(ex) / "checks"] if include_hidden else [])
    return [f for d in dirs for f in sorted(d.glob("test_*.py"))]


def checks_in(path: Path) -> list[str]:
    """The process checks one file defines, in the order it defines them."""
    return _CHECK.findall(path.read_text(errors="replace"))


def hidden_checks(ex: Exercise) -> set[str]:
    """The process checks of grader/hidden/ID/checks/."""
    return _found(_CHECK, sorted((_hidden_dir(ex) / "checks").glob("test_*.py")))


def checks(ex: Exercise) -> dict[str, str]:
    """Every check defined for `ex` here, with where it comes from (hidden when a hidden
    source defines it)."""
    out = {UNIT + s: VISIBLE for s in visible_suites(ex)}
    out.update({c: VISIBLE for c in visible_checks(ex)})
    out.update({UNIT + s: HIDDEN for s in hidden_suites(ex)})
    out.update({c: HIDDEN for c in hidden_checks(ex)})
    return out


def visibility(ex: Exercise, name: str) -> str:
    """Where the check `name` comes from (for one that did not run, by its definition):
    hidden when a hidden source defines it; otherwise visible, but in a student's bundle
    (no grader/hidden/ to look in) a check not defined visibly is hidden."""
    defined = checks(ex).get(name)
    if defined is not None:
        return defined
    return VISIBLE if paths.HIDDEN.is_dir() else HIDDEN
