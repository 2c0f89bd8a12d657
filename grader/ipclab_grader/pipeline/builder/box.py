"""The build's sandbox and its limits: every command of a build (cmake, ninja, nm, the
integrity scan) runs through run(), described by a BuildContext.

The build sees the lab's public parts and the staged files read-only and writes only its
build directory (and the compiler cache); every process of it has bounds on memory, CPU,
file size and processes, and the whole run a wall-clock allowance."""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path

from ipclab_harness import limits as bounds
from ipclab_harness import sandbox
from ipclab_harness.cachedir import cache_base

from ... import paths
from ...manifest import Exercise

BUILD_PROCESSES = 256  # processes of one build (compiler drivers, ninja, cmake)
WALL_MARGIN = 60  # wall-clock seconds a build may take beyond its CPU limit
DEFAULT_BUILD_LIMITS = bounds.resolve({})

# What a build may read of the lab: its build files, the support library and the exercises'
# own headers, mains and tests. Not solutions/, not the grader, not .git or other builds.
LAB_PARTS = ("CMakeLists.txt", "cmake", "lab", "exercises")

# Where a sandboxed build sees the staged files and its build directory: the same paths for
# every submission, so one configured build directory serves them all (template.py).
BOX_STAGE = "/ipclab/stage"
BOX_BUILD = "/ipclab/build"


@dataclass(frozen=True)
class BuildContext:
    """Where and how a build's commands run.

    stage_dir    the staged files (the sandbox sees them at BOX_STAGE)
    build_dir    the build directory, the only one written (BOX_BUILD in the sandbox)
    use_sandbox  in bubblewrap, or unsandboxed where no sandbox can be built
    limits       the bounds of every process (build_memory, build_time: ipclab_harness.limits)
    hidden       whether the hidden unit tests are visible: to configure, and to compile the
                 hidden tests once the student's files are compiled (so no #include in a
                 student file can reach them); never for a command over student objects
    wall         the wall-clock seconds of the whole command (None: build_time + WALL_MARGIN)"""

    stage_dir: Path
    build_dir: Path
    use_sandbox: bool
    limits: dict = field(default_factory=lambda: DEFAULT_BUILD_LIMITS)
    hidden: bool = False
    wall: int | None = None

    def but(self, **changes) -> BuildContext:
        """The same context with `changes` (hidden=True, wall=..., limits=...)."""
        return replace(self, **changes)

    @property
    def build_path(self) -> str:
        """The build directory as the build's commands see it."""
        return BOX_BUILD if self.use_sandbox else str(self.build_dir)

    @property
    def stage_path(self) -> str:
        """The staged files' folder as the build's commands (and so the compiler) see it."""
        return BOX_STAGE if self.use_sandbox else str(self.stage_dir)


def together_limits(exercises: list[Exercise]) -> dict:
    """One build of several exercises: each compiler keeps the largest per-exercise bounds
    (RLIMIT_CPU stops a runaway compile), and the whole build gets a wall-clock allowance."""
    limits = dict(DEFAULT_BUILD_LIMITS)
    limits["build_memory"] = max(ex.limits["build_memory"] for ex in exercises)
    limits["build_time"] = max(ex.limits["build_time"] for ex in exercises)
    return limits


def run(ctx: BuildContext, cmd: list[str]) -> subprocess.CompletedProcess:
    """`cmd` in the build's sandbox (or unsandboxed), stdout and stderr together, with the
    context's limits; past the wall clock everything it started is killed (returncode -9)."""
    box = _sandboxed(ctx, cmd) if ctx.use_sandbox else sandbox.Prepared(cmd)
    try:
        p = subprocess.Popen(
            box.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            pass_fds=box.pass_fds,
            preexec_fn=_limit_compiler(ctx.limits),
        )
    except BaseException:
        box.close()
        box.finish(None)
        raise
    box.close()
    argv = box.argv
    try:
        # Each compiler has build_time seconds of CPU (RLIMIT_CPU), so a runaway one dies and
        # ninja goes on with the rest; the wall clock is the backstop for one that sleeps.
        out, _ = p.communicate(timeout=ctx.wall or ctx.limits["build_time"] + WALL_MARGIN)
        return subprocess.CompletedProcess(
            argv, p.returncode, out.decode(errors="replace")[-200000:]
        )
    except subprocess.TimeoutExpired:
        box.kill()  # the compilers run in the sandbox's PID namespace: they all die here
        os.killpg(p.pid, 9)
        out, _ = p.communicate()
        return subprocess.CompletedProcess(argv, -9, out.decode(errors="replace")[-200000:])
    finally:
        box.finish(p)  # waits for the sandbox's init too, and removes its cgroup


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


def _sandboxed(ctx: BuildContext, cmd: list[str]) -> sandbox.Prepared:
    """The build sees the lab's public parts and the staged files read-only and writes only
    its build directory (and the compiler cache); the hidden unit tests only when
    `ctx.hidden`."""
    ro = [(str(paths.ROOT / part), str(paths.ROOT / part)) for part in LAB_PARTS]
    ro.append((str(ctx.stage_dir), BOX_STAGE))
    if ctx.hidden and paths.HIDDEN.is_dir():
        ro.append((str(paths.HIDDEN), str(paths.HIDDEN)))
    rw = [(str(ctx.build_dir), BOX_BUILD)]
    env = sandbox.default_env()
    ccache = ccache_dir()
    if ccache:
        rw.append((str(ccache), str(ccache)))
        # pch_defines, time_macros: what ccache needs to cache the precompiled header and
        # the files compiled with it.
        env.update(
            CCACHE_DIR=str(ccache),
            CCACHE_NOHASHDIR="1",
            CCACHE_BASEDIR=str(Path(BOX_BUILD).parent),
            CCACHE_UMASK="022",
            CCACHE_SLOPPINESS="pch_defines,time_macros",
        )
    uid = os.getuid() or sandbox.STUDENT_UID
    gid = os.getgid() or sandbox.STUDENT_GID
    if os.geteuid() == 0:
        # The build runs as nobody (sandbox.prepare): it must be able to write its outputs.
        for d in (ctx.build_dir, ccache):
            if d:
                _chown_tree(d, sandbox.STUDENT_UID, sandbox.STUDENT_GID)
    return sandbox.prepare(
        cmd,
        sandbox.Mounts(ro=ro, rw=rw),
        cwd=BOX_BUILD,
        uid=uid,
        gid=gid,
        env=env,
        processes=BUILD_PROCESSES,
    )


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    st = root.stat()
    if (st.st_uid, st.st_gid) == (uid, gid):
        return  # done before (the ccache tree is large: only its top is checked)
    for p in [root, *root.rglob("*")]:
        os.lchown(p, uid, gid)


def ccache_dir() -> Path | None:
    """The compiler cache shared by every build: the lab's tests are the same in every
    submission, so after the first build only the student's files are compiled."""
    if not shutil.which("ccache") or os.environ.get("IPCLAB_NO_CCACHE"):
        return None
    d = Path(os.environ.get("IPCLAB_CCACHE") or cache_base() / "ccache")
    d.mkdir(parents=True, exist_ok=True)
    return d
