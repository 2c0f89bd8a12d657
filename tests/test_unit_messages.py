"""The unit tests' failure messages: every id the C++ tests print has a text in each language,
with the same {fields} the test fills, and no English sentence is left in the C++ code.
Then the grader's side: markers are found, rendered, and survive hostile output."""
import json
import re

import pytest

from conftest import ROOT

try:
    import tomllib
except ModuleNotFoundError:
    import tomli as tomllib

from ipclab_grader.manifest import load_all
from ipclab_harness.check import Catalog
from ipclab_grader.pipeline import unit_messages

EXERCISES = load_all()
IDS = [e.id for e in EXERCISES]
LANGS = ("es", "en")
HARNESS = ROOT / "harness" / "messages"
SHARED_SOURCES = [
    ROOT / "lab" / "include" / "ipclab" / "testing.hpp",
    ROOT / "lab" / "include" / "ipclab" / "sem_testing.hpp",
]
# Shared support whose messages are the exercise's own: each exercise whose tests include it
# gives its ids texts (test_timed_out, init_made_no_segment, ...).
EXERCISE_WORDED = {
    "ipclab/sem_testing.hpp": ROOT / "lab" / "include" / "ipclab" / "sem_testing.hpp"
}

_CALL = re.compile(r'\bmsg\(\s*"(\w+)"\s*\)')
_WITH = re.compile(r'\.with\(\s*"(\w+)"')
_FIELD = re.compile(r"\{(\w+)(?::[^}]*)?\}")
# A string literal or strerror streamed into an assertion: English in the code.
_STREAMED_TEXT = re.compile(r'<<\s*(?:"|std::strerror|strerror)')
_ALLOWED = re.compile(r"GTEST_SKIP|ipclab: not feedback")


def unit_table(d, lang):
    f = d / f"messages.{lang}.toml"
    return tomllib.loads(f.read_text(encoding="utf-8")).get("unit", {}) if f.exists() else {}


def sources(ex, visibility):
    if visibility == "visible":
        return sorted((ex.dir / "test").glob("*.[ch]pp"))
    return sorted((ROOT / "grader" / "hidden" / ex.id / "unit").glob("*.[ch]pp"))


def calls(path):
    """(id, fields it fills, line) of each msg(...) in a source: the chain up to the `;`."""
    text = path.read_text(encoding="utf-8")
    for m in _CALL.finditer(text):
        end = text.find(";", m.end())
        chain = text[m.end() : end if end != -1 else len(text)]
        yield m.group(1), set(_WITH.findall(chain)), text.count("\n", 0, m.start()) + 1


def catalogs(ex, visibility):
    """The [unit] texts a source may use: a visible test cannot use the hidden files' texts,
    since a student's copy of the lab has no hidden files."""
    dirs = [HARNESS, ex.dir] + (
        [ROOT / "grader" / "hidden" / ex.id] if visibility == "hidden" else []
    )
    out = {}
    for lang in LANGS:
        merged = {}
        for d in dirs:
            merged.update(unit_table(d, lang))
        out[lang] = merged
    return out


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
@pytest.mark.parametrize("visibility", ["visible", "hidden"])
def test_every_message_a_test_prints_has_its_texts_and_fields(ex, visibility):
    cats = catalogs(ex, visibility)
    problems = []
    for src in sources(ex, visibility):
        for msg_id, filled, line in calls(src):
            for lang in LANGS:
                text = cats[lang].get(msg_id)
                if text is None:
                    problems.append(f'{src.name}:{line}: msg("{msg_id}") has no {lang} text')
                    continue
                unfilled = set(_FIELD.findall(text)) - filled
                if unfilled:
                    problems.append(
                        f"{src.name}:{line}: the {lang} text of {msg_id} uses "
                        f"{sorted(unfilled)}, which the test does not give (.with)"
                    )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_shared_support_worded_by_the_exercise_has_its_texts(ex):
    """A header of the lab whose messages each exercise words (sem_testing.hpp): an exercise
    whose visible tests include it has a text, in each language, for every id it prints."""
    cats = catalogs(ex, "visible")
    included = {
        h
        for src in sources(ex, "visible")
        for h in EXERCISE_WORDED
        if f'#include "{h}"' in src.read_text(encoding="utf-8")
    }
    problems = []
    for h in sorted(included):
        for msg_id, filled, line in calls(EXERCISE_WORDED[h]):
            for lang in LANGS:
                text = cats[lang].get(msg_id)
                if text is None:
                    problems.append(f'{h}:{line}: msg("{msg_id}") has no {lang} text in {ex.id}')
                elif set(_FIELD.findall(text)) - filled:
                    problems.append(
                        f"{h}:{line}: {ex.id}'s {lang} text of {msg_id} uses fields "
                        "the header does not give"
                    )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
@pytest.mark.parametrize("visibility", ["visible", "hidden"])
def test_no_english_text_is_streamed_into_an_assertion(ex, visibility):
    found = []
    for src in sources(ex, visibility):
        for n, line in enumerate(src.read_text(encoding="utf-8").splitlines(), 1):
            if _STREAMED_TEXT.search(line) and not _ALLOWED.search(line):
                found.append(f"{src.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, (
        "failure text belongs in messages.LANG.toml [unit], printed with "
        "ipclab::testing::msg(id).with(...):\n" + "\n".join(found)
    )


def test_the_shared_test_support_prints_only_messages():
    for src in SHARED_SOURCES:
        for n, line in enumerate(src.read_text(encoding="utf-8").splitlines(), 1):
            assert not _STREAMED_TEXT.search(line), f"{src.name}:{n}: {line.strip()}"


@pytest.mark.parametrize(
    "d",
    [HARNESS] + [e.dir for e in EXERCISES] + [ROOT / "grader" / "hidden" / e.id for e in EXERCISES],
    ids=lambda d: str(d.relative_to(ROOT)),
)
def test_both_languages_have_the_same_unit_texts_and_fields(d):
    es, en = unit_table(d, "es"), unit_table(d, "en")
    assert set(es) == set(en), f"keys only in one language: {sorted(set(es) ^ set(en))}"
    for k in es:
        assert set(_FIELD.findall(es[k])) == set(
            _FIELD.findall(en[k])
        ), f"{d.name} [unit] {k}: the es and en texts fill different fields"


def test_every_unit_text_is_used_by_some_test():
    used = set()
    for src in SHARED_SOURCES + [
        s for e in EXERCISES for v in ("visible", "hidden") for s in sources(e, v)
    ]:
        used |= {i for i, _, _ in calls(src)}
    used |= {msg_id for _, msg_id in unit_messages.GTEST_SENTENCES}
    unused = []
    for d in (
        [HARNESS]
        + [e.dir for e in EXERCISES]
        + [ROOT / "grader" / "hidden" / e.id for e in EXERCISES]
    ):
        unused += [f"{d.relative_to(ROOT)}: {k}" for k in unit_table(d, "en") if k not in used]
    assert not unused, "texts no test prints:\n" + "\n".join(unused)


# --- the grader's side ----------------------------------------------------------------------


def _marker(msg_id, **args):
    return "@@ipclab-msg " + json.dumps({"id": msg_id, "args": args}) + "@@"


@pytest.fixture(scope="module")
def cat_es():
    ex = next(e for e in EXERCISES if e.id.startswith("02"))
    return Catalog("es", [ex.dir, ROOT / "grader" / "hidden" / ex.id])


# A failure that carries a message shows the message in the student's language, not
# GoogleTest's English.
def test_a_message_replaces_googletests_words(cat_es):
    raw = (
        "/lab/exercises/02-shmget/test/shm_create_test.cpp:54\nExpected equality of these "
        "values:\n  mode\n    Which is: 438\n"
        + _marker("syserror_wrong_errno", call="shmget", error="EEXIST", got="ENOENT")
    )
    text = unit_messages.failure("ModeIs0600", raw, cat_es, hidden=False)
    assert text.startswith(
        "ModeIs0600: shmget debía fallar con EEXIST, pero el SysError lleva ENOENT"
    )
    assert "Expected equality" not in text and "@@" not in text


# Without a message, GoogleTest's text stays; the test's location only when the student has
# the file.
@pytest.mark.parametrize("hidden", [False, True])
def test_a_failure_without_message_keeps_googletests_text(cat_es, hidden):
    raw = "/work/main/grader/hidden/02-shmget/unit/x_test.cpp:12\nValue of: ok\n  Actual: false"
    text = unit_messages.failure("T", raw, cat_es, hidden=hidden)
    assert "Value of: ok" in text and "/work/main" not in text
    assert ("x_test.cpp:12" in text) != hidden


# Values are filled whatever they hold: quotes, newlines, braces, non-ASCII.
def test_values_with_any_characters_are_filled(cat_es):
    raw = _marker("setup_failed", call='a "b"\n{c} ñ', error="E\\X")
    assert unit_messages.localize(raw, cat_es).startswith(
        'La preparación de la prueba falló: a "b"\n{c} ñ devolvió E\\X.'
    )


# A cut or forged marker stays as text; it neither crashes the grader nor hides the rest.
@pytest.mark.parametrize(
    "raw",
    [
        '@@ipclab-msg {"id": "setup_fai',
        "@@ipclab-msg [1, 2]@@",
        '@@ipclab-msg {"id": 3}@@',
        '@@ipclab-msg {"id": "x"} no end',
    ],
)
def test_broken_markers_stay_as_text(cat_es, raw):
    text = unit_messages.localize(
        raw + " tail " + _marker("setup_failed", call="c", error="e"), cat_es
    )
    assert text.startswith(raw) and "La preparación de la prueba falló: c" in text


# An id no file knows still shows its id and values, never nothing.
def test_an_unknown_id_shows_itself(cat_es):
    assert unit_messages.localize(_marker("no_such_text", got="7"), cat_es) == "no_such_text got=7"


# One group's details are bounded once rendered, and cut between failures, not inside one.
def test_details_are_bounded(cat_es):
    failures = [
        [f"T{i}", _marker("setup_failed", call="shmget", error="ENOSPC")] for i in range(50)
    ]
    text = unit_messages.details(failures, cat_es, hidden=False)
    assert len(text) <= unit_messages.FAILURE_CHARS + 20
    assert text.splitlines()[-1].startswith("… (+") and text.splitlines()[-2].endswith(
        "avisa a tu profesor."
    )


# A bare assertion in a test whose other failure explains itself is an echo: left out.
def test_bare_echoes_of_an_explained_failure_are_left_out(cat_es):
    failures = [
        ["A", "/x/t.cpp:3\n" + _marker("setup_failed", call="shmget", error="ENOSPC")],
        ["A", "/x/t.cpp:4\nExpected: (id) != (-1), actual: -1 vs -1"],
        ["B", "/x/t.cpp:9\nValue of: ok\n  Actual: false"],
    ]
    text = unit_messages.details(failures, cat_es, hidden=False)
    assert "Expected: (id)" not in text and "A: La preparación" in text and "B: t.cpp:9" in text


# An exception that escapes a test is explained in the student's language, with its what().
def test_an_uncaught_exception_is_explained(cat_es):
    raw = (
        "unknown file\n"
        'C++ exception with description "shmat: Invalid argument" thrown in the test body.'
    )
    text = unit_messages.failure("T", raw, cat_es, hidden=False)
    assert (
        text.startswith("T: La prueba terminó con una excepción")
        and "«shmat: Invalid argument»" in text
    )
    raw = "unknown file\nUnknown C++ exception thrown in SetUp()."
    assert "no es una std::exception" in unit_messages.failure("T", raw, cat_es, hidden=True)
