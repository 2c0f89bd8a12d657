"""Step 3 of a grade: build each exercise on its own, sandboxed, cached by content.

The cache key of an exercise is the hash of everything its programs are made of: the
student's files, the lab's own files for it (header, mains, tests, support library, build
files, hidden unit tests) and the compiler. Two submissions with the same files share one
build; a warm grade builds nothing."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import resource
import shlex
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ipclab_harness import sandbox

from ipclab_harness import limits as bounds
from ipclab_harness.cachedir import cache_base

from .. import integrity
from ... import paths
from ...manifest import Exercise, cmake_fragment
from ..stage import Staged

BUILD_PROCESSES = 256      # processes of one build (compiler drivers, ninja, cmake)
WALL_MARGIN = 60           # wall-clock seconds a build may take beyond its CPU limit
TEMPLATE_WALL = 3600       # wall-clock seconds for the lab's own build, once per lab version
# Part of every cache key: change it when how a build is made changes, and cached results
# (failures included) made the old way are not reused.
RECIPE = "ipclab-build/9"
ERROR_LINES = 15           # compiler lines shown to the student
DEFAULT_BUILD_LIMITS = bounds.resolve({})


def worker_name(ex: Exercise) -> str:
    """The program that holds the student's files behind the unit tests' socket."""
    return f"{ex.id}-worker"


def test_program_names(ex: Exercise) -> list[str]:
    """The lab's unit-test programs of an exercise: <id>-hidden (visible and hidden tests,
    where the grader has hidden ones), <id>-unit (the visible ones)."""
    return [f"{ex.id}-hidden", f"{ex.id}-unit"]


def student_library(ex: Exercise) -> str:
    """The shared object the exercise's student files become (IPCLAB_SHARED_STUDENT): its
    programs and its worker load it from their own folder."""
    return f"lib{ex.id}-student.so"


def has_hidden_tests(ex: Exercise) -> bool:
    return any((paths.HIDDEN / ex.id / "unit").glob("*.cpp"))


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
    # What the student's objects reach for that no solution needs (integrity.py).
    integrity: list = field(default_factory=list)


def _hash_files(h, files):
    for f in sorted(files):
        h.update(str(f.relative_to(paths.ROOT)).encode() + b"\0")
        h.update(f.read_bytes() + b"\0")


_lab_digest_cache: dict[str, str] = {}


def _lab_digest(ex: Exercise) -> str:
    if ex.id not in _lab_digest_cache:
        h = hashlib.sha256()
        # integrity.py: its findings are kept with the build.
        lab_files = [*paths.ROOT.joinpath("lab").rglob("*.?pp"), paths.ROOT / "CMakeLists.txt",
                     *paths.ROOT.joinpath("cmake").glob("*.cmake"),
                     paths.ROOT / "grader" / "ipclab_grader" / "pipeline" / "integrity.py"]
        own = [f for f in ex.dir.rglob("*") if f.is_file() and f.name not in ex.files
               and f.suffix in (".cpp", ".hpp", ".h", ".toml")]
        hidden = list((paths.HIDDEN / ex.id / "unit").glob("*.cpp"))
        _hash_files(h, lab_files + own + hidden)
        h.update(_compiler_version().encode())
        h.update(RECIPE.encode())
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


# Where a sandboxed build sees the staged files and its build directory: the same paths for
# every submission, so one configured build directory serves them all (_configured).
BOX_STAGE = "/ipclab/stage"
BOX_BUILD = "/ipclab/build"


def _sandboxed(cmd: list[str], stage_dir: Path, build_dir: Path, hidden: bool) -> sandbox.Prepared:
    """The build sees the lab's public parts and the staged files read-only and writes only
    its build directory (and the compiler cache). The hidden unit tests are visible only
    when `hidden`: to configure, and to compile the hidden tests once the student's files
    are already compiled (so no #include in a student file can reach them)."""
    ro = [(str(paths.ROOT / part), str(paths.ROOT / part)) for part in LAB_PARTS]
    ro.append((str(stage_dir), BOX_STAGE))
    if hidden and paths.HIDDEN.is_dir():
        ro.append((str(paths.HIDDEN), str(paths.HIDDEN)))
    rw = [(str(build_dir), BOX_BUILD)]
    env = sandbox.default_env()
    ccache = _ccache_dir()
    if ccache:
        rw.append((str(ccache), str(ccache)))
        # pch_defines, time_macros: what ccache needs to cache the precompiled header and
        # the files compiled with it.
        env.update(CCACHE_DIR=str(ccache), CCACHE_NOHASHDIR="1", CCACHE_BASEDIR=str(Path(BOX_BUILD).parent),
                   CCACHE_UMASK="022", CCACHE_SLOPPINESS="pch_defines,time_macros")
    uid = os.getuid() or sandbox.STUDENT_UID
    gid = os.getgid() or sandbox.STUDENT_GID
    if os.geteuid() == 0:
        # The build runs as nobody (sandbox.prepare): it must be able to write its outputs.
        for d in (build_dir, ccache):
            if d:
                _chown_tree(d, sandbox.STUDENT_UID, sandbox.STUDENT_GID)
    return sandbox.prepare(cmd, sandbox.Mounts(ro=ro, rw=rw), cwd=BOX_BUILD, uid=uid,
                           gid=gid, env=env, processes=BUILD_PROCESSES)


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
    d = Path(os.environ.get("IPCLAB_CCACHE") or cache_root().parent / "ccache")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _first_errors(log: str) -> str:
    """The compiler's first errors, without the build tool's noise (progress lines and the
    long compiler command lines); a note the grader added (a time limit) comes first."""
    notes = [l for l in log.splitlines() if l.startswith(("the build took longer",
                                                         "the compiler was stopped"))][:2]
    lines = [l for l in log.splitlines() if not l.startswith(("[", "ninja:", "FAILED:", "ccache ", ": && "))
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
                                            True, 0.0, _findings(done))
        else:
            todo.append((st, key))
    if not todo:
        return _with_lines(results, staged)

    stage_dir = work / "stage"
    build_dir = work / "cmake"
    t0 = time.monotonic()
    # Configured for every exercise asked for (one configuration serves every submission);
    # only those that need it are built.
    problem, programs, needs = _configured(build_dir, stage_dir, [st.exercise for st in staged],
                                           use_sandbox)
    if problem:
        for st, key in todo:
            results[st.exercise.id] = Built(st.exercise, False, None,
                                            "cmake configure failed:\n" + problem[-3000:],
                                            False, time.monotonic() - t0)
        return results
    t1 = time.monotonic()
    outcome = _build_together([st.exercise for st, _ in todo], stage_dir, build_dir,
                              use_sandbox, jobs, needs)
    findings = _scan(todo, stage_dir, build_dir, use_sandbox)
    seconds = time.monotonic() - t1
    staged_at = f"{BOX_STAGE if use_sandbox else stage_dir}/"
    for st, key in todo:
        ok, log = outcome[st.exercise.id]
        # The compiler names the student's file where the student has it.
        log = re.sub(rf"(?<![\w.]){re.escape(staged_at)}", "exercises/", log)
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))
        (tmp / "log.txt").write_text(log if ok else _first_errors(log) + "\n\n" + log[-20000:])
        if ok:
            ex = st.exercise
            (tmp / "bin").mkdir()
            (tmp / "tests").mkdir()
            # The student's files, as one shared object, beside the programs and the worker
            # that load it; the programs, the worker and the test programs are the lab's,
            # linked once per version of the lab (or here, unsandboxed) and shared with the
            # template by hard link.
            lib = student_library(ex)
            shutil.copy2(build_dir / "bin" / lib, tmp / "bin" / lib)
            os.link(tmp / "bin" / lib, tmp / "tests" / lib)
            for b in ex.binaries:
                src = programs / "bin" / b.name if needs is not None else build_dir / "bin" / b.name
                _link_or_copy(str(src), str(tmp / "bin" / b.name), always=True)
            _link_or_copy(str(programs / worker_name(ex)), str(tmp / "tests" / worker_name(ex)),
                          always=True)
            for name in test_program_names(ex):
                if (programs / name).exists():
                    _link_or_copy(str(programs / name), str(tmp / "tests" / name), always=True)
        (tmp / "integrity.json").write_text(json.dumps(
            [f.to_json() for f in findings.get(st.exercise.id, [])]))
        (tmp / ("ok" if ok else "failed")).write_text(json.dumps({"seconds": seconds}))
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
                                        False, seconds, _findings(final))
    return _with_lines(results, staged)


def _with_lines(results: dict[str, Built], staged: list[Staged]) -> dict[str, Built]:
    """Each finding's line in the student's file, told from the source (never cached)."""
    for st in staged:
        b = results.get(st.exercise.id)
        if b is not None and b.integrity:
            integrity.locate_lines(b.integrity, {n: st.files[n].decode("utf-8", errors="replace")
                                                 for n in st.files})
    return results


def _findings(entry: Path) -> list:
    try:
        return [integrity.Finding(**f) for f in
                json.loads((entry / "integrity.json").read_text())]
    except (OSError, ValueError, TypeError):
        return []


def _scan(todo: list, stage_dir: Path, build_dir: Path, use_sandbox: bool) -> dict:
    """integrity.py's findings for the exercises just built, read in the build's sandbox."""
    exercise_of = {}
    for st, _ in todo:
        for name in st.exercise.files:
            for obj in build_dir.glob(f"CMakeFiles/{st.exercise.id}-student.dir/**/{name}.o"):
                exercise_of[str(obj.relative_to(build_dir))] = (st.exercise.id, name)
    if not exercise_of:
        return {}
    r = _run(["sh", "-c", integrity.scan_script()], stage_dir, build_dir, use_sandbox,
             DEFAULT_BUILD_LIMITS, hidden=False)
    allowed = {st.exercise.id: set(st.exercise.integrity_allow) for st, _ in todo}
    return integrity.parse(r.stdout, exercise_of, allowed)


def _configure_command(build: str, stage: str, fragment: str) -> list[str]:
    cmd = ["cmake", "-S", str(paths.ROOT), "-B", build, "-G", "Ninja",
           f"-DIPCLAB_SOURCE={stage}", f"-DIPCLAB_MANIFEST_CMAKE={fragment}",
           f"-DIPCLAB_HIDDEN_DIR={paths.HIDDEN}", "-DCMAKE_BUILD_TYPE=Debug",
           # No debug information: nobody runs a debugger on a grade, and without it
           # compiling and linking take a fifth less.
           "-DCMAKE_CXX_FLAGS_DEBUG=-g0", "-DIPCLAB_SHARED_STUDENT=ON"]
    if _ccache_dir():
        cmd.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
    if shutil.which("ld.gold"):
        # A grade links ~30 programs: gold does it in a third of the time of the default ld,
        # and without a build id (only a debugger's symbol files use it) a tenth faster still.
        cmd += ["-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=gold -Wl,--build-id=none",
                "-DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=gold -Wl,--build-id=none"]
    return cmd


def _configured(build_dir: Path, stage_dir: Path, exercises: list[Exercise],
                use_sandbox: bool) -> tuple[str, Path, dict | None]:
    """Makes build_dir a configured CMake build of `exercises`. Returns CMake's output when
    that fails ("" otherwise), the folder that holds the lab's unit-test programs and
    workers (and, from a template, bin/ with its programs), and from a template what each
    exercise's programs need of the student's shared object (None: unsandboxed, where they
    are linked here against it).

    Sandboxed, every build sees the same paths (BOX_STAGE, BOX_BUILD), so the lab is
    configured and its own objects (precompiled header, mains, worker tables) compiled, and
    its unit-test programs, exercise programs and workers linked, once per version of the
    lab: each submission starts from a copy, compiles its own files and links each
    exercise's into one shared object (IPCLAB_SHARED_STUDENT) its programs load. The test programs, hidden tests and all, never
    enter a submission's build: they hold no student file (lab/include/ipclab/remote.hpp)."""
    fragment = cmake_fragment(exercises)
    if not use_sandbox:
        build_dir.mkdir(parents=True, exist_ok=True)
        (build_dir / "ipclab_exercises.cmake").write_text(fragment)
        r = _run(_configure_command(str(build_dir), str(stage_dir),
                                    str(build_dir / "ipclab_exercises.cmake")),
                 stage_dir, build_dir, False, DEFAULT_BUILD_LIMITS, hidden=True)
        if r.returncode != 0:
            return r.stdout, build_dir / "tests", None
        # Unsandboxed there is no template: the lab's test programs are linked here.
        targets = [n for ex in exercises for n in test_program_names(ex)
                   if n.endswith("-unit") or has_hidden_tests(ex)]
        _run(["ninja", "-C", str(build_dir), "-k", "0", *targets], stage_dir, build_dir, False,
             DEFAULT_BUILD_LIMITS, hidden=True)
        return "", build_dir / "tests", None
    h = hashlib.sha256(fragment.encode())
    for ex in sorted(exercises, key=lambda e: e.id):
        # The lab's sources (the hidden unit tests CMake globs included), compiler and recipe.
        h.update(_lab_digest(ex).encode())
    for f in sorted(paths.ROOT.joinpath("exercises").glob("*/exercise.toml")):
        h.update(f.read_bytes())             # CMake re-configures when a manifest changes
    h.update(" ".join(_configure_command(BOX_BUILD, BOX_STAGE, "")).encode())
    for ex in sorted(exercises, key=lambda e: e.id):
        for name in ex.files:            # the programs are linked against the skeleton's
            h.update(_skeleton(ex, name))
    template = cache_root().parent / "configured" / h.hexdigest()[:32]
    if not (template / "ok").exists():
        template.parent.mkdir(parents=True, exist_ok=True)
        # One grade makes it; the others of a batch wait for it rather than all compile it.
        with open(template.parent / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            problem = "" if (template / "ok").exists() else \
                _make_template(template, exercises, fragment)
        if problem:
            return problem, None, None
    shutil.copytree(template / "build", build_dir, symlinks=True, copy_function=_link_or_copy)
    return "", template / "programs", json.loads((template / "programs" / "needs.json").read_text())


# Files this large (the precompiled header) are shared with the template, not copied; the
# template's copy is read-only, so a build that wanted to rewrite one could not reach it.
LINK_ABOVE = 1 << 20


def _link_or_copy(src: str, dst: str, always: bool = False) -> None:
    if always or os.path.getsize(src) > LINK_ABOVE:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass   # another file system: a copy does as well
    shutil.copy2(src, dst)


# Set by the student commands (progress.py): in a student's lab the file in exercises/ is the
# student's work, and a template keyed by it would be made again at every edit; they give the
# copy of the skeleton they keep (pristine.py). Elsewhere exercises/ holds the skeletons.
skeleton_of = None


def _skeleton(ex: Exercise, name: str) -> bytes:
    """The exercise's file as the lab shipped it."""
    kept = skeleton_of(ex, name) if skeleton_of else None
    return kept or (ex.dir / name).read_bytes()


def _make_template(template: Path, exercises: list[Exercise], fragment: str) -> str:
    """Configures the lab at the sandbox's fixed paths, against the skeletons as stand-ins
    for the student files, compiles the lab's own objects, links its unit-test programs, and
    the exercises' programs and workers against the skeletons' shared objects (they load the
    student's in its place), notes what each exercise's programs need of that shared object,
    moves the programs out of the build submissions copy (and removes the hidden tests'
    objects and everything made of the skeletons), and publishes it all atomically."""
    template.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=template.parent, prefix=".tmp-"))
    try:
        scratch.chmod(0o755)
        stage, build, programs = scratch / "stage", scratch / "build", scratch / "programs"
        for ex in exercises:
            (stage / ex.id).mkdir(parents=True, exist_ok=True)
            for name in ex.files:
                # The skeleton: the programs and the worker are linked against its shared
                # object, and load the student's in its place.
                (stage / ex.id / name).write_bytes(_skeleton(ex, name))
        build.mkdir()
        programs.mkdir()
        (build / "ipclab_exercises.cmake").write_text(fragment)
        for p in [scratch, *scratch.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        r = _run(_configure_command(BOX_BUILD, BOX_STAGE, f"{BOX_BUILD}/ipclab_exercises.cmake"),
                 stage, build, True, DEFAULT_BUILD_LIMITS, hidden=True)
        if r.returncode != 0:
            return r.stdout
        listing = _run(["ninja", "-C", BOX_BUILD, "-t", "targets", "all"], stage, build, True,
                       DEFAULT_BUILD_LIMITS, hidden=True)
        lab_objects = [line.split(":")[0] for line in listing.stdout.splitlines()
                       if re.match(r"\S+\.(o|gch):", line) and "-student.dir/" not in line]
        tests = [n for ex in exercises for n in test_program_names(ex)
                 if n.endswith("-unit") or has_hidden_tests(ex)]
        # The lab's own objects and test programs: when they do not compile, each build
        # says so, as before (its unit tests cannot run).
        mains = [b.name for ex in exercises for b in ex.binaries]
        workers = [worker_name(ex) for ex in exercises]
        # The lab's code, not a student's: no exercise's wall-clock allowance, which a loaded
        # machine's first class outran (the template was kept without its test programs).
        r = _run(["ninja", "-C", BOX_BUILD, "-k", "0", "ipclab_support", "ipclab_remote_worker",
                  *lab_objects, *tests, *mains, *workers], stage, build, True,
                 DEFAULT_BUILD_LIMITS, hidden=True, wall=TEMPLATE_WALL)
        if r.returncode == -9:
            return f"the lab's own build took longer than {TEMPLATE_WALL} s:\n" + r.stdout[-3000:]
        # What each exercise's programs take from the student's shared object: what they
        # leave undefined that the skeleton's defines (read in the sandbox, as any object).
        listing = _run(["sh", "-c", _symbols_script(
            [f"bin/{student_library(ex)}" for ex in exercises]
            + [f"bin/{m}" for m in mains] + [f"tests/{w}" for w in workers])],
            stage, build, True, DEFAULT_BUILD_LIMITS, hidden=False)
        symbols = _parse_symbols(listing.stdout)
        needs = {}
        for ex in exercises:
            offered = symbols.get(f"bin/{student_library(ex)}", (set(), set()))[0]
            wanted = set()
            for prog in [f"bin/{b.name}" for b in ex.binaries] + [f"tests/{worker_name(ex)}"]:
                wanted |= symbols.get(prog, (set(), set()))[1]
            needs[ex.id] = sorted(wanted & offered)
        (programs / "bin").mkdir()
        for name in tests + workers:
            if (build / "tests" / name).exists():
                os.rename(build / "tests" / name, programs / name)
        for name in mains:
            if (build / "bin" / name).exists():
                os.rename(build / "bin" / name, programs / "bin" / name)
        (programs / "needs.json").write_text(json.dumps(needs))
        # Nothing of the skeleton stays: each submission compiles and links its own files
        # (an object left here could look newer than a student's file of an old date).
        for ex in exercises:
            (build / "bin" / student_library(ex)).unlink(missing_ok=True)
            shutil.rmtree(build / "CMakeFiles" / f"{ex.id}-student.dir", ignore_errors=True)
            (build / "CMakeFiles" / f"{ex.id}-student.dir").mkdir()
        # A submission's build never sees the hidden tests, not even compiled.
        for d in build.glob("CMakeFiles/*-hidden.dir"):
            shutil.rmtree(d)
        for big in build.rglob("*"):
            if big.is_file() and big.stat().st_size > LINK_ABOVE:
                big.chmod(0o444)
        shutil.rmtree(stage)
        (scratch / "ok").touch()
        try:
            os.rename(scratch, template)
        except OSError:
            pass  # another grade made it first: theirs is the same
        return ""
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _build_together(exercises: list[Exercise], stage_dir: Path, build_dir: Path,
                    use_sandbox: bool, jobs: int, needs: dict | None = None
                    ) -> dict[str, tuple[bool, str]]:
    """Builds what the students' files go into -- each exercise's shared object, and where
    there is no template (`needs` None) its programs and its worker -- in one ninja run that
    keeps going past failures (-k 0), so one exercise that does not compile stops no other.
    From a template, the shared object must define what the lab's programs need of it (a
    function of the header the file does not define is the link error it always was).
    Returns (ok, log) per exercise; a log holds only the failures of that exercise's own
    targets."""
    limits = _together_limits(exercises)
    if needs is None:
        targets = {ex.id: [b.name for b in ex.binaries] + [worker_name(ex)] for ex in exercises}
    else:
        targets = {ex.id: [f"{ex.id}-student"] for ex in exercises}
    # ninja itself, not `cmake --build`: that wrapper costs 0.2 s of CPU per call to decide
    # what ninja decides anyway (build.ninja re-runs CMake when the lab's files change).
    build = BOX_BUILD if use_sandbox else str(build_dir)
    ninja = ["ninja", "-C", build, "-k", "0", f"-j{jobs}", *[t for ts in targets.values() for t in ts]]
    if needs is not None:
        # The shared objects' symbols, listed in the same sandbox once ninja is done.
        libs = [f"bin/{student_library(ex)}" for ex in exercises]
        ninja = ["sh", "-c", f"{shlex.join(ninja)}; rc=$?; cd {shlex.quote(build)} && "
                 f"{_symbols_script(libs)}; exit $rc"]
    r = _run(ninja, stage_dir, build_dir, use_sandbox, limits, hidden=False)
    stdout, _, listing = r.stdout.partition(SYMBOLS_MARK)
    symbols = _parse_symbols(SYMBOLS_MARK + listing) if needs is not None else {}
    note = _timeout_note(r, limits)
    blocks = _failure_blocks(stdout)
    out = {}
    for ex in exercises:
        mine = _blocks_of(ex, blocks)
        if needs is None:
            built = all((build_dir / "bin" / b.name).exists() for b in ex.binaries) and \
                (build_dir / "tests" / worker_name(ex)).exists() and not mine
        else:
            lib = f"bin/{student_library(ex)}"
            built = (build_dir / lib).exists() and not mine
            missing = sorted(set(needs.get(ex.id, [])) - symbols.get(lib, (set(), set()))[0])
            if built and missing:
                built = False
                mine = [_undefined_block(ex, missing)]
        log = note + "".join(_limit_note(b, limits) + b for b in mine)
        out[ex.id] = (built, log if log.strip() or built else note + stdout[-20000:])
    return out


SYMBOLS_MARK = "@@ipclab-symbols\n"


def _symbols_script(files: list[str]) -> str:
    """Lists, after SYMBOLS_MARK, each file's dynamic symbols: "@@file F", then nm's lines."""
    quoted = " ".join(shlex.quote(f) for f in files)
    return (f"printf '@@ipclab-symbols\\n'; for f in {quoted}; do [ -f \"$f\" ] || continue; "
            "echo \"@@file $f\"; nm -D -P \"$f\" 2>/dev/null | head -n 20000; done")


def _parse_symbols(text: str) -> dict[str, tuple[set[str], set[str]]]:
    """{file: (defined, undefined)} from _symbols_script's output."""
    out: dict[str, tuple[set[str], set[str]]] = {}
    current = None
    for line in text[:4_000_000].splitlines():
        if line.startswith("@@file "):
            current = out.setdefault(line[7:].strip(), (set(), set()))
            continue
        parts = line.split()
        if current is None or len(parts) < 2:
            continue
        name, kind = parts[0].split("@")[0], parts[1]
        (current[1] if kind in ("U", "w", "v") else current[0]).add(name)
    return out


def _undefined_block(ex: Exercise, missing: list[str]) -> str:
    """What the linker said when the programs linked the student's objects themselves."""
    try:
        plain = subprocess.run(["c++filt"], input="\n".join(missing), capture_output=True,
                               text=True, timeout=10).stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        plain = []
    if len(plain) != len(missing):
        plain = missing
    files = ", ".join(f"exercises/{ex.id}/{f}" for f in ex.files)
    return "".join(f"{files}: error: undefined reference to `{name}'\n" for name in plain[:20])


def _together_limits(exercises: list[Exercise]) -> dict:
    """One build of several exercises: each compiler keeps the largest per-exercise bounds
    (RLIMIT_CPU stops a runaway compile), and the whole build gets a wall-clock allowance."""
    limits = dict(DEFAULT_BUILD_LIMITS)
    limits["build_memory"] = max(ex.limits["build_memory"] for ex in exercises)
    limits["build_time"] = max(ex.limits["build_time"] for ex in exercises)
    return limits


def _failure_blocks(log: str) -> list[tuple[str, str]]:
    """ninja's failures: (the FAILED line, everything printed for it)."""
    blocks, current = [], None
    for line in log.splitlines(keepends=True):
        if line.startswith("FAILED: "):
            current = [line, [line]]
            blocks.append(current)
        elif re.match(r"\[\d+/\d+\] |ninja: ", line):
            current = None
        elif current is not None:
            current[1].append(line)
    return [(head, "".join(body)) for head, body in blocks]


def _blocks_of(ex: Exercise, blocks: list[tuple[str, str]]) -> list[str]:
    names = [f"{ex.id}-student", worker_name(ex), *(b.name for b in ex.binaries)]
    marks = [m for n in names for m in (f"CMakeFiles/{n}.dir/", f"bin/{n}", f"tests/{n}")]
    marks.append(f"bin/{student_library(ex)}")
    lab = ("CMakeFiles/ipclab_support.dir/", "libipclab_support")
    return [body for head, body in blocks if any(m in head for m in marks)
            or any(m in head for m in lab)]


def _timeout_note(r, limits) -> str:
    if r.returncode == -9:
        return f"the build took longer than {limits['build_time'] + WALL_MARGIN} s and was stopped\n"
    return ""


def _limit_note(block: str, limits: dict) -> str:
    """A compiler killed by the build's limits says only "Killed signal": say which limit."""
    if "Killed signal terminated program" in block or "CPU time limit exceeded" in block:
        return (f"the compiler was stopped: it used more than the {limits['build_time']} s of "
                f"CPU a compile may take (a template or constexpr computation without end?)\n")
    if "memory exhausted" in block or "std::bad_alloc" in block or "out of memory" in block:
        return (f"the compiler was stopped: it needed more than the "
                f"{limits['build_memory'] >> 20} MiB a compile may use\n")
    return ""


def _run(cmd, stage_dir, build_dir, use_sandbox, limits, hidden, wall=None):
    box = _sandboxed(cmd, stage_dir, build_dir, hidden) if use_sandbox else sandbox.Prepared(cmd)
    try:
        p = subprocess.Popen(box.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, pass_fds=box.pass_fds,
                             preexec_fn=_limit_compiler(limits))
    except BaseException:
        box.close()
        box.finish(None)
        raise
    box.close()
    argv = box.argv
    try:
        # Each compiler has build_time seconds of CPU (RLIMIT_CPU), so a runaway one dies and
        # ninja goes on with the rest; the wall clock is the backstop for one that sleeps.
        out, _ = p.communicate(timeout=wall or limits["build_time"] + WALL_MARGIN)
        return subprocess.CompletedProcess(argv, p.returncode, out.decode(errors="replace")[-200000:])
    except subprocess.TimeoutExpired:
        box.kill()   # the compilers run in the sandbox's PID namespace: they all die here
        os.killpg(p.pid, 9)
        out, _ = p.communicate()
        return subprocess.CompletedProcess(argv, -9, out.decode(errors="replace")[-200000:])
    finally:
        box.finish(p)   # waits for the sandbox's init too, and removes its cgroup
