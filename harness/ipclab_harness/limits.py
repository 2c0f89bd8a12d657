"""The bounds on student code: one table of defaults, overridable by a manifest's [limits].

Per program (set by the sandbox's agent before exec, or watched by the trusted side):
  wall    seconds a program may run before it is killed (SIGKILL)
  cpu     seconds of CPU (RLIMIT_CPU: SIGXCPU, then SIGKILL)
  as      bytes of address space (RLIMIT_AS: allocations fail)
  nproc   processes (and threads) in the sandbox: its cgroup's pids.max where there is one
          (fork fails, and the sandbox's processes are stopped at once), else RLIMIT_NPROC
          in a user namespace of the sandbox's own (cgroups.py, sandbox.prepare)
  cpu     also bounds the sandbox as a whole where a cgroup accounts its CPU time: one
          `cpu` per program started (session.Session._watch_processes)
  nofile  open files (RLIMIT_NOFILE)
  fsize   bytes in any one file written (RLIMIT_FSIZE: SIGXFSZ)
  core    core dump size: always 0
  output  bytes of stdout and of stderr kept per program; the rest is counted, not kept,
          and the feedback says the output was cut
Per exercise build (the compiler is not student code, but what it compiles is):
  build_time    seconds for configure + compile + link of one exercise
  build_memory  bytes of address space of each compiler process
"""
from __future__ import annotations

DEFAULTS: dict[str, int] = {
    "wall": 10,
    # The most any reference program or unit-test group needs is 0.16 s: 2 s leaves a wide
    # margin for slower code, and a program stuck in a loop wastes 2 s of the grader, not 5.
    "cpu": 2,
    "as": 512 << 20,
    "nproc": 64,
    "nofile": 64,
    "fsize": 16 << 20,
    "core": 0,
    "output": 1 << 20,
    "build_time": 120,
    "build_memory": 2 << 30,
}

# The limits the agent applies with setrlimit before exec.
RLIMITS = ("cpu", "as", "nproc", "nofile", "fsize", "core")


class LimitsError(ValueError):
    pass


def resolve(overrides: dict | None) -> dict[str, int]:
    """DEFAULTS with a manifest's overrides; unknown names and non-positive values are errors
    (a typo in a manifest must not silently leave a program unbounded)."""
    merged = dict(DEFAULTS)
    for name, value in (overrides or {}).items():
        if name not in DEFAULTS:
            raise LimitsError(f"unknown limit '{name}' (known: {', '.join(DEFAULTS)})")
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or value < 0
            or (value == 0 and name != "core")
        ):
            raise LimitsError(f"limit '{name}' must be a positive integer, not {value!r}")
        if name == "core" and value != 0:
            raise LimitsError("limit 'core' must be 0: core dumps of student programs stay off")
        merged[name] = value
    return merged


def rlimits(limits: dict[str, int]) -> dict[str, int]:
    return {name: limits[name] for name in RLIMITS}
