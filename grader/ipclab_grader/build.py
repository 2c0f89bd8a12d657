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

from . import paths
from .manifest import Exercise
from .stage import Staged

BUILD_TIMEOUT = 180        # seconds for one exercise's compile and link
BUILD_MEMORY = 3 << 30     # address space of each compiler process
ERROR_LINES = 15           # compiler lines shown to the student


def cache_root() -> Path:
    base = os.environ.get("IPCLAB_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ipclab")
    return Path(base) / "builds"


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


def _limit_compiler():
    resource.setrlimit(resource.RLIMIT_AS, (BUILD_MEMORY, BUILD_MEMORY))
    resource.setrlimit(resource.RLIMIT_FSIZE, (512 << 20, 512 << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.setsid()


def _sandboxed(cmd: list[str], stage_dir: Path, build_dir: Path) -> list[str]:
    """The build sees the lab read-only (never solutions/ or other exercises' hidden tests),
    the staged files read-only, and writes only its build directory."""
    m = sandbox.Mounts(ro=[(str(paths.ROOT), str(paths.ROOT)), (str(stage_dir), str(stage_dir))],
                       rw=[(str(build_dir), str(build_dir))])
    argv = sandbox.bwrap_argv(cmd, m, cwd=str(build_dir), uid=os.getuid() if os.getuid() else 65534,
                              gid=os.getgid() if os.getgid() else 65534)
    # Hide what a build must never read, even by an #include with an absolute path.
    i = argv.index("--chdir")
    hide = []
    for secret in (paths.SOLUTIONS, paths.ROOT / ".git", paths.ROOT / "build"):
        if secret.exists():
            hide += ["--tmpfs", str(secret)]
    return argv[:i] + hide + argv[i:]


def _first_errors(log: str) -> str:
    lines = [l for l in log.splitlines() if not l.startswith(("[", "ninja:", "FAILED:"))
             and "Building CXX" not in l]
    errors = [i for i, l in enumerate(lines) if re.search(r"\berror\b", l)]
    start = max(0, errors[0] - 2) if errors else 0
    return "\n".join(lines[start:start + ERROR_LINES])


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
    ids = ";".join(st.exercise.id for st, _ in todo)
    configure = ["cmake", "-S", str(paths.ROOT), "-B", str(build_dir), "-G", "Ninja",
                 f"-DIPCLAB_SOURCE={stage_dir}", f"-DIPCLAB_EXERCISES={ids}",
                 f"-DIPCLAB_HIDDEN_DIR={paths.HIDDEN}", "-DCMAKE_BUILD_TYPE=Debug"]
    t0 = time.monotonic()
    r = _run(configure, stage_dir, build_dir, use_sandbox, timeout=120)
    if r.returncode != 0:
        for st, key in todo:
            results[st.exercise.id] = Built(st.exercise, False, None,
                                            "cmake configure failed:\n" + r.stdout[-3000:],
                                            False, time.monotonic() - t0)
        return results
    for st, key in todo:
        t1 = time.monotonic()
        r = _run(["cmake", "--build", str(build_dir), "--target", f"ex-{st.exercise.id}",
                  "--", f"-j{jobs}"], stage_dir, build_dir, use_sandbox, timeout=BUILD_TIMEOUT)
        log = r.stdout
        ok = r.returncode == 0
        if r.returncode == -9 or r.returncode is None:
            log = f"the build took longer than {BUILD_TIMEOUT} s and was stopped\n" + log
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


def _run(cmd, stage_dir, build_dir, use_sandbox, timeout):
    argv = _sandboxed(cmd, stage_dir, build_dir) if use_sandbox else cmd
    try:
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, preexec_fn=_limit_compiler)
        out, _ = p.communicate(timeout=timeout)
        return subprocess.CompletedProcess(argv, p.returncode, out.decode(errors="replace")[-200000:])
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        out, _ = p.communicate()
        return subprocess.CompletedProcess(argv, -9, out.decode(errors="replace")[-200000:])
