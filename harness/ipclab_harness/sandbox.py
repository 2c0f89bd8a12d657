"""The sandbox every piece of student code runs in: bubblewrap with private namespaces.

Each sandbox gets its own IPC namespace (identical ftok keys in two checks never meet, and
every object dies with the namespace), its own PID namespace (nothing the student starts
survives: when the sandbox's first process dies the kernel kills the rest), no network, and
an unprivileged user with no capabilities, so permission lessons hold even when the grader
runs as root. See docs/sandbox.en.md for the flags and why each is there.
"""
from __future__ import annotations

import ctypes
import functools
import json
import os
import select
import signal
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field

from . import cgroups

STUDENT_UID = 65534  # "nobody": not root, no capabilities, not the grader's uid inside
STUDENT_GID = 65534
# "Another user" for checks that need one (root only: see _nobody_userns); no account has it
# on Debian, so tools show it as a number, as they do for an unknown user.
OTHER_UID = 65533


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here; the message says what to do."""


@dataclass
class Mounts:
    """What the sandbox sees. Everything not named here does not exist inside."""

    ro: list[tuple[str, str]] = field(default_factory=list)  # (host path, sandbox path)
    rw: list[tuple[str, str]] = field(default_factory=list)
    whole_root: bool = False  # ro-bind / (developer tests of the lab's own code only)


# The system directories a dynamically linked C++ program and Debian's python3 need.
SYSTEM_RO = [
    "/usr",
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/passwd",
    "/etc/group",
    "/etc/localtime",
]
SYSTEM_LINKS = [
    ("usr/lib", "/lib"),
    ("usr/lib64", "/lib64"),
    ("usr/bin", "/bin"),
    ("usr/sbin", "/sbin"),
]


# How student code is run: "bwrap" (the sandbox) or, only for a student checking their own
# work where no sandbox can be built, "unsandboxed" (see docs/sandbox.en.md). Kept in the
# environment so the process checks' pytest run inherits it.
SANDBOXED, FALLBACK = "bwrap", "unsandboxed"


def current_mode() -> str:
    return FALLBACK if os.environ.get("IPCLAB_MODE") == FALLBACK else SANDBOXED


def enter_fallback() -> None:
    os.environ["IPCLAB_MODE"] = FALLBACK


def bwrap_path() -> str | None:
    # IPCLAB_BWRAP names another bubblewrap (or /bin/false, to see what happens without one).
    if os.environ.get("IPCLAB_BWRAP"):
        return os.environ["IPCLAB_BWRAP"]
    return shutil.which("bwrap") or (os.path.exists("/usr/bin/bwrap") and "/usr/bin/bwrap") or None


@functools.lru_cache(maxsize=1)
def probe() -> str | None:
    """None when the sandbox works here; otherwise one line saying why not and what to do."""
    bwrap = bwrap_path()
    if not bwrap:
        return (
            "bubblewrap (bwrap) is not installed: run `sudo apt-get install bubblewrap` "
            "(or `make setup`)"
        )
    try:
        box = prepare(["/bin/true"], Mounts())
        try:
            p = subprocess.Popen(
                box.argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                pass_fds=box.pass_fds,
            )
        except BaseException:
            box.close()
            box.finish(None)
            raise
        try:
            box.close()
            out, err = p.communicate(timeout=20)
        finally:
            box.finish(p)
        r = subprocess.CompletedProcess(box.argv, p.returncode, out, err)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bubblewrap could not start: {e}"
    if r.returncode != 0:
        err = r.stderr.decode(errors="replace").strip().splitlines()
        reason = err[-1] if err else f"exit status {r.returncode}"
        hint = ""
        if os.path.exists("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"):
            hint = (
                " (Ubuntu 24.04 restricts user namespaces: see docs/sandbox.en.md, or run "
                "`sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`)"
            )
        return f"bubblewrap cannot create namespaces here: {reason}{hint}"
    return None


def require() -> None:
    reason = probe()
    if reason:
        raise SandboxUnavailable(reason)


@dataclass
class Prepared:
    """A sandbox ready to start: its command line and the descriptors to pass to it (give
    both to Popen: `pass_fds=box.pass_fds`), then close() once it has started: that puts
    the sandbox in its cgroup and lets it go on. finish(popen) ends it all and waits for
    every process of it: bubblewrap reports the pid of the sandbox's init on --info-fd, and
    when that dies the kernel kills every process of its PID namespace, daemons included."""

    argv: list[str]
    pass_fds: tuple[int, ...] = ()
    info_fd: int | None = None
    other_uid: bool = False  # OTHER_UID is mapped too (root's own user namespace)
    cgroup: "cgroups.Cgroup | None" = None  # counts the sandbox's processes (None: RLIMIT_NPROC)
    block_fd: int | None = None  # bubblewrap waits on it until the sandbox is in its cgroup
    info: dict | None = None
    init_pidfd: int | None = None

    def close(self) -> None:
        for fd in self.pass_fds:
            os.close(fd)
        self.pass_fds = ()
        if self.block_fd is not None:
            # The sandbox's init waits (--block-fd) before it starts the command: put it in
            # the cgroup now, and everything it starts is counted there.
            try:
                info = self._read_info(time.monotonic() + 20)
                if info and self.init_pidfd is not None and self.cgroup:
                    self.cgroup.attach(int(info["child-pid"]))
                    os.write(self.block_fd, b"g")
            except OSError:
                pass  # the sandbox did not start, or died: the caller sees that
            finally:
                os.close(self.block_fd)
                self.block_fd = None

    def _read_info(self, deadline: float) -> dict | None:
        """bubblewrap's report (child-pid, pid-namespace), once; opens a pidfd of the init
        (checked against its PID namespace, so a reused pid is never someone else's)."""
        if self.info is not None or self.info_fd is None:
            return self.info
        data = b""
        os.set_blocking(self.info_fd, False)
        while True:
            try:
                chunk = os.read(self.info_fd, 65536)
            except BlockingIOError:
                chunk = None
            if chunk == b"":
                break  # bubblewrap closed it (or never started)
            if chunk:
                data += chunk
                try:
                    self.info = json.loads(data)
                    break
                except ValueError:
                    pass
            left = deadline - time.monotonic()
            if left <= 0:
                break
            select.select([self.info_fd], [], [], left)
        if self.info:
            try:
                pid, ns = int(self.info["child-pid"]), self.info["pid-namespace"]
                fd = os.pidfd_open(pid)
                if os.stat(f"/proc/{pid}/ns/pid").st_ino == ns:
                    self.init_pidfd = fd
                else:
                    os.close(fd)
            except (OSError, KeyError, ValueError, TypeError):
                pass
        return self.info

    def kill(self) -> None:
        """Kills the sandbox's init if it still runs (its PID namespace, and everything in
        it, dies with it)."""
        if self.info_fd is None and self.init_pidfd is None:
            return
        self._read_info(time.monotonic())
        if self.init_pidfd is not None:
            try:
                signal.pidfd_send_signal(self.init_pidfd, signal.SIGKILL)
            except OSError:
                pass  # already gone
        if self.info_fd is not None:
            os.close(self.info_fd)
            self.info_fd = None

    def finish(self, popen: "subprocess.Popen | None", timeout: float = 10.0) -> None:
        """Ends the sandbox and waits for all of it: its init (killed), bubblewrap (`popen`),
        and the init again when bubblewrap did not wait for it. bubblewrap exits as soon as
        the command it ran exits, while its init is still ending the namespace: that init
        is then adopted by the grader (a child subreaper, see _adopt_orphans) and waited for
        here, not left to pid 1. Then the cgroup goes."""
        self.kill()
        if popen is not None:
            try:
                popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()
        if self.init_pidfd is not None:
            # The init ends only once every other process of its PID namespace has been
            # reaped (the kernel's zap_pid_ns_processes), so its end is the end of all of
            # it. Waited for on its pidfd, whoever its parent is by now, and reaped here
            # when it is ours.
            poller = select.poll()
            poller.register(self.init_pidfd, select.POLLIN)
            poller.poll(timeout * 1000)
            try:
                os.waitid(os.P_PIDFD, self.init_pidfd, os.WEXITED | os.WNOHANG)
            except OSError:
                pass  # not ours: bubblewrap waited for it
            os.close(self.init_pidfd)
            self.init_pidfd = None
        if self.cgroup is not None and not self.cgroup.remove():
            # Still busy after its init ended: whatever is left is killed, then waited for.
            self.cgroup.kill()
            self.cgroup.remove()


def prepare(
    command: list[str],
    mounts: Mounts,
    *,
    uid: int = STUDENT_UID,
    gid: int = STUDENT_GID,
    supervised: bool = True,
    processes: int | None = None,
    memory: int | None = None,
    as_pid_1: bool = False,
    **kw,
) -> Prepared:
    """The sandbox for `command`; `processes`: how many processes (and threads) it may hold
    at once, counted in a cgroup of its own where the machine offers one (cgroups.py;
    otherwise RLIMIT_NPROC, which the agent sets per program, in a user namespace of the
    sandbox's own).

    Run by root, bubblewrap's own user namespace would map the student to uid 0 outside, and
    the kernel never enforces RLIMIT_NPROC for uid 0: a fork bomb would fill the machine. So
    root gives bubblewrap a user namespace of its own making where the student is nobody
    outside too (see _nobody_userns). In that namespace bubblewrap's --die-with-parent does
    not reach the sandbox's init, so the caller must end it (Prepared.finish, or the agent's
    own clean-up): `supervised=False` keeps bubblewrap's own namespace for a caller that
    cannot (ctest killing `ipclab sandbox-run`).

    The folders above the mounts may be private (a clone in /root): see
    _through_private_folders."""
    if not supervised:
        return Prepared(bwrap_argv(command, mounts, uid=uid, gid=gid, **kw))
    _adopt_orphans()
    info_r, info_w = os.pipe2(os.O_CLOEXEC)
    fds = [info_w]
    block_w = None
    group = None
    try:
        hierarchy = cgroups.available() if processes else None
        if hierarchy:
            group = hierarchy.new(processes, memory)
            block_r, block_w = os.pipe2(os.O_CLOEXEC)
            fds.append(block_r)
        userns_fd = None
        if os.geteuid() == 0:
            # With a cgroup per sandbox the processes are counted there, and the sandboxes
            # of one grader may share its user namespace; without, each needs its own, or
            # RLIMIT_NPROC (per user namespace and uid) would count them together.
            userns_fd = _nobody_userns(shared=group is not None)
            fds.append(userns_fd)
            uid, gid = STUDENT_UID, STUDENT_GID
        bound, views = _through_private_folders(mounts) if os.geteuid() == 0 else (mounts, [])
        argv = bwrap_argv(command, bound, uid=uid, gid=gid, userns_fd=userns_fd, **kw)
    except BaseException:
        for fd in (info_r, *fds, *([block_w] if block_w is not None else [])):
            os.close(fd)
        if group:
            group.remove(0)
        raise
    # as_pid_1: the command is the sandbox's pid 1 (bwrap --as-pid-1), not bubblewrap's init.
    extra = ["--as-pid-1"] * as_pid_1 + ["--info-fd", str(info_w)]
    if block_w is not None:
        extra += ["--block-fd", str(fds[1])]
    argv = argv[:1] + extra + argv[1:]
    if views:
        argv = _view_wrapper(views) + argv
    return Prepared(
        argv, tuple(fds), info_r, other_uid=userns_fd is not None, cgroup=group, block_fd=block_w
    )


# Where a sandbox started by root sees what lies under private folders (see below). The
# folder exists on the machine, empty; what is mounted on it exists only in the mount
# namespace of that one bubblewrap.
VIEWS = "/tmp/.ipclab-views"


def _reachable(path: str) -> bool:
    """Whether nobody may pass through every folder above `path`."""
    p = os.path.abspath(path)
    while True:
        parent = os.path.dirname(p)
        if parent == p:
            return True
        if not os.stat(parent).st_mode & 0o001:
            return False
        p = parent


def _through_private_folders(mounts: Mounts) -> tuple[Mounts, list[str]]:
    """bubblewrap sets up the sandbox's mounts as the student's user, so it cannot reach a
    folder under a private one (a clone in /root, a cache or a submission in a 0700 folder).
    Such a folder is first bound, as root, onto VIEWS/N in a mount namespace made for that
    one bubblewrap (_view_wrapper), and bubblewrap takes it from there: the sandbox sees the
    same folders at the same places, the machine sees nothing new, and the private folders
    stay private."""
    views: list[str] = []
    out = Mounts(whole_root=mounts.whole_root)
    for kind in ("ro", "rw"):
        for host, inside in getattr(mounts, kind):
            if not _reachable(host):
                views.append(os.path.abspath(host))
                host = f"{VIEWS}/{len(views) - 1}"
            getattr(out, kind).append((host, inside))
    if views:
        os.makedirs(VIEWS, mode=0o755, exist_ok=True)
    return out, views


def _view_wrapper(views: list[str]) -> list[str]:
    """The command that runs bubblewrap with VIEWS/N bound to views[N]: a new, private mount
    namespace (unshare --mount), a small tmpfs on VIEWS there, one bind mount each, then
    exec: the process stays the one the caller started."""
    steps = ['mount -t tmpfs -o mode=0755,size=64k ipclab-views "$0"']
    for i in range(len(views)):
        make = "mkdir" if os.path.isdir(views[i]) else ": >"
        steps.append(f'{make} "$0/{i}" && mount --bind "${{{i + 1}}}" "$0/{i}"')
    script = " && ".join(steps) + f' && shift {len(views)} && exec "$@"'
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "--",
        "/bin/sh",
        "-c",
        script,
        VIEWS,
        *views,
    ]


_subreaper = threading.Lock()
_subreaper_set: list[bool] = []


def _adopt_orphans() -> None:
    """Makes this process a child subreaper (once): a sandbox's init that bubblewrap leaves
    behind is adopted by the grader, which waits for it (Prepared.finish), instead of by
    pid 1, which may never reap it (a container whose pid 1 is a shell)."""
    with _subreaper:
        if not _subreaper_set:
            try:
                ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
            except (OSError, AttributeError):
                pass
            _subreaper_set.append(True)


def reap_orphans() -> int:
    """Kills the sandboxes a killed grader left behind; returns how many. A grader killed
    outright (SIGKILL, a reboot of its machine's session) cannot end its sandboxes, and as
    root bubblewrap's --die-with-parent does not reach a sandbox's init: one caught starting
    waits for ever for its dead parent. Such an init is a bubblewrap process of the lab (its
    command line says --hostname ipclab), pid 1 of its own PID namespace, whose parent is no
    longer bubblewrap; killing it ends everything in that namespace. A live sandbox's init
    has its bubblewrap parent; bubblewrap's outer process is not pid 1 of a namespace."""
    reaped = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            if (
                not argv
                or os.path.basename(argv[0]) != b"bwrap"
                or b"ipclab" not in argv
                or argv[argv.index(b"ipclab") - 1] != b"--hostname"
            ):
                continue
            with open(f"/proc/{entry}/status") as f:
                status = dict(line.split(":", 1) for line in f if ":" in line)
            if status["NSpid"].split()[-1] != "1":
                continue  # not a sandbox's init: bubblewrap's outer process, in our namespace
            with open(f"/proc/{status['PPid'].strip()}/comm") as f:
                if f.read().strip() == "bwrap":
                    continue  # its bubblewrap still runs it
            os.kill(int(entry), signal.SIGKILL)
            reaped += 1
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not ours to signal
    hierarchy = cgroups.available()
    if hierarchy:
        hierarchy.remove_stale()  # the empty cgroups of graders that are gone
    return reaped


_userns_lock = threading.Lock()
_userns: list[int] = []  # the process's one user namespace, made on first use


def _nobody_userns(shared: bool = True) -> int:
    """A user namespace where the student is nobody, mapped to nobody outside (and OTHER_UID
    to itself, so that a check can prepare someone else's segment); returns an open descriptor
    of it for bwrap --userns (the caller closes it). `shared`: one per process, for sandboxes
    whose processes a cgroup counts (a user namespace holds no processes or objects of its
    own, and each sandbox still gets fresh IPC, PID, mount, network and UTS namespaces inside
    it); otherwise a new one, because RLIMIT_NPROC counts per user namespace and uid."""
    if not shared:
        return _make_nobody_userns()
    with _userns_lock:
        if not _userns:
            _userns.append(_make_nobody_userns())
        return os.dup(_userns[0])


def _make_nobody_userns() -> int:
    """A short-lived helper makes the namespace (unshare(1) prints a line once it exists),
    root writes its maps, and the helper exits."""
    helper = subprocess.Popen(
        ["unshare", "--user", "--", "/bin/sh", "-c", "echo; read x"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        if helper.stdout.readline() != b"\n":
            raise SandboxUnavailable("unshare --user failed: user namespaces are not available")
        for kind, ident in (("uid_map", STUDENT_UID), ("gid_map", STUDENT_GID)):
            with open(f"/proc/{helper.pid}/{kind}", "w") as f:
                f.write(f"{ident} {ident} 1\n{OTHER_UID} {OTHER_UID} 1\n")
        return os.open(f"/proc/{helper.pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        helper.stdin.close()
        helper.stdout.close()
        helper.wait()


def bwrap_argv(
    command: list[str],
    mounts: Mounts,
    *,
    cwd: str = "/",
    uid: int = STUDENT_UID,
    gid: int = STUDENT_GID,
    env: dict[str, str] | None = None,
    userns_fd: int | None = None,
) -> list[str]:
    """The bwrap command line that runs `command` in a fresh sandbox (use prepare())."""
    # --disable-userns (no namespace of its own inside, where a program could hide from the
    # checks) only works with bwrap's own user namespace; under root's the program could make
    # one, but it still dies with the sandbox and sees nothing of the machine.
    userns = (
        ["--unshare-user", "--disable-userns"]
        if userns_fd is None
        else ["--userns", str(userns_fd)]
    )
    argv = [
        bwrap_path() or "bwrap",
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        *userns,
        "--uid",
        str(uid),
        "--gid",
        str(gid),
        # the sandbox dies with whoever started it, and cannot reach its terminal
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--hostname",
        "ipclab",
    ]
    if mounts.whole_root:
        argv += ["--ro-bind", "/", "/"]
    else:
        for path in SYSTEM_RO:
            if os.path.exists(path):
                argv += ["--ro-bind", path, path]
        for target, link in SYSTEM_LINKS:
            if os.path.exists("/" + target):
                argv += ["--symlink", target, link]
    # /proc/sys read-only: code in the sandbox must not raise its namespace's IPC limits
    # (bubblewrap does not cover it when it maps the caller to root outside).
    argv += [
        "--proc",
        "/proc",
        "--ro-bind",
        "/proc/sys",
        "/proc/sys",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
    ]
    for host, inside in mounts.ro:
        argv += ["--ro-bind", host, inside]
    for host, inside in mounts.rw:
        argv += ["--bind", host, inside]
    argv += ["--chdir", cwd, "--clearenv"]
    for k, v in (env or default_env()).items():
        argv += ["--setenv", k, v]
    return argv + ["--"] + list(command)


def default_env() -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    for k in ("GTEST_COLOR", "GTEST_FILTER", "GTEST_OUTPUT", "TERM"):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


def run_command_main(argv: list[str]) -> int:
    """`ipclab sandbox-run -- CMD...`: run CMD in a private sandbox that sees the machine
    read-only (how ctest runs the lab's unit tests); exit with CMD's status."""
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print("usage: ipclab sandbox-run -- COMMAND [ARG...]", file=os.sys.stderr)
        return 2
    reason = probe()
    if reason:
        print(f"ipclab: {reason}", file=os.sys.stderr)
        return 125
    # The machine read-only, with a private /tmp; the working directory stays visible even
    # when it is under /tmp (a build directory there).
    binds = Mounts(whole_root=True, ro=[(os.getcwd(), os.getcwd())])
    # ctest may kill this process outright: only bubblewrap's own namespace follows it down.
    box = prepare(argv, binds, cwd=os.getcwd(), supervised=False)
    for fd in box.pass_fds:
        os.set_inheritable(fd, True)
    # Python ignores SIGPIPE and exec keeps that: the tests must run as the grader runs them.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    os.execv(box.argv[0], box.argv)
    return 127  # not reached
