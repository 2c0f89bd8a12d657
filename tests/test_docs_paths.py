"""Prose that cannot drift unseen: every repository path the documentation names exists.

Read: docs/*.md, README.md, harness/README.md, tests/hostile/README.md, each exercise's
statements (exercises/*/README*.md), and the comments and docstrings of grader/, harness/, lab/
and scripts/. A path is a run of characters that starts with one of the repository's top-level
folders (`grader/ipclab_grader/manifest.py`, `docs/sandbox.en.md`, `exercises/03-shmat/`,
`lab/include/ipclab/testing.hpp`). Left out: URLs, absolute paths (`/lab/bin`, `/tmp/x`),
what a build or a run makes (`build/`, `out/`, `.ipclab/`), and templates (`exercises/NN-name/`,
`grader/hidden/ID/unit/`, `messages.LANG.toml`), and the exercise a walkthrough adds (a number
above the last exercise's: docs/authoring's `10-msgstat`). `{es,en}` is expanded; `*` must
match a file.
A file named without its folder (`score.py`, `test/remote.cpp`, `errata.en.md`) must be some
file of the repository (a module that is gone, a statement's file renamed), but the few names
below that a run writes or another system owns; a document kept beside the repository is named
`../shared/NAME` (OUTSIDE), never as if it were in it. Fast: reads text only."""
import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from conftest import ROOT
from ipclab_grader.manifest import load_all

# Top-level folders a path may start with (what build or runs make is not among them).
TOP = (
    "grader",
    "harness",
    "lab",
    "scripts",
    "docs",
    "exercises",
    "solutions",
    "tests",
    "cmake",
    "packaging",
)
_PATH = re.compile(r"(?<![\w./~$-])((?:%s)/[\w.{},*/+-]*)" % "|".join(TOP))
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+")
# A template, not a path: a placeholder in capitals (NN-name, ID, LANG, PID, NAME, X) or <id>.
_TEMPLATE = re.compile(
    r"(^|/)(NN[\w-]*|[A-Z][A-Z_]*|[\w.-]*[A-Z]{2,}[\w.-]*)(/|$)|<|\.\.\.|…|\{\w+\}"
)
_BRACES = re.compile(r"\{([^{}]*,[^{}]*)\}")
# An exercise's folder: one whose number is above the last exercise's is a walkthrough's example.
_EXERCISE = re.compile(r"^(?:exercises|solutions|grader/hidden)/(\d\d)-")
LAST = max(e.number for e in load_all())
# A file named without its folder: a source, a document, a manifest, a build file.
_BARE = re.compile(
    r"(?<![\w./~$-])([\w{},*+-][\w.{},*+-]*(?:/[\w.{},*+-]+)*"
    r"\.(?:py|md|hpp|cpp|toml|sh|cmake))\b"
)
# Named without a folder and not in the repository, on purpose.
NOT_OURS = {
    "summary.md",  # what a batch writes (OUT_DIR/summary.md)
    "s00000.cpp",  # the similarity step's work files
    "vpl_environment.sh",
    "default_evaluate.sh",  # VPL's own files, on its server
}
# Documents kept beside the repository (../shared/), not in it: named with that folder.
OUTSIDE = {"lab-spec.md", "reference.md"}


def documents() -> list[Path]:
    docs = sorted((ROOT / "docs").glob("*.md")) + [
        ROOT / "README.md",
        ROOT / "harness" / "README.md",
        ROOT / "tests" / "hostile" / "README.md",
    ]
    return docs + sorted((ROOT / "exercises").glob("*/README*.md"))


def sources() -> list[Path]:
    found = []
    for top in ("grader", "harness", "lab", "scripts"):
        for p in sorted((ROOT / top).rglob("*")):
            if (
                p.suffix in (".py", ".cpp", ".hpp", ".sh")
                and "hidden" not in p.relative_to(ROOT).parts[:2]
            ):
                found.append(p)
    return found


def python_prose(text: str) -> list[tuple[int, str]]:
    """(line, text) of each comment and docstring of a Python file."""
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            out.append((tok.start[0], tok.string))
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                out.append((body[0].lineno, body[0].value.value))
    return out


def cpp_prose(text: str) -> list[tuple[int, str]]:
    """(line, text) of each // and /* */ comment of a C++ file (or # comment of a shell one)."""
    out = []
    for m in re.finditer(r"//[^\n]*|/\*.*?\*/", text, re.S):
        out.append((text.count("\n", 0, m.start()) + 1, m.group(0)))
    return out


def shell_prose(text: str) -> list[tuple[int, str]]:
    return [
        (n, line[line.index("#") :])
        for n, line in enumerate(text.splitlines(), 1)
        if "#" in line and not line.lstrip().startswith("#!")
    ]


def prose(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        return list(enumerate(text.splitlines(), 1))
    if path.suffix == ".py":
        return python_prose(text)
    if path.suffix == ".sh":
        return shell_prose(text)
    return cpp_prose(text)


def expand(path: str) -> list[str]:
    m = _BRACES.search(path)
    if not m:
        return [path]
    return [
        x
        for alt in m.group(1).split(",")
        for x in expand(path[: m.start()] + alt + path[m.end() :])
    ]


def named_paths(text: str) -> list[str]:
    text = _URL.sub(" ", text)
    out = []
    for m in _PATH.finditer(text):
        path = m.group(1).rstrip(".,;:*")
        if _TEMPLATE.search(path) or path.startswith(("tests/vendor/",)):
            continue
        example = _EXERCISE.match(path)
        if example and int(example.group(1)) > LAST:
            continue
        out += expand(path)
    return out


def named_files(text: str) -> list[str]:
    """Files named without a top-level folder (a name, or a path from an exercise's folder)."""
    text = _URL.sub(" ", text)
    out = []
    for m in _BARE.finditer(text):
        name = m.group(1)
        if name.split("/")[0] in TOP or _TEMPLATE.search(name) or name in NOT_OURS:
            continue
        if name in OUTSIDE and text[max(0, m.start() - 10) : m.start()] == "../shared/":
            continue
        out += expand(name)
    return out


_FILES: list[str] = []


def repository_files() -> list[str]:
    if not _FILES:
        _FILES.extend(
            p.relative_to(ROOT).as_posix()
            for p in ROOT.rglob("*")
            if p.is_file() and p.relative_to(ROOT).parts[0] not in ("build", ".git")
        )
    return _FILES


def some_file_is(name: str) -> bool:
    rx = re.compile("(^|/)" + re.escape(name).replace(r"\*", "[^/]*") + "$")
    return any(rx.search(f) for f in repository_files())


def exists(path: str) -> bool:
    if "*" in path:
        return any(ROOT.glob(path.rstrip("/")))
    return (ROOT / path).exists()


def missing_in(path: Path) -> list[str]:
    found = []
    for line, text in prose(path):
        for named in named_paths(text):
            if not exists(named):
                found.append(f"{path.relative_to(ROOT)}:{line}: {named}")
        for named in named_files(text):
            if not some_file_is(named):
                found.append(f"{path.relative_to(ROOT)}:{line}: {named} (no such file)")
    return found


@pytest.mark.parametrize("path", documents() + sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_path_named_exists(path):
    missing = missing_in(path)
    assert not missing, "paths that are not in the repository:\n" + "\n".join(missing)


def test_the_reader_finds_paths_and_leaves_templates():
    text = (
        "see grader/ipclab_grader/manifest.py, docs/authoring.{en,es}.md and "
        "exercises/NN-name/exercise.toml; https://github.com/x/grader/y.py; /work/docs/z.md; "
        "grader/hidden/ID/unit/; exercises/*/checks/test_*.py (`lab/include/ipclab/gone.hpp`); "
        f"exercises/{LAST + 1}-next/next.cpp is an example."
    )
    assert named_paths(text) == [
        "grader/ipclab_grader/manifest.py",
        "docs/authoring.en.md",
        "docs/authoring.es.md",
        "exercises/*/checks/test_*.py",
        "lab/include/ipclab/gone.hpp",
    ]
    assert not exists("lab/include/ipclab/gone.hpp") and exists("exercises/*/checks/test_*.py")
    text = (
        "score.py turns them into checks (test/remote.cpp, messages.{es,en}.toml); "
        "the contract is ../shared/lab-spec.md, not lab-spec.md; check.py is gone"
    )
    assert named_files(text) == [
        "score.py",
        "test/remote.cpp",
        "messages.es.toml",
        "messages.en.toml",
        "lab-spec.md",
        "check.py",
    ]
    assert some_file_is("test/remote.cpp") and not some_file_is("lab-spec.md")
