"""`lab`: what a process check works with (harness/README.md documents every call)."""
from __future__ import annotations

import os
import re
import shutil
import signal as _signal
import stat
import struct
import tempfile
import time
from pathlib import Path

from . import ipcstate, limits as bounds, sandbox
from .check import CheckFailed, excerpt, fail
from .session import Process, Session, SessionError

DEFAULT_TIMEOUT = 5.0
# Seconds a program's output may still take to end once the program has exited. What the
# program wrote itself is in the pipe by then (a write to a pipe completes before the writer
# can exit), and the pipe closes with its last holder: when the agent reports the exit of a
# program that left no process behind, the end of its output is there to read already (no
# lab program forks, none leaves one behind). So the grace only ever waits for another
# process that holds the pipe -- a child that outlived the program, or a daemon that would
# hold it until every deadline (tests/hostile/forge/forked_daemon.cpp) -- and is kept short:
# each program of a check that left one behind costs it this long.
OUTPUT_GRACE = 0.1


def _signed(key: int) -> int:
    """Keys travel as the int32 the kernel takes (ftok keys above 0x7fffffff are negative)."""
    key &= 0xFFFFFFFF
    return key - (1 << 32) if key & 0x80000000 else key


class Proc:
    """A student program started by a check."""

    def __init__(self, lab: "Lab", process: Process, argv: list[str]) -> None:
        self._lab, self._p, self.argv = lab, process, argv

    @property
    def pid(self) -> int:
        return self._p.pid

    @property
    def name(self) -> str:
        return self._p.name

    @property
    def command(self) -> str:
        return " ".join(self.argv)

    @property
    def stdout(self) -> str:
        return self._p.stdout

    @property
    def stderr(self) -> str:
        return self._p.stderr

    @property
    def status(self) -> int | None:
        return self._p.status

    @property
    def truncated(self) -> bool:
        return self._p.out.truncated or self._p.err.truncated

    @property
    def cpu_time(self) -> float | None:
        """User + system CPU seconds (children it waited for included), once it has exited."""
        return self._p.cpu_time

    def running(self) -> bool:
        return self._p.running()

    def send(self, text: str | bytes) -> None:
        data = text.encode() if isinstance(text, str) else text
        if not self._p.write(data):
            fail(
                "_stdin_closed",
                program=self.command,
                stdout=excerpt(self.stdout),
                stderr=excerpt(self.stderr),
            )

    def close_stdin(self) -> None:
        self._p.close_stdin()

    def signal(self, sig: int = _signal.SIGTERM) -> None:
        self._lab._session.call("kill", pid=self.pid, sig=int(sig))

    def _lines(self) -> list[str]:
        text = self.stdout
        complete = text[: text.rfind("\n") + 1] if "\n" in text else ""
        return complete.splitlines()

    def expect_line(
        self, text, timeout: float = DEFAULT_TIMEOUT, section: str | None = None
    ) -> str:
        """Waits for a whole stdout line equal to `text` (or matching a compiled regex)."""

        def match(line: str) -> bool:
            return bool(text.fullmatch(line)) if isinstance(text, re.Pattern) else line == text

        def found():
            for line in self._lines():
                if match(line):
                    return line
            return None

        s = self._lab._session
        deadline = time.monotonic() + timeout
        s.wait_until(lambda: found() or self._p.status is not None, deadline)
        if found() is None and self._p.status is not None:
            # It exited: its last lines may still be in the pipe, so read on until its output
            # ends, but no longer than OUTPUT_GRACE (nor the deadline). Without that bound, a
            # daemon it forked that keeps the pipe open made every expect_line on a program
            # that never printed the line last until its deadline.
            s.wait_until(
                lambda: found() or self._p.out.fd is None,
                min(deadline, time.monotonic() + OUTPUT_GRACE),
            )
        line = found()
        if line is not None:
            return line
        wanted = text.pattern if isinstance(text, re.Pattern) else text
        if self._p.status is None:
            raise CheckFailed(
                "_no_line_timeout",
                section,
                program=self.command,
                line=wanted,
                seconds=timeout,
                stdout=excerpt(self.stdout),
                stderr=excerpt(self.stderr),
            )
        fail(
            "_no_line_exited",
            section,
            program=self.command,
            line=wanted,
            how=self._lab.describe_status(self._p.status),
            stdout=excerpt(self.stdout),
            stderr=excerpt(self.stderr),
        )

    def wait(self, timeout: float = DEFAULT_TIMEOUT, section: str | None = None) -> int:
        """Waits for the program to exit (and its output to end); returns its status."""
        s = self._lab._session
        s.wait_until(lambda: self._p.status is not None, time.monotonic() + timeout)
        if self._p.status is None:
            raise CheckFailed(
                "_timeout",
                section,
                _status="timeout",
                program=self.command,
                seconds=timeout,
                stdout=excerpt(self.stdout),
                stderr=excerpt(self.stderr),
            )
        # Output still in the pipes; a grandchild holding them open must not hold us long.
        s.wait_until(
            lambda: self._p.out.fd is None and self._p.err.fd is None,
            time.monotonic() + OUTPUT_GRACE,
        )
        return self._p.status


class Lab:
    """One check's sandbox and the calls checks use."""

    def __init__(
        self,
        bindir: Path,
        lang: str = "en",
        limits: dict | None = None,
        users: dict[int, str] | None = None,
    ) -> None:
        """limits: overrides of ipclab_harness.limits.DEFAULTS (a manifest's [limits]).
        users: {uid: name} the sandbox's /etc/passwd names so (the machine's file with those
        uids' lines replaced), e.g. a student name longer than ipcs's column; `lab.users` says
        which names are in effect (none without a sandbox, where /etc/passwd is the machine's)."""
        self.bindir = Path(bindir)
        self.lang = lang
        self.limits = bounds.resolve(limits)
        self.allowed = {"shm": 0, "sem": 0, "msg": 0}
        self.users: dict[int, str] = {}
        self._passwd_dir: str | None = None
        mounts = [(self.bindir, "/lab/bin")]
        if users and sandbox.current_mode() != sandbox.FALLBACK:
            mounts.append((self._passwd_with(users), "/etc/passwd"))
            self.users = dict(users)
        try:
            self._session = Session(mounts, output_cap=self.limits["output"])
        except BaseException:
            self._drop_passwd()
            raise
        self.procs: list[Proc] = []

    def _passwd_with(self, users: dict[int, str]) -> Path:
        """A copy of /etc/passwd where each uid of `users` has that name (a line of its own)."""
        lines = []
        for line in Path("/etc/passwd").read_text(encoding="utf-8", errors="replace").splitlines():
            fields = line.split(":")
            if len(fields) > 2 and fields[2].isdigit() and int(fields[2]) in users:
                continue
            lines.append(line)
        for uid, name in users.items():
            lines.append(f"{name}:x:{uid}:{uid}::/work:/usr/sbin/nologin")
        # Readable by the sandbox's user: bubblewrap reaches mounts as nobody when run by root.
        self._passwd_dir = tempfile.mkdtemp(prefix="ipclab-passwd-")
        os.chmod(self._passwd_dir, 0o755)
        path = Path(self._passwd_dir) / "passwd"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        path.chmod(0o644)
        return path

    def _drop_passwd(self) -> None:
        if self._passwd_dir:
            shutil.rmtree(self._passwd_dir, ignore_errors=True)
            self._passwd_dir = None

    # -- files and keys -----------------------------------------------------------------------
    @property
    def scratch(self) -> Path:
        return self._session.scratch

    def file(self, name: str, data: bytes = b"") -> str:
        """Written by the trusted side (root, maybe) in a folder the programs write too: never
        through a link or a FIFO a program left there (it could point at any file of the
        machine's), component by component from the scratch folder. An existing regular file
        keeps its inode (and so its ftok key)."""
        parts = Path(name).parts
        if not parts or Path(name).is_absolute() or ".." in parts:
            raise ValueError(f"lab.file: {name!r} is not a plain relative path")
        dirfd = os.open(self.scratch, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in parts[:-1]:
                try:
                    os.mkdir(part, 0o755, dir_fd=dirfd)
                except FileExistsError:
                    pass
                inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dirfd)
                os.close(dirfd)
                dirfd = inner
            last = parts[-1]
            try:
                fd = os.open(
                    last,
                    os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK,
                    0o644,
                    dir_fd=dirfd,
                )
            except OSError:
                fd = -1  # a link (ELOOP), a FIFO with no reader (ENXIO), ...
            if fd >= 0 and not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                fd = -1
            if fd < 0:
                try:
                    os.unlink(last, dir_fd=dirfd)
                except FileNotFoundError:
                    pass
                fd = os.open(
                    last, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=dirfd
                )
            with os.fdopen(fd, "wb") as f:
                f.truncate(0)
                f.write(data)
                os.fchmod(f.fileno(), 0o644)
        finally:
            os.close(dirfd)
        return name

    def key(self, name: str, proj_id: int) -> int:
        st = self._call("stat", path=f"/work/{name}")
        return ipcstate.ftok_key(st["ino"], st["dev"], proj_id)

    # -- programs ----------------------------------------------------------------------------
    def run(self, binary: str, *args, stdin: bytes | str | None = b"") -> Proc:
        """Starts a student program (bounded by the exercise's limits, `wall` included);
        returns at once. How long to wait for it is said where it is waited for (p.wait,
        p.expect_line, lab.expect_exit: `timeout=`)."""
        if not (self.bindir / binary).exists():
            fail("_no_binary", binary=binary)
        return self._spawn(f"/lab/bin/{binary}", binary, [str(a) for a in args], stdin)

    def run_tool(self, argv: list[str], timeout: float = DEFAULT_TIMEOUT) -> Proc:
        """A system tool (ipcs, ipcrm, cat) whose output may decide a verdict: it must be the
        tool's own. A process a program left behind (a daemon) could kill or stop it, ptrace it
        or write into its pipes, so when none of the check's programs is still running the
        agent first kills everything of the sandbox but itself. (A tool run while a program
        runs only explains a failure.)"""
        if not any(p.running() for p in self.procs):
            self._session.call("reset")
        p = self._spawn(
            argv[0] if argv[0].startswith("/") else f"/usr/bin/{argv[0]}",
            argv[0],
            list(argv[1:]),
            b"",
            limits=False,
        )
        p.wait(timeout)
        return p

    def _spawn(self, path: str, name: str, args: list[str], stdin, limits: bool = True) -> Proc:
        env = {
            "PATH": "/lab/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "HOME": "/work",
            "TMPDIR": "/work",
        }
        process = self._session.spawn(
            [path, *args], env, bounds.rlimits(self.limits) if limits else {"core": 0}, name=name
        )
        if limits:
            process.wall = self.limits["wall"]
        proc = Proc(self, process, [name, *args])
        if stdin is not None:
            if stdin:
                proc._p.write(stdin.encode() if isinstance(stdin, str) else stdin)
            proc.close_stdin()
        self.procs.append(proc)
        return proc

    # -- IPC state -----------------------------------------------------------------------------
    def _call(self, op: str, **args) -> dict:
        reply = self._session.call(op, **args)
        if not reply.get("ok"):
            raise SessionError(f"{op}: {reply.get('error')}")
        return reply

    def segments(self) -> list[ipcstate.Segment]:
        return [
            s
            for s in ipcstate.parse_shm(self._call("read", path="/proc/sysvipc/shm")["text"])
            if self._session.visible("shm", s.shmid)
        ]

    def semaphores(self) -> list[ipcstate.SemSet]:
        return [
            s
            for s in ipcstate.parse_sem(self._call("read", path="/proc/sysvipc/sem")["text"])
            if self._session.visible("sem", s.semid)
        ]

    def queues(self) -> list[ipcstate.Queue]:
        return [
            q
            for q in ipcstate.parse_msg(self._call("read", path="/proc/sysvipc/msg")["text"])
            if self._session.visible("msg", q.msqid)
        ]

    def segment(self, key: int | None = None, shmid: int | None = None):
        for seg in self.segments():
            if (key is None or seg.key == key) and (shmid is None or seg.shmid == shmid):
                return seg
        return None

    @property
    def other_uid(self) -> int | None:
        """A second user that segments can belong to (make_segment(owner=...)), or None where
        the sandbox maps only the student's uid (a grader not run by root)."""
        return self._session.other_uid

    def make_segment(
        self,
        key: int,
        size: int,
        mode: int = 0o600,
        ints=(),
        data: bytes = b"",
        owner: int | None = None,
    ) -> int:
        payload = (struct.pack(f"<{len(ints)}i", *ints) if ints else b"") + data
        reply = self._session.call(
            "shm_create", key=_signed(key), size=size, mode=mode, data=payload.hex(), owner=owner
        )
        if not reply.get("ok"):
            raise SessionError(f"preparing a segment: {reply.get('error')}")
        return reply["shmid"]

    def hold(self, shmid: int, readonly: bool = False) -> int:
        return self._call("hold", shmid=shmid, readonly=readonly)["handle"]

    def release(self, handle: int) -> None:
        self._call("release", handle=handle)

    def read_ints(self, shmid: int, count: int, offset: int = 0) -> list[int]:
        data = bytes.fromhex(
            self._call("read_shm", shmid=shmid, size=4 * count, offset=offset)["data"]
        )
        return list(struct.unpack(f"<{count}i", data))

    def remove_segment(self, shmid: int) -> None:
        self._call("remove_shm", shmid=shmid)

    def make_semaphores(self, key: int, values, mode: int = 0o600) -> int:
        """A set of len(values) semaphores, SETALL to values, created as the student's uid."""
        reply = self._session.call("sem_create", key=_signed(key), values=list(values), mode=mode)
        if not reply.get("ok"):
            raise SessionError(f"preparing a semaphore set: {reply.get('error')}")
        return reply["semid"]

    def semaphore_set(self, key: int | None = None, semid: int | None = None):
        """The set with that key and/or semid, as /proc/sysvipc/sem shows it, or None."""
        for sems in self.semaphores():
            if (key is None or sems.key == key) and (semid is None or sems.semid == semid):
                return sems
        return None

    def expect_objects(
        self,
        key: int,
        section: str | None = None,
        segment: str | None = None,
        semaphores: str | None = None,
    ):
        """The segment and/or the semaphore set under `key` (one per message given), failing
        with that message (its {ipcs} filled) when one is missing: what a program that creates
        them, an init, must have left."""
        found = []
        for msg_id, obj in (
            (segment, lambda: self.segment(key=key)),
            (semaphores, lambda: self.semaphore_set(key=key)),
        ):
            if msg_id is None:
                continue
            found.append(obj())
            if found[-1] is None:
                fail(msg_id, section, ipcs=self.ipcs_all())
        return found[0] if len(found) == 1 else tuple(found)

    def expect_init_shape(self, seg, sems, size: int, nsems: int, section: str = "init") -> None:
        """What an init that makes a segment and a semaphore set (06, 08) must have made: a
        segment of `size` bytes and a set of `nsems`, both 0600. Fails with the exercise's
        init_segment_size ({got}), init_mode_segment / init_mode_semaphores ({mode}) or
        init_nsems ({got})."""
        if seg.size != size:
            fail("init_segment_size", section, got=seg.size)
        for msg_id, perms in (
            ("init_mode_segment", seg.perms),
            ("init_mode_semaphores", sems.perms),
        ):
            if perms & 0o777 != 0o600:
                fail(msg_id, section, mode=f"{perms & 0o777:04o}")
        if sems.nsems != nsems:
            fail("init_nsems", section, got=sems.nsems)

    def expect_missing_reported(self, p: Proc, section: str = "errors") -> None:
        """`p` ran where its segment and semaphore set do not exist (06, 08): the first
        look-up's error, nothing printed, nothing created. Fails with the exercise's
        missing_not_reported, missing_printed ({program}, {stdout}) or missing_created
        ({program}, {ipcs})."""
        self.expect_error(
            p,
            ("shmget", "semget"),
            section=section,
            reason="No such file or directory",
            msg="missing_not_reported",
        )
        if p.stdout:
            fail("missing_printed", section, program=p.command, stdout=p.stdout.strip())
        if self.segments() or self.semaphores():
            fail("missing_created", section, program=p.command, ipcs=self.ipcs_all())

    def sem_values(self, semid: int) -> list[int]:
        """The set's values (semctl GETALL: reading them changes neither otime nor the values)."""
        sets = [s for s in self.semaphores() if s.semid == semid]
        if not sets:
            raise SessionError(f"no semaphore set with id {semid}")
        return self._call("sem_values", semid=semid, nsems=sets[0].nsems)["values"]

    def sem_waiting(self, semid: int, num: int = 0) -> int:
        """How many processes are blocked in semop waiting for semaphore `num` to grow
        (semctl GETNCNT): lets a check wait for "it is blocked" as an event."""
        return self._call("sem_waiting", semid=semid, num=num)["ncnt"]

    def remove_semaphores(self, semid: int) -> None:
        self._call("remove_sem", semid=semid)

    def make_queue(self, key: int, mode: int = 0o600) -> int:
        reply = self._session.call("msg_create", key=_signed(key), mode=mode)
        if not reply.get("ok"):
            raise SessionError(f"preparing a message queue: {reply.get('error')}")
        return reply["msqid"]

    def send_message(self, msqid: int, mtype: int, data: bytes) -> None:
        """msgsnd with IPC_NOWAIT: `data` is the text part (the size msgsnd is given)."""
        self._call("msg_send", msqid=msqid, mtype=mtype, data=bytes(data).hex())

    def receive_message(self, msqid: int, mtype: int = 0, max_size: int = 8192):
        """msgrcv with IPC_NOWAIT: (mtype, text bytes), or None when no such message waits."""
        msg = self._call("msg_receive", msqid=msqid, mtype=mtype, max_size=max_size)["message"]
        return None if msg is None else (msg[0], bytes.fromhex(msg[1]))

    def remove_queue(self, msqid: int) -> None:
        self._call("remove_msg", msqid=msqid)

    def ipcs_m(self) -> str:
        return self.run_tool(["ipcs", "-m"]).stdout

    def ipcs_all(self) -> str:
        return self.run_tool(["ipcs", "-a"]).stdout

    # -- waiting -------------------------------------------------------------------------------
    def wait_for(
        self, fn, what: str, timeout: float = DEFAULT_TIMEOUT, section: str | None = None, **params
    ):
        """Calls fn() until it returns something true; the kernel state a check waits on
        changes when a program acts, so this polls with a short back-off until the deadline."""
        deadline = time.monotonic() + timeout
        delay = 0.001
        while True:
            value = fn()
            if value:
                return value
            if time.monotonic() >= deadline:
                fail(what, section, **params)
            # Reading program output meanwhile keeps their pipes from filling up.
            self._session.pump(min(deadline, time.monotonic() + delay))
            delay = min(delay * 2, 0.02)

    def wait_exit(
        self, p: Proc, what: str, section: str | None = None, timeout: float = 10, **params
    ) -> int:
        """Waits for `p` to end and returns its status; at the deadline fails with `what` (a
        wait that never ends), `program` and `params` filling its fields."""
        self.wait_for(
            lambda: not p.running(),
            what,
            timeout=timeout,
            section=section,
            program=p.command,
            **params,
        )
        return p.wait()

    def stop_when(self, procs: list[Proc], caught, attempts: int = 500) -> bool:
        """Stops `procs` (SIGSTOP) at a moment when caught() is true of the state they leave,
        e.g. "the mutex is taken": stops them, looks, and lets them go on (SIGCONT) until it
        is so. Returns True with them stopped there, or False after `attempts` looks. A
        process stops between system calls, so what caught() sees stays as it is until the
        check kills or continues them: a state a program is in only a moment at a time
        (inside a critical section) is caught for certain, not by luck."""
        for _ in range(attempts):
            live = [p for p in procs if p.running()]
            for p in live:
                p.signal(_signal.SIGSTOP)
            if live and caught():
                return True
            for p in live:
                p.signal(_signal.SIGCONT)
            if not live:
                return False
            # Let them run a little: how long a state lasts is up to the program.
            self._session.pump(time.monotonic() + 0.0005)
        return False

    # -- expectations with generic feedback ------------------------------------------------------
    @staticmethod
    def describe_status(status: int | None) -> str:
        if status is None:
            return "running"
        if status < 0:
            try:
                return f"signal {_signal.Signals(-status).name}"
            except ValueError:
                return f"signal {-status}"
        return f"exit {status}"

    def expect_exit(
        self, p: Proc, status: int, section: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        got = p.wait(timeout, section)
        if got != status:
            fail(
                "_exit_status",
                section,
                program=p.command,
                expected=status,
                got=self.describe_status(got),
                stdout=excerpt(p.stdout),
                stderr=excerpt(p.stderr),
            )

    def expect_stdout(
        self,
        p: Proc,
        lines: list[str],
        section: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        p.wait(timeout, section)
        got = p.stdout
        want = "".join(line + "\n" for line in lines)
        if got != want:
            fail(
                "_stdout",
                section,
                program=p.command,
                expected=excerpt(want),
                got=excerpt(got) if got.endswith("\n") or not got else excerpt(got) + " ⟵ (no \\n)",
                stderr=excerpt(p.stderr),
            )

    def expect_error(
        self,
        p: Proc,
        call: str | tuple[str, ...],
        section: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        reason: str | None = None,
        msg: str = "_error",
    ) -> None:
        """Status 1 and a stderr line naming `call` (or any call of a tuple: where the
        statement leaves the order of two calls free); with `reason`, the line is exactly
        "call: reason". Any line: a student's debugging output on stderr costs nothing.
        `msg`: the message to fail with (fields program, call, got, status, stderr, stdout)."""
        got = p.wait(timeout, section)
        lines = p.stderr.strip().splitlines()
        calls = (call,) if isinstance(call, str) else tuple(call)
        named = any(
            line == f"{c}: {reason}" if reason else line.startswith(c + ":")
            for c in calls
            for line in lines
        )
        if got != 1 or not named:
            fail(
                msg,
                section,
                program=p.command,
                call=" / ".join(calls),
                got=self.describe_status(got),
                status=self.describe_status(got),
                stderr=excerpt(p.stderr),
                stdout=excerpt(p.stdout),
            )

    def expect_usage(
        self, p: Proc, section: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        got = p.wait(timeout, section)
        if got != 2 or "usage:" not in p.stderr:
            fail(
                "_usage",
                section,
                program=p.command,
                got=self.describe_status(got),
                stderr=excerpt(p.stderr),
            )

    def allow(self, shm: int = 0, sem: int = 0, msg: int = 0) -> None:
        self.allowed = {"shm": shm, "sem": sem, "msg": msg}

    # -- end of the check ------------------------------------------------------------------------
    def check_leftovers(self) -> None:
        """Fails when more IPC objects remain than the check allowed, showing ipcs's lines."""
        counts = {
            "shm": len(self.segments()),
            "sem": len(self.semaphores()),
            "msg": len(self.queues()),
        }
        extra = {k: v for k, v in counts.items() if v > self.allowed[k]}
        if extra:
            # Only the tables with too many objects, as `ipcs -m` / `-s` / `-q` print them.
            flag = {"shm": "-m", "sem": "-s", "msg": "-q"}
            listing = "\n".join(self.run_tool(["ipcs", flag[k]]).stdout.strip("\n") for k in extra)
            fail(
                "_leftovers",
                "leftovers",
                found=", ".join(f"{v} {k}" for k, v in counts.items() if v),
                allowed=", ".join(f"{v} {k}" for k, v in self.allowed.items()),
                ipcs=listing,
            )

    def close(self) -> None:
        try:
            self._session.close()
        finally:
            self._drop_passwd()
