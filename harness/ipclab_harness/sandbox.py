"""The sandbox every piece of student code runs in: bubblewrap with private namespaces.

Each sandbox gets its own IPC namespace (identical ftok keys in two checks never meet, and
every object dies with the namespace), its own PID namespace (nothing the student starts
survives: when the sandbox's first process dies the kernel kills the rest), no network, and
an unprivileged user with no capabilities, so permission lessons hold even when the grader
runs as root. See docs/sandbox.en.md for the flags and why each is there.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass, field

STUDENT_UID = 65534  # "nobody": not root, no capabilities, not the grader's uid inside
STUDENT_GID = 65534


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


def bwrap_path() -> str | None:
    return shutil.which("bwrap") or (os.path.exists("/usr/bin/bwrap") and "/usr/bin/bwrap") or None


@functools.lru_cache(maxsize=1)
def probe() -> str | None:
    """None when the sandbox works here; otherwise one line saying why not and what to do."""
    bwrap = bwrap_path()
    if not bwrap:
        return ("bubblewrap (bwrap) is not installed: run `sudo apt-get install bubblewrap` "
                "(or `make setup`)")
    try:
        r = subprocess.run(bwrap_argv(["/bin/true"], Mounts()), capture_output=True, timeout=20)
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


def bwrap_argv(command: list[str], mounts: Mounts, *, cwd: str = "/", uid: int = STUDENT_UID,
               gid: int = STUDENT_GID, env: dict[str, str] | None = None,
               extra_fds: tuple[int, ...] = ()) -> list[str]:
    """The bwrap command line that runs `command` in a fresh sandbox."""
    argv = [bwrap_path() or "bwrap",
            "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--unshare-user", "--uid", str(uid), "--gid", str(gid),
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
    cmd = bwrap_argv(argv, binds, cwd=os.getcwd())
    os.execv(cmd[0], cmd)
    return 127  # not reached
