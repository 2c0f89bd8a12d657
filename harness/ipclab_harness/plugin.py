"""The pytest plugin process checks run under: `-p ipclab_harness.plugin`.

Gives every check a fresh `lab` (its own sandbox), fails a check that leaves IPC objects the
exercise does not allow, and writes one result per check (status, feedback in the student's
language) to --ipclab-results for the grader. Checks run on the trusted side; only student
programs run in the sandbox."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from .atomic import write_atomic
from .check import Catalog, CheckFailed, Status
from .lab import Lab

ROOT = Path(__file__).resolve().parents[2]


def pytest_addoption(parser):
    g = parser.getgroup("ipclab")
    g.addoption(
        "--ipclab-bin",
        default=os.environ.get("IPCLAB_BIN"),
        help="directory with the built exercise programs (default build/exercises/bin)",
    )
    g.addoption(
        "--ipclab-lang",
        default=os.environ.get("IPCLAB_LANG"),
        help="es or en (default: from the locale)",
    )
    g.addoption("--ipclab-results", default=None, help="write check results (JSON) here")
    g.addoption("--ipclab-limits", default=None, help="JSON object of limits for programs")
    g.addoption(
        "--ipclab-exercises",
        default=None,
        help='JSON {"<exercise id>": {"bin": DIR, "limits": {...}}}: several exercises '
        "checked in one run, each with its own programs and limits",
    )


def default_lang() -> str:
    """The locale's language when it names one; Spanish otherwise (unset, C, POSIX): the
    course is Spanish-speaking. The student commands use the same rule (grader i18n)."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "").split(":")[0]
        if value:
            if value.split(".")[0] in ("C", "POSIX"):
                return "es"
            return "es" if value.lower().startswith("es") else "en"
    return "es"


def _message_dirs(path: Path) -> list[Path]:
    """The directories the messages of a check file come from: its exercise's, and the
    hidden checks' own when it is one of them."""
    ex_dir = path.parent.parent  # <exercise>/checks/test_x.py
    dirs = [ROOT / "exercises" / ex_dir.name]
    if ex_dir != dirs[0]:
        dirs.append(ex_dir)
    return dirs


class Recorder:
    def __init__(self, config) -> None:
        self.config = config
        self.lang = config.getoption("--ipclab-lang") or default_lang()
        self.results: list[dict] = []
        self.catalogs: dict[tuple, Catalog] = {}

    def catalog(self, path: Path) -> Catalog:
        dirs = _message_dirs(path)
        key = (self.lang, tuple(dirs))
        if key not in self.catalogs:
            self.catalogs[key] = Catalog(self.lang, dirs)
        return self.catalogs[key]


def pytest_configure(config):
    config._ipclab = Recorder(config)
    config.addinivalue_line(
        "markers",
        "ipclab_users(users): {uid: name} that the check's sandbox's /etc/passwd "
        "names so (Lab(users=...)); lab.users says which names are in effect",
    )
    # Hidden checks may import helpers from their exercise's visible checks (never the reverse:
    # the student bundle has no hidden checks).
    for ex_checks in sorted((ROOT / "exercises").glob("*/checks")):
        if str(ex_checks) not in sys.path:
            sys.path.append(str(ex_checks))


@pytest.fixture
def lab(request):
    config = request.config
    bindir = config.getoption("--ipclab-bin") or str(ROOT / "build" / "exercises" / "bin")
    limits = json.loads(config.getoption("--ipclab-limits") or "{}")
    plan = json.loads(config.getoption("--ipclab-exercises") or "{}")
    exercise = Path(str(request.node.fspath)).parent.parent.name  # <id>/checks/test_x.py
    if exercise in plan:
        bindir, limits = plan[exercise]["bin"], plan[exercise]["limits"]
    users = request.node.get_closest_marker("ipclab_users")
    the_lab = Lab(
        Path(bindir),
        lang=config._ipclab.lang,
        limits=limits,
        users=users.args[0] if users else None,
    )
    request.node._ipclab_lab = the_lab
    yield the_lab
    the_lab.close()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Runs a check, then judges what it left behind (only a check that otherwise passed)."""
    the_lab = pyfuncitem.funcargs.get("lab")
    if the_lab is None:
        return None
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    pyfuncitem.obj(**args)
    the_lab.check_leftovers()
    return True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    rec: Recorder = item.config._ipclab
    if report.when == "call" or (report.when == "setup" and report.failed):
        status: Status = "passed"
        feedback = ""
        cat = rec.catalog(Path(str(item.fspath)))
        if report.failed:
            exc = call.excinfo.value if call.excinfo else None
            if isinstance(exc, CheckFailed):
                status, feedback = exc.status, cat.render(exc)
            elif call.excinfo and call.excinfo.typename == "Failed" and "Timeout" in str(exc):
                status = "timeout"
                feedback = cat.render(
                    CheckFailed("_timeout", program=item.name, seconds="?", stdout="", stderr="")
                )
            else:
                status = "error"
                feedback = cat.render(
                    CheckFailed(
                        "_check_error",
                        error=f"{type(exc).__name__}: {exc}" if exc else report.longreprtext[-800:],
                    )
                )
        if status != "passed":
            feedback += _limit_notes(cat, item.funcargs.get("lab"))
        check_id = item.name[len("test_") :] if item.name.startswith("test_") else item.name
        rec.results.append(
            {
                "id": check_id,
                "title": cat.title(check_id),
                "status": status,
                "feedback": feedback,
                "duration": round(report.duration, 3),
                "file": str(item.fspath),
            }
        )
        if status != "passed" and feedback:
            report.sections.append(("ipclab feedback", feedback))


def _limit_notes(cat: Catalog, the_lab) -> str:
    """What the limits did to the student's programs: output cut, programs stopped."""
    notes = []
    for p in getattr(the_lab, "procs", []):
        for name, stream in (("stdout", p._p.out), ("stderr", p._p.err)):
            if stream.truncated:
                notes.append(
                    cat.text(
                        "feedback",
                        "_output_cut",
                        program=p.command,
                        stream=name,
                        kept=len(stream.data),
                        total=stream.total,
                    )
                )
        if the_lab._session.over_process_limit(p._p):
            notes.append(
                cat.text(
                    "feedback",
                    "_too_many_processes",
                    program=p.command,
                    processes=the_lab.limits["nproc"],
                )
            )
        elif p._p.cpu_limited:
            notes.append(
                cat.text(
                    "feedback", "_sandbox_cpu", program=p.command, seconds=the_lab.limits["cpu"]
                )
            )
        elif p._p.stopped_killed:
            notes.append(cat.text("feedback", "_stopped_killed", program=p.command))
        elif p._p.wall_killed:
            notes.append(
                cat.text(
                    "feedback", "_wall_killed", program=p.command, seconds=the_lab.limits["wall"]
                )
            )
    return "".join("\n" + n for n in notes if n)


def pytest_sessionfinish(session, exitstatus):
    path = session.config.getoption("--ipclab-results")
    if path:
        write_atomic(path, json.dumps(session.config._ipclab.results, ensure_ascii=False, indent=1))
