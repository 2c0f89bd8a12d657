"""Developer check, part 1: every manifest is complete and consistent with the files."""
import re

import pytest

from conftest import ROOT

try:
    import tomllib
except ModuleNotFoundError:
    import tomli as tomllib

from ipclab_grader.manifest import load_all
from ipclab_grader.pipeline import discover

EXERCISES = load_all()
IDS = [e.id for e in EXERCISES]


def defined_checks(ex):
    """Every check that exists for an exercise: unit suites and process checks (the grader's
    own reader of them, ipclab_grader.pipeline.discover)."""
    return set(discover.checks(ex))


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_files_named_by_the_manifest_exist(ex):
    for name in ex.files:
        assert (ex.dir / name).is_file(), f"{ex.id}: skeleton {name} missing"
        assert (ROOT / "solutions" / ex.id / name).is_file(), f"{ex.id}: solution {name} missing"
    for b in ex.binaries:
        assert (ex.dir / b.main).is_file(), f"{ex.id}: main {b.main} missing"
    for src in ex.unit_sources:
        assert (ex.dir / src).is_file(), f"{ex.id}: unit test {src} missing"
    for doc in ("README.md", "README.en.md", "messages.es.toml", "messages.en.toml"):
        assert (ex.dir / doc).is_file(), f"{ex.id}: {doc} missing"


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_every_skeleton_file_has_a_todo_and_no_solution_does(ex):
    for name in ex.files:
        assert "TODO" in (ex.dir / name).read_text(), f"{ex.id}/{name} has no TODO marker"
        assert (
            "TODO" not in (ROOT / "solutions" / ex.id / name).read_text()
        ), f"solutions/{ex.id}/{name} still has a TODO"


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_points_and_checks_match(ex):
    defined = defined_checks(ex)
    declared = set(ex.points)
    assert not defined - declared, f"{ex.id}: checks without points: {sorted(defined - declared)}"
    assert (
        not declared - defined
    ), f"{ex.id}: points for checks that do not exist: {sorted(declared - defined)}"
    assert all(p > 0 for p in ex.points.values())


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_check_has_a_title_in_each_language(ex, lang):
    titles = {}
    for d in (ex.dir, ROOT / "grader" / "hidden" / ex.id):
        f = d / f"messages.{lang}.toml"
        if f.exists():
            titles.update(tomllib.loads(f.read_text()).get("titles", {}))
    missing = sorted(set(ex.points) - set(titles))
    assert not missing, f"{ex.id}: no {lang} title for {missing}"


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_feedback_ids_used_by_checks_exist_in_both_languages(ex):
    for lang in ("es", "en"):
        keys = set()
        for d in (ex.dir, ROOT / "grader" / "hidden" / ex.id, ROOT / "harness" / "messages"):
            f = d / f"messages.{lang}.toml"
            if f.exists():
                data = tomllib.loads(f.read_text())
                keys |= {f"feedback:{k}" for k in data.get("feedback", {})}
                keys |= {f"sections:{k}" for k in data.get("sections", {})}
        for d in (ex.dir / "checks", ROOT / "grader" / "hidden" / ex.id / "checks"):
            for f in d.glob("*.py"):
                text = f.read_text()
                for msg in re.findall(r"\bfail\(\s*\"(\w+)\"", text):
                    assert f"feedback:{msg}" in keys, f"{f.name}: fail('{msg}') has no {lang} text"


def test_exercise_ids_are_ordered_and_unique():
    numbers = [e.number for e in EXERCISES]
    assert numbers == sorted(set(numbers))


def test_docs_index_is_generated_from_the_manifests():
    from ipclab_grader.manifest import markdown_index

    assert (ROOT / "docs" / "exercises.md").read_text() == markdown_index(
        EXERCISES
    ), "docs/exercises.md is stale: ./ipclab manifest --markdown > docs/exercises.md"


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_checks_fail_with_fail_not_assert(ex):
    """The grader runs checks with --assert=plain (rewriting asserts is most of pytest's
    start-up), so a bare assert would fail without a message the student can read."""
    for d in (ex.dir / "checks", ROOT / "grader" / "hidden" / ex.id / "checks"):
        for f in d.glob("*.py"):
            lines = [
                n
                for n, l in enumerate(f.read_text().splitlines(), 1)
                if re.match(r"\s*assert\b", l)
            ]
            assert not lines, f"{f.name}:{lines}: use fail(msg_id, ...) instead of assert"


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_hidden_suites_have_names_of_their_own(ex):
    """The grader's test program holds visible and hidden tests together and tells their
    results apart by suite name (ipclab_grader.pipeline.discover)."""
    visible, hidden = discover.visible_suites(ex), discover.hidden_suites(ex)
    assert not visible & hidden, f"{ex.id}: suites in both: {visible & hidden}"


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_nothing_is_left_to_fill_in(ex):
    """`./ipclab new` marks what only the author can write (titles, slide, contract, prose,
    hints) FILL IN: an exercise is done when none is left."""
    from ipclab_grader.course.scaffold import MARK

    left = [
        f"{p.relative_to(ROOT)}:{n}"
        for d in (ex.dir, ROOT / "solutions" / ex.id, ROOT / "grader" / "hidden" / ex.id)
        for p in sorted(d.rglob("*"))
        if p.is_file()
        for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if MARK in line
    ]
    assert not left, f"{ex.id}: still to write ({MARK}):\n" + "\n".join(left)


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_every_command_finds_an_exercise_by_the_same_names(ex):
    """grade --exercise, batch, the platform packages (manifest.by_id) and the student
    commands (student.find) take an exercise the same ways: id, number, name or folder."""
    from ipclab_grader.i18n import Messages
    from ipclab_grader.manifest import by_id, find
    from ipclab_grader.student.common import Stop, find as student_find

    number, name = ex.id.split("-", 1)
    for wanted in (ex.id, number, str(int(number)), name, f"exercises/{ex.id}/", f"./{ex.id}"):
        assert (
            find(EXERCISES, wanted)
            is by_id(EXERCISES, wanted)
            is student_find(Messages("en"), EXERCISES, wanted)
            is ex
        ), wanted
    assert find(EXERCISES, f"{ex.id}x") is None
    with pytest.raises(Stop):
        student_find(Messages("en"), EXERCISES, "99")
