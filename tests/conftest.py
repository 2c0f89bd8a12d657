"""The project's own test suite (`make test`): shared set-up."""
import os
import shutil
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


def _ccache() -> tuple[list[str], dict]:
    """The compiler cache for the developer check's builds: the solutions and the skeletons
    differ only in the students' files (which the build never caches), so the lab's own
    objects -- unit tests, mains, worker tables, the support library -- are compiled once for
    both, and once for the copy tests/test_new_exercise.py builds (CCACHE_BASEDIR: paths
    relative to the tree, the same in a copy). ccache gives back the compiler's diagnostics
    with its objects, so a warning shows as if compiled. A cache of its own, beside the
    grader's (whose files belong to the sandbox's user)."""
    if not shutil.which("ccache"):
        return [], {}
    cache = Path(os.environ["IPCLAB_CACHE"]) / "ccache-dev"
    return ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"], {
        "CCACHE_DIR": str(cache),
        "CCACHE_BASEDIR": str(ROOT),
        "CCACHE_NOHASHDIR": "1",
        # What ccache needs to cache the precompiled header and the files compiled with it.
        "CCACHE_SLOPPINESS": "pch_defines,time_macros",
    }


def cmake_build(name: str, source: str, clean: bool = False) -> tuple[Path, str]:
    """Configures and builds build/<name> with the students' files from `source`; returns
    the build folder and what the build printed (the compilers' diagnostics among it).
    clean: every file compiled again, so every warning is printed."""
    build = ROOT / "build" / name
    # IPCLAB_TEST_EXERCISES="10-pipes": only those (tests/test_new_exercise.py, on a copy).
    only = os.environ.get("IPCLAB_TEST_EXERCISES", "")
    flags, ccache_env = _ccache()
    env = {**os.environ, **ccache_env}
    subprocess.run(
        [
            "cmake",
            "-S",
            str(ROOT),
            "-B",
            str(build),
            "-G",
            "Ninja",
            "-Wno-dev",
            f"-DIPCLAB_SOURCE={source}",
            f"-DIPCLAB_HIDDEN_DIR={ROOT / 'grader' / 'hidden'}",
            f"-DIPCLAB_EXERCISES={only}",
            *flags,
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    if clean:
        subprocess.run(
            ["cmake", "--build", str(build), "--", "-t", "clean"], capture_output=True, env=env
        )
    # Keep going: the developer check wants every exercise that can build, built.
    log = subprocess.run(
        ["cmake", "--build", str(build), "--", "-k", "0"], capture_output=True, text=True, env=env
    )
    return build, log.stdout


@pytest.fixture(scope="session")
def solutions_build():
    return cmake_build("solutions", str(ROOT / "solutions"))[0]


@pytest.fixture(scope="session")
def skeletons_built():
    """The skeletons built from clean: (build folder, the build's output, where every
    warning is). tests/test_devcheck.py reads the warnings there instead of building them
    all a second time."""
    return cmake_build("exercises", str(ROOT / "exercises"), clean=True)


@pytest.fixture(scope="session")
def skeletons_build(skeletons_built):
    return skeletons_built[0]


@pytest.fixture(scope="session")
def solutions_graded() -> str:
    """`./ipclab grade solutions --format json --lang en`, the report's text: graded once for
    the test files that read it (test_grader, test_platforms), each parsing its own copy."""
    r = subprocess.run(
        [
            str(ROOT / "ipclab"),
            "grade",
            str(ROOT / "solutions"),
            "--format",
            "json",
            "--lang",
            "en",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


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
