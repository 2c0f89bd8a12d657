"""Developer check, part 2 (rustlings' `dev check`): every untouched skeleton compiles and
fails its unit tests; every solution compiles and passes them, hidden ones included.
Unit tests run through ctest, which starts each in a private IPC namespace."""
import subprocess

import pytest

from ipclab_grader.manifest import load_all

EXERCISES = load_all()
IDS = [e.id for e in EXERCISES]


def ctest(build, regex):
    return subprocess.run(
        [
            "ctest",
            "--test-dir",
            str(build),
            "-R",
            f"^{regex}$",
            "--output-on-failure",
            "--timeout",
            "60",
        ],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_solution_builds_and_passes_every_unit_test(ex, solutions_build):
    for b in ex.binaries:
        assert (
            solutions_build / "bin" / b.name
        ).exists(), f"solutions/{ex.id}: {b.name} did not build"
    r = ctest(solutions_build, f"{ex.id}-(unit|hidden)")
    assert r.returncode == 0 and "tests passed" in r.stdout, r.stdout[-3000:]


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_untouched_skeleton_builds_and_fails_its_unit_tests(ex, skeletons_build):
    for b in ex.binaries:
        assert (
            skeletons_build / "bin" / b.name
        ).exists(), f"exercises/{ex.id}: {b.name} did not build"
    r = ctest(skeletons_build, f"{ex.id}-unit")
    assert "No tests were found" not in r.stdout
    assert r.returncode != 0, f"the untouched skeleton of {ex.id} passes its unit tests"


def test_skeletons_compile_without_warnings(skeletons_built):
    """A skeleton that warns teaches students to ignore warnings. The fixture built them all
    from clean (conftest.py), so its output has every file's warnings."""
    _, log = skeletons_built
    assert "warning:" not in log, log[-3000:]
