"""The exercise manifests: the one place that says what each exercise is.

Every exercise directory holds an ``exercise.toml``; everything that lists exercises (CMake,
the grader, the docs index, the developer check) calls :func:`load_all`. The format is
documented in docs/authoring.en.md.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11 (Ubuntu 22.04): Debian/Ubuntu's python3-tomli
    import tomli as tomllib

from ipclab_harness import limits as bounds

from . import paths

ID_RE = re.compile(r"^(\d\d)-[a-z0-9]+(-[a-z0-9]+)*$")
LANGS = ("es", "en")


class ManifestError(Exception):
    """A manifest is missing, unreadable or inconsistent; the message says which and why."""


@dataclass(frozen=True)
class Binary:
    name: str
    main: str


@dataclass(frozen=True)
class Exercise:
    id: str
    dir: Path
    track: str
    title: dict[str, str]
    slide: str
    man: tuple[str, ...]
    files: tuple[str, ...]
    binaries: tuple[Binary, ...]
    unit_sources: tuple[str, ...]
    # The file that names the header's functions for the worker and the tests' proxies
    # (lab/include/ipclab/remote.hpp): unit tests never link the student's code.
    unit_remote: str
    points: dict[str, int]
    hints: tuple[dict[str, str], ...]
    limits: dict[str, int] = field(default_factory=dict)
    # Rules or names of the integrity step (integrity.RULES) this exercise lifts.
    integrity_allow: tuple[str, ...] = ()

    @property
    def number(self) -> int:
        return int(self.id[:2])

    @property
    def max_score(self) -> int:
        return sum(self.points.values())

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title["en"]


def _require(data: dict, key: str, kind, where: str):
    if key not in data:
        raise ManifestError(f"{where}: missing '{key}'")
    value = data[key]
    if not isinstance(value, kind):
        raise ManifestError(f"{where}: '{key}' must be a {kind.__name__}")
    return value


def _bilingual(value, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or any(
        not isinstance(value.get(lang), str) or not value[lang].strip() for lang in LANGS
    ):
        raise ManifestError(f"{where}: needs non-empty 'es' and 'en' texts")
    return {lang: value[lang].strip() for lang in LANGS}


def load(path: Path) -> Exercise:
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ManifestError(f"{where}: {e}") from None

    ex_id = _require(data, "id", str, where)
    if not ID_RE.match(ex_id) or ex_id != path.parent.name:
        raise ManifestError(f"{where}: id '{ex_id}' must be NN-name and match its directory")
    student = _require(data, "student", dict, where)
    files = tuple(_require(student, "files", list, where + " [student]"))
    if not files or any(not isinstance(f, str) or "/" in f for f in files):
        raise ManifestError(f"{where}: [student] files must be plain file names")
    binaries = []
    for b in _require(data, "binary", list, where):
        binaries.append(
            Binary(
                _require(b, "name", str, where + " [[binary]]"),
                _require(b, "main", str, where + " [[binary]]"),
            )
        )
    unit = _require(data, "unit", dict, where)
    points = _require(data, "points", dict, where)
    for name, value in points.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ManifestError(f"{where}: points for '{name}' must be a whole number >= 0")
    hints = tuple(
        _bilingual(h, f"{where} [[hint]] {i + 1}")
        for i, h in enumerate(_require(data, "hint", list, where))
    )
    if not hints:
        raise ManifestError(f"{where}: at least one [[hint]] is needed")
    try:
        limits = bounds.resolve(_require(data, "limits", dict, where) if "limits" in data else {})
    except bounds.LimitsError as e:
        raise ManifestError(f"{where} [limits]: {e}") from e
    return Exercise(
        id=ex_id,
        dir=path.parent,
        track=_require(data, "track", str, where),
        title=_bilingual(_require(data, "title", dict, where), where + " [title]"),
        slide=_require(data, "slide", str, where),
        man=tuple(data.get("man", ())),
        files=files,
        binaries=tuple(binaries),
        unit_sources=tuple(_require(unit, "sources", list, where + " [unit]")),
        unit_remote=_require(unit, "remote", str, where + " [unit]"),
        points=dict(points),
        hints=hints,
        limits=limits,
        integrity_allow=tuple(_require(data["integrity"], "allow", list, where + " [integrity]"))
        if "integrity" in data
        else (),
    )


def load_all(root: Path = paths.EXERCISES) -> list[Exercise]:
    """Every exercise, in order. Raises ManifestError naming the first bad manifest."""
    exercises = [load(p) for p in sorted(root.glob("*/exercise.toml"))]
    if not exercises:
        raise ManifestError(f"{root}: no exercise manifests (*/exercise.toml)")
    names = {}
    for ex in exercises:
        for b in ex.binaries:
            if b.name in names:
                raise ManifestError(f"binary '{b.name}' is declared by {names[b.name]} and {ex.id}")
            names[b.name] = ex.id
    return exercises


def find(exercises: list[Exercise], wanted: str) -> Exercise | None:
    """The exercise `wanted` names, the way every command takes one: its id ('03-shmat'),
    number ('03', '3'), name ('shmat') or folder ('exercises/03-shmat/'); None if none."""
    w = wanted.strip().rstrip("/").split("/")[-1]
    for ex in exercises:
        number, name = ex.id.split("-", 1)
        if w in (ex.id, name) or (w.isdigit() and w.zfill(2) == number):
            return ex
    return None


def by_id(exercises: list[Exercise], wanted: str) -> Exercise:
    """find(), or a ManifestError that names the exercises there are."""
    ex = find(exercises, wanted)
    if ex is None:
        known = ", ".join(e.id for e in exercises)
        raise ManifestError(f"no exercise '{wanted}' (known: {known})")
    return ex


def _cmake_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cmake_fragment(exercises: list[Exercise]) -> str:
    """The ipclab_exercise() calls CMake includes (see cmake/ipclab_exercise.cmake)."""
    lines = ["# Generated from the exercise manifests by `ipclab manifest --cmake`."]
    for ex in exercises:
        parts = [
            f"ID {ex.id}",
            f"DIR {_cmake_quote(str(ex.dir))}",
            "FILES " + " ".join(_cmake_quote(f) for f in ex.files),
            "BINARIES " + " ".join(_cmake_quote(f"{b.name}={b.main}") for b in ex.binaries),
        ]
        if ex.unit_sources:
            parts.append("UNIT " + " ".join(_cmake_quote(s) for s in ex.unit_sources))
        parts.append(f"REMOTE {_cmake_quote(ex.unit_remote)}")
        lines.append("ipclab_exercise(" + "\n  ".join(parts) + ")")
    return "\n".join(lines) + "\n"


def main_cmake() -> int:
    try:
        sys.stdout.write(cmake_fragment(load_all()))
    except ManifestError as e:
        print(f"ipclab: {e}", file=sys.stderr)
        return 1
    return 0


def markdown_index(exercises: list[Exercise]) -> str:
    """docs/exercises.md: the exercise index, generated (`./ipclab manifest --markdown`)."""
    lines = [
        "# Ejercicios / Exercises",
        "",
        "<!-- Generated from the manifests by `./ipclab manifest --markdown > docs/exercises.md`;"
        " do not edit by hand. -->",
        "",
        "| id | título | title | diapositiva / slide | puntos / points | man |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for ex in exercises:
        lines.append(
            f"| [{ex.id}](../exercises/{ex.id}/README.md) | {ex.title['es']} | "
            f"{ex.title['en']} | {ex.slide} | {ex.max_score} | {', '.join(ex.man)} |"
        )
    lines += ["", f"Total: {sum(e.max_score for e in exercises)}"]
    return "\n".join(lines) + "\n"
