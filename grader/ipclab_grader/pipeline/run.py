"""Step 5 of a grade (the steps: pipeline/__init__.py): run the unit tests and the process
checks of one built exercise.

Unit tests run in a sandbox, one process per GoogleTest suite, so a crash in one suite costs
only that suite. The test program is the lab's and holds no student code: it calls the
student's functions in a worker process (lab/include/ipclab/remote.hpp), and its JSON report
comes on its standard output, a pipe no other process holds. Process checks run under pytest
with the harness plugin; each check makes its own sandbox. Both return raw results; score.py
turns them into graded checks."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ipclab_harness import limits as bounds, sandbox
from ipclab_harness.session import Process, Session, SessionError

from .. import paths
from . import unit_messages
from ..manifest import Exercise
from .builder.names import hidden_program, unit_program, worker_name
from . import discover
from .discover import hidden_suites

OUTPUT_GRACE = 0.5  # seconds for a finished test program's pipes to close
CHECKS_TIMEOUT = 60  # per check (pytest-timeout), a backstop behind each wait's deadline
TAIL_CHARS = 4000  # of a crashed test program's output; cut to size once rendered


@dataclass
class RawResult:
    id: str
    status: str  # passed | failed | error | timeout
    feedback: str
    visibility: str  # visible | hidden
    title: str | None = None
    seconds: float = 0.0
    msg: str | None = None  # message id for feedback rendered later in the student's language
    params: dict = field(default_factory=dict)


def _suites(listing: str) -> dict[str, set[str]]:
    """--gtest_list_tests' output: each suite and the names of its tests."""
    out: dict[str, set[str]] = {}
    suite = None
    for line in listing.splitlines():
        if line and not line.startswith(" ") and line.endswith("."):
            suite = line[:-1]
            out[suite] = set()
        elif suite is not None and line.startswith("  ") and line.strip():
            out[suite].add(line.split("#")[0].strip())
    return out


def run_unit_tests(ex: Exercise, built_dir: Path, include_hidden: bool = True) -> list[RawResult]:
    results = []
    # One sandbox for the exercise's test programs, their listings and all their groups, as
    # when a test program runs whole; a group that breaks it (kills the agent), hangs or
    # leaves a process running costs only itself: the next gets a fresh one.
    box = _Box(built_dir, ex)
    hidden = hidden_suites(ex)
    try:
        # <id>-hidden holds the visible tests too (the grader's build); <id>-unit only those.
        if (built_dir / "tests" / hidden_program(ex)).exists():
            results += _run_suites(box, hidden_program(ex), hidden, ex, include_hidden)
        elif (built_dir / "tests" / unit_program(ex)).exists():
            results += _run_suites(box, unit_program(ex), set(), ex, include_hidden)
    finally:
        box.close()
    return results


class _Box:
    """The sandbox unit tests run in, made when first needed and replaced when spoiled."""

    def __init__(self, built_dir: Path, ex: Exercise) -> None:
        self.built_dir, self.ex, self._session = built_dir, ex, None

    def session(self) -> Session:
        if self._session is None:
            self._session = Session(
                [(self.built_dir / "tests", "/lab/tests")],
                output_cap=min(self.ex.limits["output"], 256 << 10),
            )
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


def _spawn(session: Session, argv: list[str], limits: dict, worker: str) -> Process:
    # IPCLAB_UNSANDBOXED_TESTS: where no sandbox can be built the session removes what the
    # tests create itself (docs/sandbox.en.md), so the test programs may start outside one.
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": "/work",
        "TMPDIR": "/tmp",
        "GTEST_COLOR": "no",
        "IPCLAB_REPORT_ONLY": "1",
        "IPCLAB_WORKER": worker,
        "IPCLAB_UNSANDBOXED_TESTS": "0" if sandbox.current_mode() == sandbox.SANDBOXED else "1",
    }
    # Nothing an earlier program of this sandbox left running (a daemon of the student's
    # code) may be alive when the test program starts, before it has sealed itself.
    session.call("reset")
    p = session.spawn(argv, env, limits)
    p.close_stdin()
    return p


def _run_suites(
    box: _Box, exe_name: str, hidden: set[str], ex: Exercise, include_hidden: bool
) -> list[RawResult]:
    exe = f"/lab/tests/{exe_name}"
    worker = f"/lab/tests/{worker_name(ex)}"
    limits = bounds.rlimits(ex.limits)
    wall = ex.limits["wall"]
    clean = False
    try:
        session = box.session()
        lister = _spawn(session, [exe, "--gtest_list_tests"], limits, worker)
        session.wait_until(
            lambda: lister.status is not None and lister.out.fd is None and lister.err.fd is None,
            time.monotonic() + wall,
        )
        suites = _suites(lister.stdout) if lister.status == 0 else {}
        listing_error = f"({lister.status}): {lister.stderr[-500:]}"
        clean = lister.status is not None and lister.out.fd is None and lister.err.fd is None
    except SessionError as e:
        suites, listing_error = {}, str(e)
    if not clean:
        box.close()
    if not suites:
        return [
            RawResult(
                f"unit.{exe_name}",
                "error",
                f"the unit test program could not list its tests {listing_error}",
                "hidden" if hidden else "visible",
            )
        ]
    out: list[RawResult] = []
    for suite in suites:
        visibility = "hidden" if suite in hidden else "visible"
        if visibility == "hidden" and not include_hidden:
            continue
        result, clean = _run_suite(
            box.session(), exe, worker, suite, suites[suite], visibility, limits, wall
        )
        out.append(result)
        if not clean:
            box.close()
    return out


def _run_suite(
    session: Session,
    exe: str,
    worker: str,
    suite: str,
    tests: set[str],
    visibility: str,
    limits: dict,
    wall: int,
) -> tuple[RawResult, bool]:
    """One group's result, and whether the sandbox is still clean for the next group (not
    when the group hung, killed the agent, or left a process of its own running)."""
    t0 = time.monotonic()

    def cut_short(msg: str, status: str = "failed", **params) -> tuple[RawResult, bool]:
        # A group that did not end on its own: its sandbox is replaced before the next one.
        seconds = time.monotonic() - t0
        result = RawResult(
            f"unit.{suite}", status, "", visibility, seconds=seconds, msg=msg, params=params
        )
        return result, False

    try:
        p = _spawn(
            session,
            [exe, f"--gtest_filter={suite}.*", "--gtest_output=json:/dev/stdout"],
            limits,
            worker,
        )
        session.wait_until(lambda: p.status is not None, time.monotonic() + wall)
        if session.over_process_limit(p):
            # A fork bomb: the sandbox stopped it (or, without a cgroup, it filled the sandbox).
            session.call("kill", pid=p.pid, sig=9)
            return cut_short("_unit_processes", processes=limits.get("nproc"))
        if p.status is None:
            session.call("kill", pid=p.pid, sig=9)
            return cut_short("_unit_timeout", "timeout", seconds=wall)
        if p.stopped_killed:
            return cut_short("_unit_stopped")
        # Its output ends with it, unless a child it forked still holds the pipes: a moment
        # for the last bytes, then the sandbox is replaced (that child dies with it).
        session.wait_until(
            lambda: p.out.fd is None and p.err.fd is None, time.monotonic() + OUTPUT_GRACE
        )
        lingering = p.out.fd is not None or p.err.fd is not None
        return (_suite_result(suite, tests, p, visibility, time.monotonic() - t0), not lingering)
    except SessionError:
        # The code under test killed the sandbox's agent (its parent, or kill(-1)).
        return cut_short("_unit_killed_agent")


def _suite_result(
    suite: str, tests: set[str], p: Process, visibility: str, seconds: float
) -> RawResult:
    failures, names = [], []  # failures: [test, GoogleTest's text with its messages]
    try:
        data = json.loads(p.stdout)
        for s in data.get("testsuites", []):
            for t in s.get("testsuite", []):
                names.append(t["name"])
                for f in t.get("failures", []):
                    failures.append([t["name"], f.get("failure", "")[: unit_messages.TEST_CHARS]])
    except (OSError, ValueError, KeyError, TypeError):
        data = None
    # Every test the program listed, and no other, reported: a second line of defence
    # behind the pipe only the test program holds.
    if (
        p.status == 0
        and data is not None
        and not failures
        and set(names) == tests
        and len(names) == len(tests)
    ):
        return RawResult(f"unit.{suite}", "passed", "", visibility, seconds=seconds)
    if data is None or p.status not in (0, 1):
        from ipclab_harness.lab import Lab

        how = Lab.describe_status(p.status)
        tail = (p.stderr[-TAIL_CHARS:] or p.stdout[-TAIL_CHARS:]).strip()
        return RawResult(
            f"unit.{suite}",
            "failed",
            "",
            visibility,
            seconds=seconds,
            msg="_unit_crashed",
            params={"how": how, "details": tail},
        )
    # Rendered later, in the student's language (unit_messages.py).
    return RawResult(
        f"unit.{suite}",
        "failed",
        "",
        visibility,
        seconds=seconds,
        msg="_unit_failed",
        params={"failures": failures[:50]},
    )


def run_process_checks(
    built: list[tuple[Exercise, Path]],
    lang: str,
    include_hidden: bool = True,
    only: set[str] | None = None,
) -> dict[str, list[RawResult]]:
    """The process checks of several built exercises in one pytest run: starting pytest
    costs a third of a second, paid once for them all. Each check still gets its own
    sandbox, with its exercise's programs and limits. `only`: just these checks (by id)."""
    out: dict[str, list[RawResult]] = {ex.id: [] for ex, _ in built}
    targets, plan = [], {}
    for ex, built_dir in built:
        files = discover.check_files(ex, include_hidden)
        if only is None:
            found = list(dict.fromkeys(str(f.parent) for f in files))
        else:
            found = [f"{f}::test_{name}" for f in files for name in discover.checks_in(f)]
            found = [t for t in found if t.rpartition("::test_")[2] in only]
        if found:
            targets += found
            plan[ex.id] = {"bin": str(built_dir / "bin"), "limits": ex.limits}
    if not targets:
        return out
    with tempfile.TemporaryDirectory(prefix="ipclab-checks-") as tmp:
        results_file = Path(tmp) / "results.json"
        # --assert=plain: checks fail with fail(), never a bare assert, and rewriting the
        # asserts of every check module costs two thirds of pytest's start-up.
        # --tb=native: the feedback comes from the results file, not from pytest's tracebacks
        # (shown only when a run writes none), and the default ones parse the source of every
        # frame of every failed check: two fifths of the CPU of checking a submission that
        # fails them all (a skeleton, a forgery).
        cmd = [
            paths.PYTHON,
            "-m",
            "pytest",
            "-p",
            "ipclab_harness.plugin",
            "-p",
            "pytest_timeout",
            "-p",
            "no:cacheprovider",
            "--assert=plain",
            "--tb=native",
            "-q",
            "--no-header",
            "-rN",
            f"--rootdir={paths.ROOT}",
            f"--ipclab-lang={lang}",
            f"--ipclab-results={results_file}",
            f"--ipclab-exercises={json.dumps(plan)}",
            f"--timeout={CHECKS_TIMEOUT}",
            *targets,
        ]
        # Only the plugins named above: another one installed on the machine (xdist costs a
        # tenth of a second to import) has no business in a grade.
        env = {
            **os.environ,
            "PYTHONPATH": f"{paths.ROOT / 'harness'}:{paths.ROOT / 'grader'}",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        }
        r = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp,
            timeout=CHECKS_TIMEOUT * 40 * len(plan),
        )
        try:
            raw = json.loads(results_file.read_text())
        except (OSError, ValueError):
            for ex_id in plan:
                out[ex_id] = [
                    RawResult(
                        "checks",
                        "error",
                        "the process checks could not run:\n" + (r.stdout + r.stderr)[-2000:],
                        "visible",
                    )
                ]
            return out
    hidden_root = str(paths.HIDDEN)
    for item in raw:
        # .../<exercise id>/checks/test_x.py, visible or hidden
        ex_id = Path(item["file"]).parent.parent.name
        out.setdefault(ex_id, []).append(
            RawResult(
                item["id"],
                item["status"],
                item["feedback"],
                "hidden" if item["file"].startswith(hidden_root) else "visible",
                title=item["title"],
                seconds=item["duration"],
            )
        )
    return out
