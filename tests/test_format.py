"""The code keeps the layout of the formatters people use (scripts/format.py lists the files):
black and flake8 for Python, clang-format for C++, 100 columns. `make format` applies them."""
import importlib.util

import pytest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("lab_format", ROOT / "scripts" / "format.py")
lab_format = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lab_format)


# The formatters are installed (make setup-test): a check that cannot run is a failure.
def test_the_formatters_are_installed():
    assert (
        not lab_format.missing_tools()
    ), f"{', '.join(lab_format.missing_tools())} missing: run `make setup-test`"


# They cover the lab's code: the grader, the harness, the tests; the lab's C++ and solutions.
def test_the_formatters_cover_the_code():
    python, cpp = lab_format.python_files(), lab_format.cpp_files()
    assert any(f.startswith("grader/ipclab_grader/pipeline/") for f in python)
    assert "harness/ipclab_harness/session.py" in python and "tests/test_format.py" in python
    assert "harness/ipclab_harness/agent.cpp" in cpp and "lab/src/remote.cpp" in cpp
    assert any(f.startswith("solutions/") for f in cpp)
    assert any(f.startswith("grader/hidden/") for f in cpp)
    # Kept as they are on purpose: each style's layout, and what a student might hand in.
    assert not any(f.startswith(("tests/styles/", "tests/hostile/")) for f in python + cpp)


# black, flake8 and clang-format find nothing to change.
def test_the_code_is_formatted():
    if lab_format.missing_tools():
        pytest.skip("reported by test_the_formatters_are_installed")
    problems = lab_format.check()
    assert not problems, "run `make format`:\n" + "\n".join(p[-2000:] for p in problems)
