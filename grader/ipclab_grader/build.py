"""Step 3 of a grade: build each exercise on its own, sandboxed, cached by content.

The cache key of an exercise is the hash of everything its programs are made of: the
student's files, the lab's own files for it (header, mains, tests, support library, build
files, hidden unit tests) and the compiler. Two submissions with the same files share one
build; a warm grade builds nothing."""
from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ipclab_harness import sandbox

from ipclab_harness import limits as bounds
from ipclab_harness.cachedir import cache_base

from . import paths
from .manifest import Exercise, cmake_fragment
from .stage import Staged

BUILD_PROCESSES = 256      # processes of one build (compiler drivers, ninja, cmake)
ERROR_LINES = 15           # compiler lines shown to the student
DEFAULT_BUILD_LIMITS = bounds.resolve({})


def cache_root() -> Path:
    return cache_base() / "builds"


@dataclass
class Built:
    exercise: Exercise
    ok: bool
    dir: Path | None          # holds bin/ and tests/
    log: str                  # compiler output (first errors first)
    cached: bool
    seconds: float


def _hash_files(h, files):
    for f in sorted(files):
        h.update(str(f.relative_to(paths.ROOT)).encode() + b"\0")
        h.update(f.read_bytes() + b"\0")


_lab_digest_cache: dict[str, str] = {}


def _lab_digest(ex: Exercise) -> str:
    if ex.id not in _lab_digest_cache:
        h = hashlib.sha256()
        lab_files = [*paths.ROOT.joinpath("lab").rglob("*.?pp"), paths.ROOT / "CMakeLists.txt",
                     *paths.ROOT.joinpath("cmake").glob("*.cmake")]
        own = [f for f in ex.dir.rglob("*") if f.is_file() and f.name not in ex.files
               and f.suffix in (".cpp", ".hpp", ".h", ".toml")]
        hidden = list((paths.HIDDEN / ex.id / "unit").glob("*.cpp"))
        _hash_files(h, lab_files + own + hidden)
        h.update(_compiler_version().encode())
        _lab_digest_cache[ex.id] = h.hexdigest()
    return _lab_digest_cache[ex.id]


_cc_version: list[str] = []


def _compiler_version() -> str:
    if not _cc_version:
        try:
            _cc_version.append(subprocess.run(["c++", "--version"], capture_output=True,
                                              text=True).stdout)
        except OSError:
            _cc_version.append("unknown")
    return _cc_version[0]


def cache_key(st: Staged) -> str:
    h = hashlib.sha256(_lab_digest(st.exercise).encode())
    for name in sorted(st.files):
        h.update(name.encode() + b"\0" + st.files[name] + b"\0")
    return h.hexdigest()[:32]


def _limit_compiler(limits: dict):
    """Bounds of every process of a build: a template bomb or an #include of /dev/zero
    runs into them instead of into the machine."""
    def apply():
        mem, secs = limits["build_memory"], limits["build_time"]
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_CPU, (secs, secs))
        resource.setrlimit(resource.RLIMIT_FSIZE, (512 << 20, 512 << 20))
        resource.setrlimit(resource.RLIMIT_NPROC, (BUILD_PROCESSES, BUILD_PROCESSES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.setsid()
    return apply


# What a build may read of the lab: its build files, the support library and the exercises'
# own headers, mains and tests. Not solutions/, not the grader, not .git or other builds.
LAB_PARTS = ("CMakeLists.txt", "cmake", "lab", "exercises")


def _sandboxed(cmd: list[str], stage_dir: Path, build_dir: Path, hidden: bool) -> sandbox.Prepared:
    """The build sees the lab's public parts and the staged files read-only and writes only
    its build directory (and the compiler cache). The hidden unit tests are visible only
    when `hidden`: to configure, and to compile the hidden tests once the student's files
    are already compiled (so no #include in a student file can reach them)."""
    ro = [(str(paths.ROOT / part), str(paths.ROOT / part)) for part in LAB_PARTS]
    ro.append((str(stage_dir), str(stage_dir)))
    if hidden and paths.HIDDEN.is_dir():
        ro.append((str(paths.HIDDEN), str(paths.HIDDEN)))
    rw = [(str(build_dir), str(build_dir))]
    env = sandbox.default_env()
    ccache = _ccache_dir()
    if ccache:
        rw.append((str(ccache), str(ccache)))
        env.update(CCACHE_DIR=str(ccache), CCACHE_NOHASHDIR="1", CCACHE_BASEDIR=str(build_dir.parent),
                   CCACHE_UMASK="022")
    uid = os.getuid() or sandbox.STUDENT_UID
    gid = os.getgid() or sandbox.STUDENT_GID
    if os.geteuid() == 0:
        # The build runs as nobody (sandbox.prepare): it must be able to write its outputs.
        for d in (build_dir, ccache):
            if d:
                _chown_tree(d, sandbox.STUDENT_UID, sandbox.STUDENT_GID)
    return sandbox.prepare(cmd, sandbox.Mounts(ro=ro, rw=rw), cwd=str(build_dir), uid=uid,
                           gid=gid, env=env)


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    st = root.stat()
    if (st.st_uid, st.st_gid) == (uid, gid):
        return  # done before (the ccache tree is large: only its top is checked)
    for p in [root, *root.rglob("*")]:
        os.lchown(p, uid, gid)


def _ccache_dir() -> Path | None:
    """The compiler cache shared by every build: the lab's tests are the same in every
    submission, so after the first build only the student's files are compiled."""
    if not shutil.which("ccache") or os.environ.get("IPCLAB_NO_CCACHE"):
        return None
    d = cache_root().parent / "ccache"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _first_errors(log: str) -> str:
    """The compiler's first errors, without the build tool's noise (progress lines and the
    long compiler command lines); a note the grader added (a time limit) comes first."""
    notes = [l for l in log.splitlines()[:2] if l.startswith("the build took longer")]
    lines = [l for l in log.splitlines() if not l.startswith(("[", "ninja:", "FAILED:", "ccache "))
             and "Building CXX" not in l and not re.match(r"\S*(c\+\+|g\+\+)\s+-", l)
             and l not in notes]
    errors = [i for i, l in enumerate(lines) if re.search(r"\berror\b", l)]
    start = max(0, errors[0] - 2) if errors else 0
    return "\n".join(notes + lines[start:start + ERROR_LINES])


def build_all(staged: list[Staged], work: Path, jobs: int = 2,
              use_sandbox: bool = True) -> dict[str, Built]:
    """Builds every staged exercise that is not in the cache; returns one Built per exercise
    that could be staged."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    results: dict[str, Built] = {}
    todo = []
    for st in staged:
        if st.problem:
            continue
        key = cache_key(st)
        done = root / key
        if (done / "ok").exists() or (done / "failed").exists():
            ok = (done / "ok").exists()
            results[st.exercise.id] = Built(st.exercise, ok, done if ok else None,
                                            (done / "log.txt").read_text(errors="replace"),
                                            True, 0.0)
        else:
            todo.append((st, key))
    if not todo:
        return results

    stage_dir = work / "stage"
    build_dir = work / "cmake"
    build_dir.mkdir(parents=True, exist_ok=True)
    fragment = build_dir / "ipclab_exercises.cmake"
    fragment.write_text(cmake_fragment([st.exercise for st, _ in todo]))
    configure = ["cmake", "-S", str(paths.ROOT), "-B", str(build_dir), "-G", "Ninja",
                 f"-DIPCLAB_SOURCE={stage_dir}", f"-DIPCLAB_MANIFEST_CMAKE={fragment}",
                 f"-DIPCLAB_HIDDEN_DIR={paths.HIDDEN}", "-DCMAKE_BUILD_TYPE=Debug"]
    if _ccache_dir():
        configure.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
    t0 = time.monotonic()
    r = _run(configure, stage_dir, build_dir, use_sandbox, DEFAULT_BUILD_LIMITS, hidden=True)
    if r.returncode != 0:
        for st, key in todo:
            results[st.exercise.id] = Built(st.exercise, False, None,
                                            "cmake configure failed:\n" + r.stdout[-3000:],
                                            False, time.monotonic() - t0)
        return results
    for st, key in todo:
        t1 = time.monotonic()
        ok, log = _build_exercise(st.exercise, stage_dir, build_dir, use_sandbox, jobs)
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))
        (tmp / "log.txt").write_text(log if ok else _first_errors(log) + "\n\n" + log[-20000:])
        if ok:
            for sub, names in (("bin", [b.name for b in st.exercise.binaries]),
                               ("tests", [f"{st.exercise.id}-unit", f"{st.exercise.id}-hidden"])):
                (tmp / sub).mkdir()
                for name in names:
                    src = build_dir / sub / name
                    if src.exists():
                        shutil.copy2(src, tmp / sub / name)
        (tmp / ("ok" if ok else "failed")).write_text(json.dumps({"seconds": time.monotonic() - t1}))
        # Everything in the cache is readable by the sandbox's unprivileged user.
        for p in [tmp, *tmp.rglob("*")]:
            p.chmod(0o755 if p.is_dir() or os.access(p, os.X_OK) else 0o644)
        final = root / key
        try:
            os.rename(tmp, final)
        except OSError:  # another grade built the same files first: theirs is as good
            shutil.rmtree(tmp, ignore_errors=True)
        ok = (final / "ok").exists()
        results[st.exercise.id] = Built(st.exercise, ok, final if ok else None,
                                        (final / "log.txt").read_text(errors="replace"),
                                        False, time.monotonic() - t1)
    return results


def _build_exercise(ex: Exercise, stage_dir: Path, build_dir: Path, use_sandbox: bool,
                    jobs: int) -> tuple[bool, str]:
    """Two steps: first everything the student's files go into, with the hidden tests out of
    sight; then the hidden tests alone, which only link against what is already compiled."""
    limits = ex.limits
    public = [b.name for b in ex.binaries] + [f"{ex.id}-unit"]
    r = _run(["cmake", "--build", str(build_dir), "--target", *public, "--", f"-j{jobs}"],
             stage_dir, build_dir, use_sandbox, limits, hidden=False)
    log = _timeout_note(r, limits) + r.stdout
    if r.returncode != 0 or not any((paths.HIDDEN / ex.id / "unit").glob("*.cpp")):
        return r.returncode == 0, log
    hidden = ["cmake", "--build", str(build_dir), "--target", f"{ex.id}-hidden", "--"]
    plan = _run(hidden + ["-n", "-v"], stage_dir, build_dir, use_sandbox, limits, hidden=True)
    if plan.returncode != 0 or str(stage_dir) in plan.stdout:
        # The hidden step would compile a student file with the hidden tests in sight.
        return False, log + "\ninternal: the hidden tests' build wanted to recompile the " \
                            "student's files; nothing was built\n" + plan.stdout[-2000:]
    r = _run(hidden + [f"-j{jobs}"], stage_dir, build_dir, use_sandbox, limits, hidden=True)
    return r.returncode == 0, log + _timeout_note(r, limits) + r.stdout


def _timeout_note(r, limits) -> str:
    if r.returncode == -9:
        return f"the build took longer than {limits['build_time']} s and was stopped\n"
    return ""


def _run(cmd, stage_dir, build_dir, use_sandbox, limits, hidden):
    box = _sandboxed(cmd, stage_dir, build_dir, hidden) if use_sandbox else sandbox.Prepared(cmd)
    try:
        p = subprocess.Popen(box.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, pass_fds=box.pass_fds,
                             preexec_fn=_limit_compiler(limits))
    finally:
        box.close()
    argv = box.argv
    try:
        out, _ = p.communicate(timeout=limits["build_time"])
        return subprocess.CompletedProcess(argv, p.returncode, out.decode(errors="replace")[-200000:])
    except subprocess.TimeoutExpired:
        box.kill()   # the compilers run in the sandbox's PID namespace: they all die here
        os.killpg(p.pid, 9)
        out, _ = p.communicate()
        return subprocess.CompletedProcess(argv, -9, out.decode(errors="replace")[-200000:])
    finally:
        box.kill()
