"""The sandbox every piece of student code runs in: bubblewrap with private namespaces.

Each sandbox gets its own IPC namespace (identical ftok keys in two checks never meet, and
every object dies with the namespace), its own PID namespace (nothing the student starts
survives: when the sandbox's first process dies the kernel kills the rest), no network, and
an unprivileged user with no capabilities, so permission lessons hold even when the grader
runs as root. See docs/sandbox.en.md for the flags and why each is there.
"""
from __future__ import annotations

import functools
import json
import os
import signal
import shutil
import subprocess
import threading
from dataclasses import dataclass, field

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
    ro: list[tuple[str, str]] = field(default_factory=list)   # (host path, sandbox path)
    rw: list[tuple[str, str]] = field(default_factory=list)
    whole_root: bool = False   # ro-bind / (developer tests of the lab's own code only)


# The system directories a dynamically linked C++ program and Debian's python3 need.
SYSTEM_RO = ["/usr", "/etc/alternatives", "/etc/ld.so.cache", "/etc/passwd", "/etc/group",
             "/etc/localtime"]
SYSTEM_LINKS = [("usr/lib", "/lib"), ("usr/lib64", "/lib64"), ("usr/bin", "/bin"),
                ("usr/sbin", "/sbin")]


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
        return ("bubblewrap (bwrap) is not installed: run `sudo apt-get install bubblewrap` "
                "(or `make setup`)")
    try:
        box = prepare(["/bin/true"], Mounts())
        try:
            r = subprocess.run(box.argv, capture_output=True, timeout=20, pass_fds=box.pass_fds)
        finally:
            box.close()
            box.kill()
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bubblewrap could not start: {e}"
    if r.returncode != 0:
        err = r.stderr.decode(errors="replace").strip().splitlines()
        reason = err[-1] if err else f"exit status {r.returncode}"
        hint = ""
        if os.path.exists("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"):
            hint = (" (Ubuntu 24.04 restricts user namespaces: see docs/sandbox.en.md, or run "
                    "`sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`)")
        return f"bubblewrap cannot create namespaces here: {reason}{hint}"
    return None


def require() -> None:
    reason = probe()
    if reason:
        raise SandboxUnavailable(reason)


@dataclass
class Prepared:
    """A sandbox ready to start: its command line and the descriptors to pass to it (give
    both to Popen: `pass_fds=box.pass_fds`; close() once it has started). kill() ends it
    all: bubblewrap reports the pid of the sandbox's init on --info-fd, and when that dies
    the kernel kills every process of its PID namespace, daemons included."""
    argv: list[str]
    pass_fds: tuple[int, ...] = ()
    info_fd: int | None = None
    other_uid: bool = False   # OTHER_UID is mapped too (root's own user namespace)

    def close(self) -> None:
        for fd in self.pass_fds:
            os.close(fd)
        self.pass_fds = ()

    def kill(self) -> None:
        """Kills the sandbox's init if it still runs. The pid is checked against the PID
        namespace bubblewrap reported, so a reused pid is never someone else's process."""
        if self.info_fd is None:
            return
        try:
            os.set_blocking(self.info_fd, False)
            info = json.loads(os.read(self.info_fd, 65536) or b"{}")
            pid, ns = info.get("child-pid"), info.get("pid-namespace")
            if pid and ns and os.stat(f"/proc/{int(pid)}/ns/pid").st_ino == ns:
                os.kill(int(pid), signal.SIGKILL)
        except (OSError, ValueError):
            pass  # never started, or already gone
        finally:
            os.close(self.info_fd)
            self.info_fd = None


def prepare(command: list[str], mounts: Mounts, *, uid: int = STUDENT_UID,
            gid: int = STUDENT_GID, supervised: bool = True, **kw) -> Prepared:
    """The sandbox for `command`. Run by root, bubblewrap's own user namespace would map the
    student to uid 0 outside, and the kernel never enforces RLIMIT_NPROC for uid 0: a fork
    bomb would fill the machine. So root gives bubblewrap a user namespace of its own making
    where the student is nobody outside too (see _nobody_userns). In that namespace
    bubblewrap's --die-with-parent does not reach the sandbox's init, so the caller must end
    it (Prepared.kill, or the agent's own clean-up): `supervised=False` keeps bubblewrap's
    own namespace for a caller that cannot (ctest killing `ipclab sandbox-run`)."""
    if not supervised:
        return Prepared(bwrap_argv(command, mounts, uid=uid, gid=gid, **kw))
    info_r, info_w = os.pipe2(os.O_CLOEXEC)
    fds = [info_w]
    try:
        if os.geteuid() == 0:
            for host, _ in [*mounts.ro, *mounts.rw]:
                _require_reachable(host)
            fds.append(_nobody_userns())
            uid, gid = STUDENT_UID, STUDENT_GID
        argv = bwrap_argv(command, mounts, uid=uid, gid=gid,
                          userns_fd=fds[1] if len(fds) > 1 else None, **kw)
    except BaseException:
        for fd in (info_r, *fds):
            os.close(fd)
        raise
    return Prepared(argv[:1] + ["--info-fd", str(info_w)] + argv[1:], tuple(fds), info_r,
                    other_uid=len(fds) > 1)


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
            if not argv or os.path.basename(argv[0]) != b"bwrap" or b"ipclab" not in argv or \
                    argv[argv.index(b"ipclab") - 1] != b"--hostname":
                continue
            with open(f"/proc/{entry}/status") as f:
                status = dict(line.split(":", 1) for line in f if ":" in line)
            if status["NSpid"].split()[-1] != "1":
                continue   # not a sandbox's init: bubblewrap's outer process, in our namespace
            with open(f"/proc/{status['PPid'].strip()}/comm") as f:
                if f.read().strip() == "bwrap":
                    continue   # its bubblewrap still runs it
            os.kill(int(entry), signal.SIGKILL)
            reaped += 1
        except (OSError, ValueError, IndexError):
            continue   # gone meanwhile, or not ours to signal
    return reaped


def _require_reachable(path: str) -> None:
    """bubblewrap reaches the mounts as nobody: every folder above them must let others in."""
    p = os.path.abspath(path)
    while True:
        parent = os.path.dirname(p)
        if parent == p:
            return
        if not os.stat(parent).st_mode & 0o001:
            raise SandboxUnavailable(
                f"{path} cannot be reached by the sandbox's user (nobody): {parent} is private; "
                f"keep ipclab and its cache (IPCLAB_CACHE) in folders others may enter "
                f"(or `chmod o+x {parent}`)")
        p = parent


_userns_lock = threading.Lock()
_userns: list[int] = []   # the process's one user namespace, made on first use


def _nobody_userns() -> int:
    """A user namespace where the student is nobody, mapped to nobody outside (and OTHER_UID
    to itself, so that a check can prepare someone else's segment); returns an open descriptor
    of it for bwrap --userns (the caller closes it). One per process, shared by its
    sandboxes: a user namespace holds no processes or objects of its own, and each sandbox
    still gets fresh IPC, PID, mount, network and UTS namespaces inside it."""
    with _userns_lock:
        if not _userns:
            _userns.append(_make_nobody_userns())
        return os.dup(_userns[0])


def _make_nobody_userns() -> int:
    """A short-lived helper makes the namespace (unshare(1) prints a line once it exists),
    root writes its maps, and the helper exits."""
    helper = subprocess.Popen(["unshare", "--user", "--", "/bin/sh", "-c", "echo; read x"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)
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


def bwrap_argv(command: list[str], mounts: Mounts, *, cwd: str = "/", uid: int = STUDENT_UID,
               gid: int = STUDENT_GID, env: dict[str, str] | None = None,
               userns_fd: int | None = None) -> list[str]:
    """The bwrap command line that runs `command` in a fresh sandbox (use prepare())."""
    # --disable-userns (no namespace of its own inside, where a program could hide from the
    # checks) only works with bwrap's own user namespace; under root's the program could make
    # one, but it still dies with the sandbox and sees nothing of the machine.
    userns = (["--unshare-user", "--disable-userns"] if userns_fd is None
              else ["--userns", str(userns_fd)])
    argv = [bwrap_path() or "bwrap",
            "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", *userns, "--uid", str(uid), "--gid", str(gid),
            # the sandbox dies with whoever started it, and cannot reach its terminal
            "--die-with-parent", "--new-session",
            "--cap-drop", "ALL", "--hostname", "ipclab"]
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
    argv += ["--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys", "--dev", "/dev",
             "--tmpfs", "/tmp"]
    for host, inside in mounts.ro:
        argv += ["--ro-bind", host, inside]
    for host, inside in mounts.rw:
        argv += ["--bind", host, inside]
    argv += ["--chdir", cwd, "--clearenv"]
    for k, v in (env or default_env()).items():
        argv += ["--setenv", k, v]
    return argv + ["--"] + list(command)


def default_env() -> dict[str, str]:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp",
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
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
