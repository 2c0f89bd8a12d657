"""The project's own test suite (`make test`): shared set-up."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "grader"), str(ROOT / "harness")]
# Grades in the suite share one build cache of their own, fresh on a fresh clone.
os.environ.setdefault("IPCLAB_CACHE", str(ROOT / "build" / "test-cache"))

from ipclab_grader.manifest import load_all  # noqa: E402


@pytest.fixture(scope="session")
def exercises():
    return load_all()


def cmake_build(name: str, source: str) -> Path:
    build = ROOT / "build" / name
    # IPCLAB_TEST_EXERCISES="10-pipes": only those (tests/test_new_exercise.py, on a copy).
    only = os.environ.get("IPCLAB_TEST_EXERCISES", "")
    subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), "-G", "Ninja", "-Wno-dev",
                    f"-DIPCLAB_SOURCE={source}", f"-DIPCLAB_HIDDEN_DIR={ROOT / 'grader' / 'hidden'}",
                    f"-DIPCLAB_EXERCISES={only}"],
                   check=True, capture_output=True)
    # Keep going: the developer check wants every exercise that can build, built.
    subprocess.run(["cmake", "--build", str(build), "--", "-k", "0"], capture_output=True)
    return build


@pytest.fixture(scope="session")
def solutions_build():
    return cmake_build("solutions", str(ROOT / "solutions"))


@pytest.fixture(scope="session")
def skeletons_build():
    return cmake_build("exercises", str(ROOT / "exercises"))


def ipc_snapshot() -> str:
    return subprocess.run(["ipcs", "-a"], capture_output=True, text=True).stdout


@pytest.fixture(autouse=True, scope="session")
def host_ipc_unchanged():
    """Nothing the suite does may leave an IPC object on the machine."""
    before = ipc_snapshot()
    yield
    assert ipc_snapshot() == before, "the test suite left IPC objects on the machine"


@pytest.fixture(autouse=True)
def sandbox_can_enter_tmp(request, tmp_path_factory):
    """As root, sandboxed programs and builds run as nobody, who must be able to pass through
    every folder above what they use (harness/ipclab_harness/sandbox.py): pytest makes its
    temporary folders private, so the tests open them (o+x, never o+r)."""
    if os.geteuid() != 0:
        return
    base = tmp_path_factory.getbasetemp()
    dirs = [base.parent, base]
    if "tmp_path" in request.fixturenames:
        tmp = request.getfixturevalue("tmp_path")
        dirs += [p for p in tmp.parents if base in p.parents] + [tmp]
    for d in dirs:
        mode = d.stat().st_mode
        if not mode & 0o001:
            d.chmod(mode | 0o001)


@pytest.fixture
def open_tmp():
    """A scratch folder the sandbox's user (nobody) may enter, as a student's clone would be
    (pytest's own tmp folders are private)."""
    import shutil
    import tempfile
    d = Path(tempfile.mkdtemp(prefix="ipclab-test-", dir="/tmp"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)
