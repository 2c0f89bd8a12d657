"""The grader's layers (grader/ipclab_grader/__init__.py): every import of every module, read
with ast (imports inside functions too), goes only from a layer to the ones it may use:

    core      paths, manifest, i18n (the top-level modules)   core
    pipeline  pipeline/ (one grade, step by step)             core, pipeline
    reports   reports/ (a grade rendered or read back)        core, pipeline, reports
    student   student/ (the student commands' logic)          core, pipeline, reports, student
    course    course/ (a class, bundles, packages)            core, pipeline, reports, course
    commands  commands/ (the CLI) and cli.py                  everything

So nothing imports commands/ but cli.py and commands/ itself, nor do scripts/ and packaging/
(they run the CLI or use the layers); inside pipeline/, no step imports grade.py (it runs the
steps, they do not call it); the harness never imports the grader; and every module leaves
with the student bundle and the platforms' packages.
A violation fails with the file, the line and the import. Fast: reads source only."""
import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "grader" / "ipclab_grader"
CORE = ("paths", "manifest", "i18n")
MAY_USE = {
    "core": {"core"},
    "pipeline": {"core", "pipeline"},
    "reports": {"core", "pipeline", "reports"},
    "student": {"core", "pipeline", "reports", "student"},
    "course": {"core", "pipeline", "reports", "course"},
    "commands": {"core", "pipeline", "reports", "student", "course", "commands"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(module: str) -> str | None:
    """The layer of a module of ipclab_grader (None: the package itself)."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    if parts[1] in CORE:
        return "core"
    if parts[1] == "cli":
        return "commands"
    return parts[1] if parts[1] in MAY_USE else "unknown"


def imports(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, module imported) for every import of ipclab_grader in `source`, relative ones
    resolved; `from X import name` counts as X.name when that is a module of the package."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for a in node.names:
                sub = f"{target}.{a.name}"
                found.append((node.lineno, sub if _is_module(sub) else target))
    return [(line, m) for line, m in found if m.split(".")[0] == "ipclab_grader"]


def _is_module(dotted: str) -> bool:
    p = PACKAGE.parent.joinpath(*dotted.split("."))
    return p.with_suffix(".py").is_file() or (p / "__init__.py").is_file()


def violations(source: str, module: str, is_package: bool, where: str) -> list[str]:
    mine = layer(module)
    out = []
    for line, target in imports(source, module, is_package):
        theirs = layer(target)
        if theirs is None or target == module:
            continue
        if mine is None:
            why = "the package's __init__ imports nothing of its own"
        elif mine == "unknown" or theirs == "unknown":
            why = "a folder no layer names: add it to MAY_USE (and to the package's docstring)"
        elif theirs not in MAY_USE[mine]:
            why = f"{mine} may use only {', '.join(sorted(MAY_USE[mine]))}"
        elif (
            target == "ipclab_grader.pipeline.grade"
            and mine == "pipeline"
            and module != "ipclab_grader.pipeline.grade"
        ):
            why = "grade.py runs the steps; no step calls it"
        else:
            continue
        out.append(f"{where}:{line}: imports {target} ({why})")
    return out


def grader_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", grader_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_down_the_layers(path):
    found = violations(
        path.read_text(encoding="utf-8"),
        module_name(path),
        path.name == "__init__.py",
        str(path.relative_to(ROOT)),
    )
    assert not found, "imports against the layers:\n" + "\n".join(found)


def test_every_module_is_in_a_layer():
    assert [
        str(p.relative_to(ROOT)) for p in grader_modules() if layer(module_name(p)) == "unknown"
    ] == []


def test_the_harness_never_imports_the_grader():
    found = []
    for p in sorted((ROOT / "harness" / "ipclab_harness").rglob("*.py")):
        for line, target in imports(p.read_text(encoding="utf-8"), "ipclab_harness.x", False):
            found.append(f"{p.relative_to(ROOT)}:{line}: imports {target}")
    assert not found, "the harness is below the grader:\n" + "\n".join(found)


def test_scripts_and_platform_drivers_do_not_import_the_cli():
    found = []
    for p in sorted([*(ROOT / "scripts").glob("*.py"), *(ROOT / "packaging").rglob("*.py")]):
        for line, target in imports(p.read_text(encoding="utf-8"), "x", False):
            if layer(target) == "commands":
                found.append(f"{p.relative_to(ROOT)}:{line}: imports {target}")
    assert not found, "commands/ is the CLI; use the layer below it:\n" + "\n".join(found)


def test_a_violation_is_named_with_its_line():
    source = "from .. import paths\n\ndef f():\n    from ..reports import report\n"
    assert violations(source, "ipclab_grader.pipeline.score", False, "score.py") == [
        "score.py:4: imports ipclab_grader.reports.report (pipeline may use only core, pipeline)"
    ]
    assert violations(
        "from ..commands.batch import x\n", "ipclab_grader.course.merge", False, "merge.py"
    ) == [
        "merge.py:1: imports ipclab_grader.commands.batch (course may use only core, course, "
        "pipeline, reports)"
    ]
    assert violations(
        "from .grade import grade\n", "ipclab_grader.pipeline.run", False, "run.py"
    ) == [
        "run.py:1: imports ipclab_grader.pipeline.grade (grade.py runs the steps; no step "
        "calls it)"
    ]
    assert (
        violations(
            "from . import build, locate\n", "ipclab_grader.pipeline.grade", False, "grade.py"
        )
        == []
    )


def test_every_module_leaves_with_the_bundles():
    """The student bundle and the platforms' packages walk the tree and leave out folders
    named like a build's output (build/, out/): no module of the grader may be in one."""
    from ipclab_grader.course import bundle

    modules = {p.relative_to(ROOT) for p in grader_modules()}
    for name, files in (
        ("autograder", bundle.autograder_files()),
        ("student bundle", bundle.student_files()),
    ):
        left_out = sorted(str(m) for m in modules - set(files))
        assert not left_out, f"modules the {name} leaves out: {left_out}"
