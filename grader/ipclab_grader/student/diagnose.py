"""What `./ipclab doctor` looks at: the tools a check needs and whether the sandbox can work
here, each as a Finding with, when it fails, the packages or the change that fixes it.

Everything read from the machine can be pointed elsewhere, so the tests can fake a machine
that lacks something: PATH (tools), IPCLAB_PYTHON (the Python that runs the checks),
IPCLAB_PROC_SYS (a folder laid out like /proc/sys), IPCLAB_OS_RELEASE, IPCLAB_APPARMOR_DIR."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths

MIN_GCC = 10
MIN_CMAKE = (3, 20)  # CMakeLists.txt's cmake_minimum_required
PY_MODULES = ("pytest", "sysv_ipc", "pytest_timeout", "rich")

# A tool or module -> its package, per package manager.
PACKAGES = {
    "g++": {"apt": "g++", "dnf": "gcc-c++"},
    "cmake": {"apt": "cmake", "dnf": "cmake"},
    "ninja": {"apt": "ninja-build", "dnf": "ninja-build"},
    "gtest": {"apt": "libgtest-dev libgmock-dev", "dnf": "gtest-devel gmock-devel"},
    "python3": {"apt": "python3", "dnf": "python3"},
    "pytest": {"apt": "python3-pytest", "dnf": "python3-pytest"},
    "sysv_ipc": {"apt": "python3-sysv-ipc", "dnf": "python3-sysv_ipc"},
    "pytest_timeout": {"apt": "python3-pytest-timeout", "dnf": "python3-pytest-timeout"},
    "rich": {"apt": "python3-rich", "dnf": "python3-rich"},
    "bwrap": {"apt": "bubblewrap", "dnf": "bubblewrap"},
    "ipcs": {"apt": "util-linux", "dnf": "util-linux"},
    "json": {"apt": "nlohmann-json3-dev", "dnf": "json-devel"},
}
INSTALL = {"apt": "sudo apt-get install -y {pkgs}", "dnf": "sudo dnf install -y {pkgs}"}

APPARMOR_PROFILE = """abi <abi/4.0>,
include <tunables/global>

profile bwrap /usr/bin/bwrap flags=(unconfined) {
  userns,

  include if exists <local/bwrap>
}"""
FIX_APPARMOR = (
    "sudo tee /etc/apparmor.d/bwrap >/dev/null <<'EOF'\n"
    + APPARMOR_PROFILE
    + "\nEOF\nsudo apparmor_parser -r /etc/apparmor.d/bwrap"
)
FIX_APPARMOR_SYSCTL = (
    "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0\n"
    "echo kernel.apparmor_restrict_unprivileged_userns=0 | "
    "sudo tee /etc/sysctl.d/60-ipclab-userns.conf"
)
FIX_USERNS_CLONE = (
    "sudo sysctl -w kernel.unprivileged_userns_clone=1\n"
    "echo kernel.unprivileged_userns_clone=1 | sudo tee /etc/sysctl.d/60-ipclab-userns.conf"
)
FIX_MAX_USERNS = (
    "sudo sysctl -w user.max_user_namespaces=15000\n"
    "echo user.max_user_namespaces=15000 | sudo tee /etc/sysctl.d/60-ipclab-userns.conf"
)


@dataclass
class Finding:
    name: str  # doctor.check_<name> is its title
    ok: bool
    detail: str = ""  # what was found (a version, a reason): not translated
    detail_key: str = ""  # or a message key for it
    packages: list[str] = field(default_factory=list)  # keys of PACKAGES that fix it
    fix_key: str = ""  # a message key explaining a change that fixes it
    fix_cmd: str = ""  # the commands of that change


def _run(argv, **kw) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, **kw)
    except (OSError, subprocess.TimeoutExpired):
        return None


def package_manager() -> str:
    path = os.environ.get("IPCLAB_OS_RELEASE", "/etc/os-release")
    try:
        text = Path(path).read_text()
    except OSError:
        return "apt"
    ids = " ".join(re.findall(r"^(?:ID|ID_LIKE)=\"?([^\"\n]*)", text, re.M)).lower()
    return "dnf" if any(w in ids.split() for w in ("fedora", "rhel", "centos")) else "apt"


def compiler() -> Finding:
    gxx = shutil.which("g++")
    if not gxx:
        return Finding("compiler", False, detail_key="doctor.not_found", packages=["g++"])
    r = _run([gxx, "-dumpfullversion", "-dumpversion"])
    version = r.stdout.strip() if r and r.returncode == 0 else "?"
    major = int(version.split(".")[0]) if version.split(".")[0].isdigit() else 0
    if major < MIN_GCC:
        return Finding("compiler", False, detail=f"g++ {version}", packages=["g++"])
    probe = _run(
        [gxx, "-std=c++17", "-x", "c++", "-fsyntax-only", "-"],
        input="#include <optional>\nint main() { std::optional<int> x; return x ? 1 : 0; }\n",
    )
    if not probe or probe.returncode != 0:
        return Finding("compiler", False, detail=f"g++ {version}", packages=["g++"])
    return Finding("compiler", True, detail=f"g++ {version}")


def cmake() -> Finding:
    exe = shutil.which("cmake")
    if not exe:
        return Finding("cmake", False, detail_key="doctor.not_found", packages=["cmake"])
    r = _run([exe, "--version"])
    m = re.search(r"(\d+)\.(\d+)(\.\d+)?", r.stdout if r else "")
    version = m.group(0) if m else "?"
    ok = bool(m) and (int(m.group(1)), int(m.group(2))) >= MIN_CMAKE
    return Finding("cmake", ok, detail=f"cmake {version}", packages=[] if ok else ["cmake"])


def ninja() -> Finding:
    exe = shutil.which("ninja") or shutil.which("ninja-build")
    if not exe:
        return Finding("ninja", False, detail_key="doctor.not_found", packages=["ninja"])
    r = _run([exe, "--version"])
    return Finding("ninja", True, detail="ninja " + (r.stdout.strip() if r else "?"))


def gtest(cmake_ok: bool) -> Finding:
    if not cmake_ok:
        return Finding("gtest", False, detail_key="doctor.needs_cmake", packages=["gtest"])
    with tempfile.TemporaryDirectory(prefix="ipclab-doctor-") as tmp:
        Path(tmp, "CMakeLists.txt").write_text(
            "cmake_minimum_required(VERSION 3.16)\nproject(probe CXX)\n"
            "find_package(GTest REQUIRED)\n"
        )
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        r = _run(["cmake", "-S", tmp, "-B", str(Path(tmp, "b")), *generator])
    if r and r.returncode == 0:
        return Finding("gtest", True, detail="find_package(GTest)")
    return Finding("gtest", False, detail_key="doctor.gtest_missing", packages=["gtest"])


def python_modules() -> Finding:
    py = os.environ.get("IPCLAB_PYTHON", paths.PYTHON)
    if not os.access(py, os.X_OK):
        return Finding("python", False, detail=py, packages=["python3", *PY_MODULES])
    script = (
        "import importlib.util as u\n"
        f"print(' '.join(m for m in {PY_MODULES!r} if u.find_spec(m) is None))"
    )
    r = _run([py, "-c", script])
    if r is None or r.returncode != 0:
        return Finding("python", False, detail=py, packages=["python3", *PY_MODULES])
    missing = r.stdout.split()
    if missing:
        return Finding("python", False, detail=f"{py}: " + ", ".join(missing), packages=missing)
    return Finding("python", True, detail=f"{py}: " + ", ".join(PY_MODULES))


def ipc_tools() -> Finding:
    missing = [t for t in ("ipcs", "ipcrm") if not shutil.which(t)]
    if missing:
        return Finding("ipc_tools", False, detail=", ".join(missing), packages=["ipcs"])
    return Finding("ipc_tools", True, detail="ipcs, ipcrm")


def _sysctl(name: str) -> str | None:
    root = os.environ.get("IPCLAB_PROC_SYS", "/proc/sys")
    try:
        return Path(root, *name.split(".")).read_text().strip()
    except OSError:
        return None


def _bwrap_profile() -> Path | None:
    folder = Path(os.environ.get("IPCLAB_APPARMOR_DIR", "/etc/apparmor.d"))
    try:
        for p in sorted(folder.iterdir()):
            if p.is_file() and "bwrap" in p.name:
                text = p.read_text(errors="replace")
                if "userns" in text and "bwrap" in text:
                    return p
    except OSError:
        pass
    return None


def user_namespaces() -> list[Finding]:
    out = []
    if _sysctl("kernel.unprivileged_userns_clone") == "0":
        out.append(
            Finding(
                "userns_clone",
                False,
                detail="kernel.unprivileged_userns_clone = 0",
                fix_key="doctor.fix_userns_clone",
                fix_cmd=FIX_USERNS_CLONE,
            )
        )
    if _sysctl("user.max_user_namespaces") == "0":
        out.append(
            Finding(
                "max_userns",
                False,
                detail="user.max_user_namespaces = 0",
                fix_key="doctor.fix_max_userns",
                fix_cmd=FIX_MAX_USERNS,
            )
        )
    if _sysctl("kernel.apparmor_restrict_unprivileged_userns") == "1":
        profile = _bwrap_profile()
        if profile:
            out.append(Finding("apparmor", True, detail=f"{profile}"))
        else:
            out.append(
                Finding(
                    "apparmor",
                    False,
                    detail="kernel.apparmor_restrict_unprivileged_userns = 1",
                    fix_key="doctor.fix_apparmor",
                    fix_cmd=FIX_APPARMOR + "\n\n" + FIX_APPARMOR_SYSCTL,
                )
            )
    if not out:
        out.append(Finding("userns", True, detail_key="doctor.userns_allowed"))
    return out


def sandbox() -> list[Finding]:
    from ipclab_harness import sandbox as sb

    if not shutil.which("bwrap"):
        return [Finding("bwrap", False, detail_key="doctor.not_found", packages=["bwrap"])]
    reason = sb.probe()
    if reason:
        return [
            Finding("bwrap", True, detail=shutil.which("bwrap")),
            Finding("sandbox", False, detail=reason, fix_key="doctor.fix_sandbox"),
        ]
    return [
        Finding("bwrap", True, detail=shutil.which("bwrap")),
        Finding("sandbox", True, detail_key="doctor.sandbox_works"),
    ]


def agent(compiler_ok: bool) -> Finding:
    """The sandbox's agent is compiled here on first use (harness/ipclab_harness/agent.cpp),
    with nlohmann-json's header."""
    if not compiler_ok:
        return Finding("agent", False, detail_key="doctor.agent_needs_compiler")
    from ipclab_harness.agentbin import AgentBuildError, agent_binary

    try:
        return Finding("agent", True, detail=str(agent_binary()))
    except (AgentBuildError, OSError) as e:
        return Finding("agent", False, detail=str(e), packages=["json"])


def all_findings() -> list[Finding]:
    cm = cmake()
    cc = compiler()
    return [
        cc,
        cm,
        ninja(),
        gtest(cm.ok),
        python_modules(),
        ipc_tools(),
        *user_namespaces(),
        *sandbox(),
        agent(cc.ok),
    ]


def install_command(findings: list[Finding], manager: str) -> str | None:
    pkgs: list[str] = []
    for f in findings:
        for p in f.packages:
            for name in PACKAGES[p][manager].split():
                if name not in pkgs:
                    pkgs.append(name)
    return INSTALL[manager].format(pkgs=" ".join(pkgs)) if pkgs else None
