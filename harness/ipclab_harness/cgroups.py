"""A control group of its own for each sandbox: its processes are counted together, whoever
they run as, and a fork bomb in one sandbox is refused there and nowhere else.

RLIMIT_NPROC counts the processes of one uid in one user namespace. As root the sandboxes
of a grader share one user namespace (sandbox._nobody_userns) and one uid (nobody), so that
count is shared: a fork bomb in one exercise's unit tests made fork fail in another
exercise's, graded at the same time. A cgroup per sandbox with pids.max counts each sandbox
alone, and pids.events says when a fork was refused, so the report can say what happened.

Where the machine offers one:
  - cgroup v2 (/sys/fs/cgroup is cgroup2, current distributions): ipclab/<box> under the
    root of the hierarchy (as root), with the pids controller enabled for it;
  - cgroup v1 (a `pids` hierarchy, e.g. /sys/fs/cgroup/pids): ipclab/<box> under the
    grader's own cgroup of that hierarchy.
Memory is bounded per sandbox there too, where the memory controller is offered (v2: the
same cgroup's memory.max; v1: a cgroup of the `memory` hierarchy with memory.limit_in_bytes):
RLIMIT_AS bounds each process, and 60 children of one program could each use it. Past the
bound the kernel's OOM killer ends a process of that sandbox, never another's.
Elsewhere (no cgroups, or not root and nothing delegated) `available()` is None and the
sandbox falls back to a user namespace of its own per sandbox (see sandbox.prepare)."""
from __future__ import annotations

import errno
import functools
import itertools
import os
import signal
import time
from pathlib import Path

PARENT = "ipclab"
_counter = itertools.count(1)


def _mounts() -> list[tuple[str, str, set[str]]]:
    out = []
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                dev, where, kind, opts = line.split()[:4]
                if kind in ("cgroup", "cgroup2"):
                    out.append((kind, where, set(opts.split(","))))
    except OSError:
        pass
    return out


def _own_path(v1_controller: str | None) -> str:
    """The grader's own cgroup in the v2 hierarchy (None) or in a v1 controller's."""
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                num, controllers, path = line.rstrip("\n").split(":", 2)
                names = controllers.split(",") if controllers else []
                if (v1_controller is None and num == "0") or v1_controller in names:
                    return path
    except OSError:
        pass
    return "/"


@functools.lru_cache(maxsize=1)
def available() -> "Hierarchy | None":
    """Where sandboxes' cgroups are made, or None when this machine offers none to us."""
    if os.environ.get("IPCLAB_NO_CGROUPS"):
        return None  # tests of the fallback, and machines where an admin says no
    mounts = _mounts()
    for kind, where, opts in mounts:
        if kind == "cgroup2" and Path(where, "cgroup.controllers").exists():
            controllers = Path(where, "cgroup.controllers").read_text().split()
            if "pids" in controllers:
                h = _try(Hierarchy("v2", Path(where) / PARENT))
                if h:
                    return h
    for kind, where, opts in mounts:
        if kind == "cgroup" and "pids" in opts:
            own = _own_path("pids").lstrip("/")
            h = _try(Hierarchy("v1", Path(where) / own / PARENT))
            if h:
                # CPU time is accounted in another v1 hierarchy (cpuacct), memory bounded in
                # yet another (memory), when there are.
                h.cpu_parent = _v1_parent(mounts, "cpuacct")
                h.memory_parent = _v1_parent(mounts, "memory")
                return h
    return None


def _v1_parent(mounts, controller: str) -> Path | None:
    """ipclab's folder in the v1 hierarchy of `controller`, made if need be (None: none)."""
    for kind, where, opts in mounts:
        if kind == "cgroup" and controller in opts:
            parent = Path(where) / _own_path(controller).lstrip("/") / PARENT
            try:
                parent.mkdir(exist_ok=True)
                return parent
            except OSError:
                return None
    return None


def _try(h: "Hierarchy") -> "Hierarchy | None":
    """The hierarchy if a sandbox's cgroup can really be made there (and removed)."""
    try:
        h.parent.mkdir(exist_ok=True)
        if h.kind == "v2":
            # The pids controller for ipclab's children (the root has it for its own).
            root_ctl = h.parent.parent / "cgroup.subtree_control"
            if "pids" not in root_ctl.read_text().split():
                root_ctl.write_text("+pids")
            ctl = h.parent / "cgroup.subtree_control"
            if "pids" not in ctl.read_text().split():
                ctl.write_text("+pids")
            try:  # memory too, where the hierarchy offers it (not required)
                for c in (root_ctl, ctl):
                    if "memory" not in c.read_text().split():
                        c.write_text("+memory")
                h.memory = True
            except OSError:
                pass
        probe = h.parent / f"probe-{os.getpid()}"
        probe.mkdir(exist_ok=True)
        ok = (probe / "pids.max").exists() and os.access(probe / "cgroup.procs", os.W_OK)
        probe.rmdir()
        return h if ok else None
    except OSError:
        return None


class Hierarchy:
    def __init__(self, kind: str, parent: Path) -> None:
        self.kind, self.parent = kind, parent
        # Where CPU time is read: the same cgroup in v2 (cpu.stat), cpuacct's in v1.
        self.cpu_parent: Path | None = parent if kind == "v2" else None
        # Where memory is bounded: the same cgroup in v2 (memory.max, when `memory`), the
        # memory hierarchy's in v1 (memory_parent); neither where the machine offers none.
        self.memory = False
        self.memory_parent: Path | None = None

    def new(self, max_processes: int, max_memory: int | None = None) -> "Cgroup":
        name = f"{os.getpid()}-{next(_counter)}"
        path = self.parent / name
        path.mkdir()
        acct = mem = None
        try:
            (path / "pids.max").write_text(str(max_processes))
            if self.cpu_parent is not None and self.cpu_parent != self.parent:
                acct = self.cpu_parent / name
                acct.mkdir()
            if max_memory and self.memory_parent is not None:
                mem = self.memory_parent / name
                mem.mkdir()
        except OSError:
            for d in (acct, path):
                if d is not None:
                    d.rmdir()
            raise
        group = Cgroup(path, max_processes, acct, mem, v2_memory=self.memory)
        if max_memory:
            group.set_memory(max_memory)
        return group

    def remove_stale(self) -> int:
        """Removes the empty cgroups of graders that are gone (killed outright); returns how
        many. A cgroup that still holds processes is a live sandbox, or a dead grader's that
        reap_orphans is ending: it is left."""
        removed = 0
        entries = []
        for parent in {
            self.parent,
            self.cpu_parent or self.parent,
            self.memory_parent or self.parent,
        }:
            try:
                entries += list(parent.iterdir())
            except OSError:
                pass
        for d in entries:
            owner = d.name.split("-")[0]
            if not d.is_dir() or not owner.isdigit() or _alive(int(owner)):
                continue
            try:
                d.rmdir()
                removed += 1
            except OSError:
                pass
        return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def kill_checked(pids, spare, is_ours) -> bool:
    """SIGKILL to each of `pids` but `spare` that `is_ours(pid)` still owns once a pidfd holds
    it: the check comes after the open, so a pid reused meanwhile is never someone else's
    process. True when any was killed; `is_ours` may raise OSError (the process is gone)."""
    killed = False
    for pid in pids:
        if pid in spare:
            continue
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            continue
        try:
            if is_ours(pid):
                signal.pidfd_send_signal(fd, signal.SIGKILL)
                killed = True
        except OSError:
            pass
        finally:
            os.close(fd)
    return killed


class Cgroup:
    """One sandbox's cgroup: processes are put in it before the student's code starts (the
    sandbox's init, while bubblewrap waits on --block-fd), and everything they start
    stays in it."""

    def __init__(
        self,
        path: Path,
        max_processes: int,
        acct: Path | None = None,
        mem: Path | None = None,
        v2_memory: bool = False,
    ) -> None:
        self.path, self.max_processes, self.acct, self.mem = path, max_processes, acct, mem
        self.v2_memory = v2_memory
        self.max_memory: int | None = None
        self._removed = False

    def set_memory(self, max_bytes: int) -> bool:
        """Bounds the memory of all the sandbox's processes together; False where the machine
        offers no memory controller (each process keeps its RLIMIT_AS)."""
        try:
            if self.mem is not None:
                (self.mem / "memory.limit_in_bytes").write_text(str(max_bytes))
            elif self.v2_memory:
                (self.path / "memory.max").write_text(str(max_bytes))
            else:
                return False
        except OSError:
            return False
        self.max_memory = max_bytes
        return True

    def memory_limit(self) -> int | None:
        """The bound the kernel holds for this sandbox, read back (None: not bounded)."""
        try:
            if self.mem is not None:
                return int((self.mem / "memory.limit_in_bytes").read_text())
            if self.v2_memory:
                text = (self.path / "memory.max").read_text().strip()
                return None if text == "max" else int(text)
        except (OSError, ValueError):
            pass
        return None

    def attach(self, pid: int) -> None:
        (self.path / "cgroup.procs").write_text(str(pid))
        for extra in (self.acct, self.mem):
            if extra is not None:
                (extra / "cgroup.procs").write_text(str(pid))

    def cpu_seconds(self) -> float | None:
        """CPU time used by every process of the sandbox so far (None: not accounted)."""
        try:
            if self.acct is not None:
                return int((self.acct / "cpuacct.usage").read_text()) / 1e9
            for line in (self.path / "cpu.stat").read_text().splitlines():
                if line.startswith("usage_usec "):
                    return int(line.split()[1]) / 1e6
        except (OSError, ValueError):
            pass
        return None

    def refusals(self) -> int:
        """How many forks (or clones of threads) the limit refused (pids.events: max N)."""
        try:
            for line in (self.path / "pids.events").read_text().splitlines():
                name, _, value = line.partition(" ")
                if name == "max":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def kill(self, spare: set[int] = frozenset()) -> None:
        """SIGKILL to every process in the cgroup but `spare` (host pids). By pidfd, and only
        after checking the process is still in this cgroup: a pid reused meanwhile is never
        someone else's process."""
        mine = f":{self._relative()}\n"

        def in_this_cgroup(pid: int) -> bool:
            with open(f"/proc/{pid}/cgroup") as f:
                return any(line.endswith(mine) for line in f)

        kill_checked(self.pids(), spare, in_this_cgroup)

    def _relative(self) -> str:
        # The path as /proc/PID/cgroup writes it: relative to the hierarchy's mount.
        parts = self.path.parts
        for kind, where, _ in _mounts():
            if str(self.path).startswith(where.rstrip("/") + "/"):
                return "/" + str(self.path)[len(where.rstrip("/")) + 1 :]
        return "/" + "/".join(parts[-2:])

    def remove(self, timeout: float = 5.0) -> bool:
        """Removes the cgroup once its processes are gone (the sandbox's PID namespace has
        died: that takes a moment after its init was killed)."""
        if self._removed:
            return True
        deadline = time.monotonic() + timeout
        delay = 0.0005
        for d in [self.path] + [x for x in (self.acct, self.mem) if x is not None]:
            while True:
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as e:
                    if e.errno != errno.EBUSY or time.monotonic() >= deadline:
                        return False
                # Called once the sandbox's init has been waited for, so this is at most the
                # moment the kernel takes to let go of the last task; v1 gives no event for it.
                time.sleep(delay)
                delay = min(delay * 2, 0.02)
        self._removed = True
        return True
