"""One sandbox, seen from the trusted side: starts it, talks to its agent, reads the pipes of
the programs it started, and tears it all down. Checks use it through lab.Lab."""
from __future__ import annotations

import array
import json
import os
import re
import select
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import ipcstate, limits as bounds, sandbox
from .agentbin import AgentBuildError, agent_binary
from .cgroups import kill_checked


# CPU seconds a sandbox may use beyond one CPU limit per program it started (the agent, the
# checks' tools, the kernel's accounting granularity).
CPU_SLACK = 1.0


class SessionError(RuntimeError):
    """The sandbox itself failed (not the student's code): the check is an error, not a fail."""


@dataclass
class Stream:
    fd: int | None
    cap: int
    data: bytearray = field(default_factory=bytearray)
    total: int = 0

    @property
    def truncated(self) -> bool:
        return self.total > len(self.data)

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.cap - len(self.data)
        if room > 0:
            self.data += chunk[:room]


class Session:
    """A live sandbox: its own IPC, PID, network and mount namespaces, one agent inside."""

    def __init__(
        self,
        mounts: list[tuple[Path, str]],
        *,
        output_cap: int = 1 << 20,
        start_timeout: float = 15.0,
    ) -> None:
        """mounts: (host path, sandbox path) pairs shown read-only, e.g. the built programs
        at /lab/bin. The scratch directory is /work, the only place the student can write.

        In the fallback mode (sandbox.FALLBACK) there is no sandbox: the agent runs here as
        the user, paths are translated to the host's, IPC objects that existed before are
        ignored, and close() kills every descendant and removes what this session created."""
        self.direct = sandbox.current_mode() == sandbox.FALLBACK
        if not self.direct:
            sandbox.require()
        try:
            agent = agent_binary()
        except AgentBuildError as e:
            raise SessionError(str(e)) from e
        self.output_cap = output_cap
        self.scratch = Path(tempfile.mkdtemp(prefix="ipclab-check-"))
        os.chmod(self.scratch, 0o777)  # the student's uid writes here, and only here
        self.procs: dict[int, "Process"] = {}
        self.exits: dict[int, int] = {}
        self.cpu: dict[int, float | None] = {}
        # Programs the agent killed because they stopped with nobody to continue them (a
        # SIGSTOP of their own, or another program's): they would only have waited for the
        # wall limit.
        self.stopped: set[int] = set()
        self._buf = b""
        self._fds: list[int] = []
        self._replies: dict[int, dict] = {}
        self._ignored: set[int] = set()
        self._next_id = 1
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock = ours
        if self.direct:
            self._start_direct(agent, mounts, theirs)
        else:
            self._start_sandbox(agent, mounts, theirs)
        theirs.close()
        ready = self._read_until(lambda: self._ready, time.monotonic() + start_timeout)
        if not ready:
            why = self._bwrap_stderr()
            self.close()
            raise SessionError("the sandbox did not start: " + why)

    def _start_sandbox(self, agent: Path, mounts, theirs: socket.socket) -> None:
        mounts = sandbox.Mounts(
            ro=[*((str(h), i) for h, i in mounts), (str(agent), "/lab/agent")],
            rw=[(str(self.scratch), "/work")],
        )
        env = sandbox.default_env()
        env["PATH"] = "/lab/bin:/usr/bin:/bin"
        # The agent is the sandbox's pid 1, not bubblewrap's init: an init the student's uid
        # may ptrace (it is dumpable) and that kill(-1) spares would let a program take it
        # over and outlive every reset. The agent is not dumpable, reaps orphans as pid 1
        # must, and signals from inside its namespace cannot kill it.
        box = sandbox.prepare(
            ["/lab/agent", str(theirs.fileno())],
            mounts,
            cwd="/work",
            env=env,
            processes=self._box_processes(bounds.DEFAULTS["nproc"]),
            memory=self._box_memory(bounds.DEFAULTS["as"]),
            as_pid_1=True,
        )
        self.other_uid = sandbox.OTHER_UID if box.other_uid else None
        try:
            self.proc = subprocess.Popen(
                box.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(theirs.fileno(), *box.pass_fds),
            )
        except BaseException:
            box.close()
            box.finish(None)
            raise
        box.close()
        self.box = box

    @staticmethod
    def _box_processes(nproc: int) -> int:
        # The agent counts too (and bubblewrap's init, where there is one).
        return nproc + 2

    @staticmethod
    def _box_memory(address_space: int) -> int:
        # What the sandbox's processes may hold together: two programs' worth (the most a
        # check runs at full size at once), plus the agent's. RLIMIT_AS still bounds each.
        return 2 * address_space + (64 << 20)

    # -- processes: counted per sandbox, a fork bomb stopped at once ----------------------------
    _refusals = 0  # forks the sandbox's cgroup refused, as of the last look
    _stops = 0  # how many times its processes were stopped for that
    _spawn_stopped = False
    _cpu_budget = 0.0  # CPU seconds the sandbox's programs may use together (see _apply_nproc)
    _looked = 0.0
    _nproc = bounds.DEFAULTS["nproc"]

    def _apply_nproc(self, limits: dict) -> dict:
        """With a cgroup per sandbox, the processes are counted there (pids.max), not with
        RLIMIT_NPROC: as root all sandboxes of a grader run as one uid in one user namespace,
        where RLIMIT_NPROC would count them all together."""
        # CPU: RLIMIT_CPU bounds each process, so 40 forked children of one program could use
        # 40 times its limit, all of it taken from the machine's few CPUs (and the other
        # sandboxes' wall-clock time). The sandbox as a whole may use what its programs could
        # if none forked: one CPU limit per program started.
        self._cpu_budget += limits.get("cpu", 1)
        if "nproc" not in limits:
            return limits
        self._nproc = limits["nproc"]
        group = getattr(self.box, "cgroup", None)
        if group is None:
            return limits
        want = self._box_processes(limits["nproc"])
        if group.max_processes != want:
            (group.path / "pids.max").write_text(str(want))
            group.max_processes = want
        if "as" in limits and group.max_memory is not None:
            memory = self._box_memory(limits["as"])
            if group.max_memory != memory:
                group.set_memory(memory)
        return {k: v for k, v in limits.items() if k != "nproc"}

    def _watch_processes(self) -> None:
        """A program that tries to run more processes than the limit (its cgroup refused a
        fork or, without a cgroup, the sandbox is full under RLIMIT_NPROC) has its processes
        killed at once: a fork bomb would otherwise keep the machine's CPUs busy until its
        wall-clock limit. So are programs whose processes together used more CPU than the
        sandbox's budget. The programs that were running are marked, so the feedback says
        what happened."""
        if self.direct or not self.procs:
            return
        group = getattr(self.box, "cgroup", None)
        now = time.monotonic()
        if now - self._looked < (0.01 if group is not None else 0.1):
            return
        self._looked = now
        if group is not None:
            refused = group.refusals()
            forked_too_much = refused > self._refusals
            cpu = group.cpu_seconds()
        else:
            refused = 0
            # RLIMIT_NPROC refuses forks unseen: a sandbox this full is a fork bomb (the
            # lab's programs run a few processes; a bomb whose forks fail hovers near it).
            forked_too_much = self._processes_inside() >= max(self._nproc - 8, self._nproc * 3 // 4)
            cpu = None
        over_cpu = cpu is not None and cpu > self._cpu_budget + CPU_SLACK
        if not forked_too_much and not over_cpu:
            return
        self._stops += 1
        for p in self.procs.values():
            if p.status is None:
                if forked_too_much:
                    p.process_limited = True
                else:
                    p.cpu_limited = True
        spare = self._spared()
        deadline = now + 5
        while time.monotonic() < deadline:
            if not self._kill_inside(spare):
                break
        if group is not None:
            self._refusals = group.refusals()
            if over_cpu:
                self._cpu_budget = group.cpu_seconds() or cpu

    def _inside(self) -> list[int]:
        """Host pids of the sandbox's processes (its cgroup's, or its PID namespace's)."""
        group = getattr(self.box, "cgroup", None)
        if group is not None:
            return group.pids()
        ns = (self.box._read_info(time.monotonic() + 1) or {}).get("pid-namespace")
        found = []
        if ns:
            for d in os.listdir("/proc"):
                if d.isdigit():
                    try:
                        if os.stat(f"/proc/{d}/ns/pid").st_ino == ns:
                            found.append(int(d))
                    except OSError:
                        continue
        return found

    def _kill_inside(self, spare: set[int]) -> bool:
        """SIGKILL to the sandbox's processes but `spare`; False when there were none. By
        pidfd, checked to still be in the sandbox after it is open: a pid reused meanwhile
        is never someone else's process."""
        group = getattr(self.box, "cgroup", None)
        if group is not None:
            if not [pid for pid in group.pids() if pid not in spare]:
                return False
            group.kill(spare)
            return True
        ns = (self.box.info or {}).get("pid-namespace")
        return kill_checked(
            self._inside(), spare, lambda pid: os.stat(f"/proc/{pid}/ns/pid").st_ino == ns
        )

    def _spared(self) -> set[int]:
        """The host pids of the sandbox's init and of the agent (found by its pid inside)."""
        spare = set()
        info = self.box.info or {}
        if info.get("child-pid"):
            spare.add(int(info["child-pid"]))
        for pid in self._inside():
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("NSpid:") and int(line.split()[-1]) == getattr(
                            self, "agent_pid", -1
                        ):
                            spare.add(pid)
            except (OSError, ValueError):
                continue
        return spare

    def over_process_limit(self, p: "Process") -> bool:
        """Whether `p` ran into the sandbox's process limit (see _watch_processes)."""
        if self.direct:
            return False
        self._watch_processes()
        return p.process_limited

    def _processes_inside(self) -> int:
        return len(self._inside())

    def _start_direct(self, agent: Path, mounts, theirs: socket.socket) -> None:
        self._paths = sorted(
            [(inside, str(host)) for host, inside in mounts] + [("/work", str(self.scratch))],
            key=lambda m: -len(m[0]),
        )
        self.preexisting = ipcstate.object_ids()
        self.other_uid = None
        self.started_at = time.time()
        self.proc = subprocess.Popen(
            [str(agent), str(theirs.fileno()), "--direct"],
            cwd=self.scratch,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(theirs.fileno(),),
            start_new_session=True,
            env=sandbox.default_env(),
        )
        self.box = sandbox.Prepared([])

    def host_path(self, text: str) -> str:
        """A sandbox path (/work/x, /lab/bin/y, --opt=/work/z) as the host sees it."""
        if not self.direct:
            return text
        # One pass: a translated path (/work/main/...) must not be translated again.
        hosts = dict(self._paths)
        alternatives = "|".join(re.escape(inside) for inside, _ in self._paths)
        return re.sub(
            rf"(^|[:=])({alternatives})(?=/|$)", lambda m: m.group(1) + hosts[m.group(2)], text
        )

    def _translate(self, op: str, args: dict) -> dict:
        if op == "spawn":
            args = {
                **args,
                "argv": [self.host_path(a) for a in args["argv"]],
                "cwd": self.host_path(args.get("cwd", "/work")),
                "env": {
                    k: ":".join(self.host_path(part) for part in v.split(":"))
                    for k, v in args.get("env", {}).items()
                },
                "limits": self._direct_limits(args.get("limits", {})),
            }
        elif op == "stat":
            args = {**args, "path": self.host_path(args["path"])}
        return args

    @staticmethod
    def _direct_limits(limits: dict) -> dict:
        """RLIMIT_NPROC counts every process of the user: on their own machine the student's
        desktop already has many, so the allowance is on top of those."""
        if "nproc" in limits and os.getuid() != 0:
            mine = sum(
                1 for d in Path("/proc").iterdir() if d.name.isdigit() and _owner(d) == os.getuid()
            )
            limits = {**limits, "nproc": limits["nproc"] + mine}
        return limits

    def visible(self, kind: str, ident: int) -> bool:
        """Whether an IPC object belongs to this session (always, in a sandbox)."""
        return not self.direct or (kind, ident) not in self.preexisting

    _ready = False

    def _bwrap_stderr(self) -> str:
        try:
            self.proc.wait(timeout=1)
            return (self.proc.stderr.read() or b"").decode(errors="replace").strip()[-500:]
        except subprocess.TimeoutExpired:
            return "no answer from the agent"

    # -- the agent ---------------------------------------------------------------------------
    def _on_message(self, msg: dict) -> None:
        if msg.get("event") == "ready":
            self._ready = True
            self.agent_pid = msg["pid"]
        elif msg.get("event") == "exit":
            self.exits[msg["pid"]] = msg["status"]
            self.cpu[msg["pid"]] = msg.get("cpu")
            if msg.get("stopped"):
                self.stopped.add(msg["pid"])
        elif msg.get("id") in self._ignored:
            self._ignored.discard(msg["id"])
        else:
            self._replies[msg["id"]] = msg

    def _read_agent(self) -> bool:
        try:
            data, anc, _, _ = self.sock.recvmsg(1 << 16, socket.CMSG_SPACE(64 * 4))
        except (ConnectionError, OSError):
            data = b""
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds = array.array("i")
                fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
                self._fds.extend(fds)
        if not data:
            return False
        self._buf += data
        while b"\n" in self._buf:
            line, self._buf = self._buf.split(b"\n", 1)
            self._on_message(json.loads(line))
        return True

    def call(self, op: str, timeout: float = 10.0, **args) -> dict:
        if self.direct:
            args = self._translate(op, args)
        elif op == "spawn":
            args = {**args, "limits": self._apply_nproc(args.get("limits", {}))}
        stops = self._stops
        req_id = self._next_id
        self._next_id += 1
        try:
            self.sock.sendall((json.dumps({"id": req_id, "op": op, **args}) + "\n").encode())
        except OSError as e:
            raise SessionError(f"the sandbox's agent is gone ({e}): did the program kill it?")
        if not self._read_until(lambda: req_id in self._replies, time.monotonic() + timeout):
            raise SessionError(f"the sandbox's agent did not answer '{op}'")
        reply = self._replies.pop(req_id)
        # A program that forked without end from its first instant was stopped before its
        # Process was made: the next Process made here is marked (see Process.__init__).
        self._spawn_stopped = op == "spawn" and self._stops > stops
        if op == "spawn" and reply.get("ok"):
            reply["fds"], self._fds = self._fds[:3], self._fds[3:]
        return reply

    # -- waiting ----------------------------------------------------------------------------
    def pump(self, deadline: float) -> bool:
        """Reads whatever is ready (agent messages, program output) until something arrives
        or the deadline passes. Returns False when nothing more can ever arrive."""
        streams = {}
        for p in self.procs.values():
            for s in (p.out, p.err):
                if s.fd is not None:
                    streams[s.fd] = s
        fds = list(streams) + [self.sock.fileno()]
        walls = [
            p.started + p.wall
            for p in self.procs.values()
            if p.wall and p.status is None and not p.wall_killed
        ]
        until = min([deadline, *walls])
        remaining = max(0.0, until - time.monotonic())
        if not self.direct and self.procs:
            remaining = min(remaining, 0.05)  # a look at the processes meanwhile
        ready, _, _ = select.select(fds, [], [], remaining)
        self._enforce_wall()
        self._watch_processes()
        for fd in ready:
            if fd == self.sock.fileno():
                if not self._read_agent():
                    self._agent_gone = True
                    return False
                continue
            s = streams[fd]
            chunk = os.read(fd, 1 << 16)
            if chunk:
                s.feed(chunk)
            else:
                os.close(fd)
                s.fd = None
        for pid, status in list(self.exits.items()):
            if pid in self.procs and self.procs[pid].status is None:
                self.procs[pid].status = status
                self.procs[pid].cpu_time = self.cpu.get(pid)
                self.procs[pid].stopped_killed = pid in self.stopped
                self.stopped.discard(pid)
        return True

    _agent_gone = False

    def _enforce_wall(self) -> None:
        """Kills the programs that ran past their wall-clock limit. Fire and forget: the exit
        event follows like any other, and waiting for the reply here would recurse."""
        now = time.monotonic()
        for p in self.procs.values():
            if p.wall and p.status is None and not p.wall_killed and now >= p.started + p.wall:
                p.wall_killed = True
                req_id = self._next_id
                self._next_id += 1
                self._ignored.add(req_id)
                try:
                    self.sock.sendall(
                        (
                            json.dumps(
                                {"id": req_id, "op": "kill", "pid": p.pid, "sig": signal.SIGKILL}
                            )
                            + "\n"
                        ).encode()
                    )
                except OSError:
                    pass

    def _read_until(self, cond, deadline: float) -> bool:
        while not cond():
            if time.monotonic() >= deadline or self._agent_gone:
                return bool(cond())
            if not self.pump(deadline) and not cond():
                return False
        return True

    wait_until = _read_until

    def spawn(
        self,
        argv: list[str],
        env: dict[str, str],
        limits: dict,
        name: str | None = None,
        cwd: str = "/work",
    ) -> "Process":
        """Starts a program in the sandbox, its pipes read from here on; raises SessionError
        when the agent cannot start it (checks' programs: lab.py; test programs: run.py)."""
        reply = self.call("spawn", argv=argv, env=env, cwd=cwd, limits=limits)
        if not reply.get("ok"):
            raise SessionError(reply.get("error", "spawn failed"))
        process = Process(self, name or argv[0], reply["pid"], reply["fds"])
        self.procs[process.pid] = process
        return process

    # -- teardown ---------------------------------------------------------------------------
    def close(self) -> None:
        """Ends the sandbox: its namespaces die with it, and so does everything inside."""
        # The sandbox's init first: its PID namespace, and every process in it, dies with it,
        # and bubblewrap reaps it and exits. (Closing the socket first would let the agent
        # end first: bubblewrap then exits at once and leaves its init to be adopted.)
        # finish() waits for all of it, and removes the sandbox's cgroup.
        self.box.kill()
        try:
            self.sock.close()
        except OSError:
            pass
        self.box.finish(self.proc, timeout=5)
        if self.direct:
            try:  # the agent killed all it could; this catches what outlived a killed agent
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self._remove_created_objects()
        if self.proc.stderr:
            self.proc.stderr.close()
        for p in self.procs.values():
            p.close_fds()
        for fd in self._fds:
            os.close(fd)
        self._fds = []
        _rmtree(self.scratch)

    def _remove_created_objects(self) -> None:
        """Without a namespace, what the check's programs created would stay on the machine:
        remove the objects that did not exist before and that this user created during the
        session. Nobody else's objects, and none that were there before, are touched."""
        for kind, ident, cuid, ctime in ipcstate.object_owners():
            if (
                (kind, ident) in self.preexisting
                or cuid != os.getuid()
                or ctime < int(self.started_at) - 1
            ):
                continue
            subprocess.run(
                ["ipcrm", {"shm": "-m", "sem": "-s", "msg": "-q"}[kind], str(ident)],
                capture_output=True,
            )


def _owner(d: Path) -> int | None:
    try:
        return d.stat().st_uid
    except OSError:
        return None


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


class Process:
    """A program started in a session. Its output is kept up to the session's cap."""

    def __init__(self, session: Session, name: str, pid: int, fds: list[int]) -> None:
        self.session, self.name, self.pid = session, name, pid
        self.stdin_fd: int | None = fds[0]
        self.out = Stream(fds[1], session.output_cap)
        self.err = Stream(fds[2], session.output_cap)
        self.status: int | None = None
        self.cpu_time: float | None = None  # user + system seconds, once it has exited
        self.wall: float | None = None  # seconds it may run; killed after (see pump)
        self.wall_killed = False
        self.stopped_killed = False  # the agent killed it once it had stopped (Session.stopped)
        # it ran into the sandbox's process limit (maybe before this object was made)
        self.process_limited = session._spawn_stopped
        session._spawn_stopped = False
        self.cpu_limited = False  # stopped: the sandbox's programs used too much CPU together
        self.started = time.monotonic()
        for fd in fds[1:]:
            os.set_blocking(fd, False)

    @property
    def stdout(self) -> str:
        return self.out.data.decode("utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.err.data.decode("utf-8", errors="replace")

    def running(self) -> bool:
        self.session.pump(time.monotonic())
        return self.status is None

    def write(self, data: bytes) -> bool:
        if self.stdin_fd is None:
            return False
        try:
            os.write(self.stdin_fd, data)  # small writes: the pipe buffer holds them
            return True
        except BrokenPipeError:
            return False

    def close_stdin(self) -> None:
        if self.stdin_fd is not None:
            os.close(self.stdin_fd)
            self.stdin_fd = None

    def close_fds(self) -> None:
        self.close_stdin()
        for s in (self.out, self.err):
            if s.fd is not None:
                os.close(s.fd)
                s.fd = None
