"""Grading a whole class: one `./ipclab grade` subprocess per submission, N at once.

Each submission is graded in its own process so that a crash or a hang of one is that
student's error row, never the end of the batch; the wall-clock bound kills the whole process
group. Nothing is lost: each result is written whole or not at all (ipclab_harness.atomic)
and recorded in OUT_DIR/state.json with the submission's content hash, so a batch that was
interrupted (Ctrl-C, a crash, a reboot) and started again grades only what is missing or
changed. The class files
(gradebook.csv, summary.md, report.html) are regenerated from the per-student results."""
from __future__ import annotations

import ctypes
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ipclab_harness.atomic import write_atomic

from .. import paths
from . import safe_extract
from ..manifest import Exercise
from ..pipeline.score import SCHEMA

STATE_SCHEMA = "ipclab-batch/1"
HASH_FILE_BYTES = 4 << 20  # a larger file counts by its size and first bytes
HASH_TOTAL_BYTES = 512 << 20  # past this a folder is not a submission but a mistake
SKIP_DIRS = {".git", ".hg", ".svn", "__MACOSX", "build", ".cache"}


@dataclass
class Submission:
    name: str  # the student: folder name, or archive name without extension
    path: Path
    digest: str = ""
    problem: str = ""  # why it cannot be graded at all (found before grading)

    @property
    def is_archive(self) -> bool:
        return self.path.is_file()


@dataclass
class Outcome:
    name: str
    status: str  # graded | error
    score: int = 0
    max_score: int = 0
    error: str = ""
    seconds: float = 0.0
    retry: bool = False  # the grader crashed: the next run tries again


# ---------------------------------------------------------------- finding and hashing


def discover(class_dir: Path) -> list[Submission]:
    """One submission per sub-folder or archive, sorted by name; anything else in the folder
    is an error row (a student who handed in a .rar must show up, not vanish)."""
    found: list[Submission] = []
    names: set[str] = set()
    for entry in sorted(class_dir.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        stem = None if entry.is_dir() else safe_extract.archive_stem(entry.name)
        name = entry.name if entry.is_dir() or stem is None else stem
        if name in names:  # alice/ and alice.zip: both kept, told apart
            name = entry.name
        names.add(name)
        sub = Submission(name, entry)
        if entry.is_symlink() and not entry.resolve().is_relative_to(class_dir.resolve()):
            sub.problem = "a symbolic link out of the class folder; copy the submission in"
        elif not entry.is_dir() and stem is None:
            sub.problem = (
                "not a folder nor a .zip/.tar.gz archive; "
                "unpack it into a folder named after the student"
            )
        found.append(sub)
    for sub in found:
        if not sub.problem:
            try:
                sub.digest = content_hash(sub.path)
            except (OSError, ValueError) as e:
                sub.problem = str(e)
        if sub.problem:
            sub.digest = hashlib.sha256(sub.problem.encode()).hexdigest()
    return found


def shard_of(name: str, count: int) -> int:
    """The part (1..count) a student belongs to with `batch --shard K/count`: from a hash of the
    name alone, so every machine makes the same partition whatever order it lists the folder
    in, and a student keeps its part when others hand in late."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big") % count + 1


def content_hash(path: Path) -> str:
    h = hashlib.sha256()
    if path.is_file():
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()
    total = 0
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(
            filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        ):
            f = Path(dirpath, name)
            rel = str(f.relative_to(path)).encode()
            if f.is_symlink():
                h.update(b"L" + rel + b"\0" + os.readlink(f).encode() + b"\0")
                continue
            if not f.is_file():
                continue
            size = f.stat().st_size
            total += min(size, HASH_FILE_BYTES)
            if total > HASH_TOTAL_BYTES:
                raise ValueError(
                    f"more than {HASH_TOTAL_BYTES >> 20} MiB of files; "
                    "remove build outputs and data files from the submission"
                )
            h.update(b"F" + rel + b"\0" + str(size).encode() + b"\0")
            with open(f, "rb") as fh:
                h.update(fh.read(HASH_FILE_BYTES))
    return h.hexdigest()


def settings_for(exercises: list[Exercise], lang: str, limits: tuple[str, ...] = ()) -> dict:
    """What else a result depends on: the exercises (manifests, checks, hidden checks), the
    language and the limits given for the batch. When these change every submission is
    graded again."""
    h = hashlib.sha256(SCHEMA.encode())
    for ex in exercises:
        for base in (ex.dir, paths.HIDDEN / ex.id):
            for f in sorted(
                p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            ):
                h.update(str(f.relative_to(paths.ROOT)).encode() + b"\0" + f.read_bytes())
    out = {"lang": lang, "exercises": [e.id for e in exercises], "lab": h.hexdigest()[:32]}
    if limits:
        out["limits"] = sorted(limits)
    return out


# ---------------------------------------------------------------- the output folder


def student_dir(out: Path, name: str) -> Path:
    return out / "students" / name


class State:
    """OUT_DIR/state.json: per student, the content hash that was graded and the outcome."""

    def __init__(self, out: Path, settings: dict):
        self.path = out / "state.json"
        self.settings = settings
        self.students: dict[str, dict] = {}
        self.part: dict | None = None  # with --shard: {"shard": "K/N", "class": every name}
        self.stale = False
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if data.get("schema") != STATE_SCHEMA:
            return
        if data.get("settings") != settings:
            self.stale = bool(data.get("students"))
            return
        self.students = data.get("students", {})

    def done(self, sub: Submission, out: Path) -> bool:
        rec = self.students.get(sub.name)
        if not rec or rec.get("hash") != sub.digest:
            return False
        if rec["status"] == "error":
            # The grader itself crashed: worth another try; the submission's own fault is final.
            return not rec.get("retry")
        return (student_dir(out, sub.name) / "result.json").exists()

    def record(self, sub: Submission, o: Outcome) -> None:
        self.students[sub.name] = {
            "hash": sub.digest,
            "status": o.status,
            "score": o.score,
            "max_score": o.max_score,
            "error": o.error,
            **({"retry": True} if o.retry else {}),
        }
        self.save()

    def save(self) -> None:
        data = {
            "schema": STATE_SCHEMA,
            "settings": self.settings,
            **({"part": self.part} if self.part else {}),
            "students": dict(sorted(self.students.items())),
        }
        write_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=1) + "\n", parents=True)


# ---------------------------------------------------------------- one grading process


def _die_with_parent():
    os.setsid()
    # If the batch itself is killed, its graders go too: no orphans grading for nobody.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Job:
    def __init__(
        self,
        sub: Submission,
        out: Path,
        work: Path,
        exercises: list[Exercise],
        lang: str,
        grade_jobs: int,
        timeout: float,
        limits: tuple[str, ...] = (),
    ):
        self.sub = sub
        self.out = out
        self.work = Path(tempfile.mkdtemp(dir=work, prefix="job-"))
        self.result = self.work / "result.json"
        self.err = self.work / "stderr.txt"
        self.timeout = timeout
        self.started = time.monotonic()
        self.proc: subprocess.Popen | None = None
        self.outcome: Outcome | None = None
        try:
            target = sub.path
            if sub.is_archive:
                target = safe_extract.extract(sub.path, self.work / "unpacked")
        except safe_extract.ArchiveError as e:
            self.outcome = Outcome(sub.name, "error", error=str(e))
            return
        cmd = [
            paths.PYTHON,
            str(paths.ROOT / "ipclab"),
            "grade",
            str(target),
            "--format",
            "json",
            "--lang",
            lang,
            "-o",
            str(self.result),
            "-j",
            str(grade_jobs),
        ]
        for ex in exercises:
            cmd += ["--exercise", ex.id]
        for item in limits:
            cmd += ["--limit", item]
        with open(self.err, "wb") as err:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                preexec_fn=_die_with_parent,
            )

    def poll(self) -> Outcome | None:
        """The outcome once the grader finished (or was stopped), else None."""
        if self.outcome or self.proc is None:
            return self.finish(self.outcome)
        rc = self.proc.poll()
        elapsed = time.monotonic() - self.started
        if rc is None and elapsed > self.timeout:
            self.kill()
            return self.finish(
                Outcome(
                    self.sub.name,
                    "error",
                    error=f"grading took longer than {self.timeout:.0f} s and "
                    "was stopped (a program that never ends?)",
                )
            )
        if rc is None:
            return None
        return self.finish(self._read(rc))

    def _read(self, rc: int) -> Outcome:
        stderr = self.err.read_text(errors="replace").strip().splitlines()
        last = next((line for line in reversed(stderr) if line.strip()), "")
        if rc == 0 and self.result.exists():
            try:
                data = json.loads(self.result.read_text(encoding="utf-8"))
                data["submission"] = str(self.sub.path)  # not the temporary unpacked copy
                text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
            except ValueError as e:
                return Outcome(
                    self.sub.name, "error", error=f"the grader wrote no valid JSON ({e})"
                )
            d = student_dir(self.out, self.sub.name)
            write_atomic(d / "result.json", text, parents=True)
            return Outcome(self.sub.name, "graded", data["score"], data["max_score"])
        if rc == 3:
            return Outcome(self.sub.name, "sandbox", error=last.removeprefix("ipclab: "))
        if rc == 2:
            return Outcome(self.sub.name, "error", error=last.removeprefix("ipclab: "))
        if rc < 0:
            return Outcome(
                self.sub.name,
                "error",
                retry=True,
                error=f"the grader was killed by signal {-rc} ({last or 'no message'})",
            )
        return Outcome(
            self.sub.name,
            "error",
            retry=True,
            error=f"the grader failed with status {rc}: {last or 'no message'}",
        )

    def finish(self, o: Outcome) -> Outcome:
        o.seconds = time.monotonic() - self.started
        shutil.rmtree(self.work, ignore_errors=True)
        return o

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()


def write_student_report(out: Path, name: str, exercises: list[Exercise]) -> None:
    """The readable report beside each result.json: text for people."""
    from ..reports import report, result_file

    d = student_dir(out, name)
    grade = result_file.load(d / "result.json", exercises)
    write_atomic(d / "report.txt", report.render(grade, "text"), parents=True)


@dataclass
class Run:
    """One batch: what to grade, where, how. `on_event(kind, sub, outcome, counts)` is how the
    command shows progress; kinds: start, done."""

    class_dir: Path
    out: Path
    exercises: list[Exercise]
    lang: str
    jobs: int = 2
    grade_jobs: int = 1
    timeout: float = 600.0
    regrade: set[str] = field(default_factory=set)
    retry_errors: bool = False
    shard: tuple[int, int] | None = None  # (K, N): only the students of part K of N
    limits: tuple[str, ...] = ()  # NAME=VALUE, as grade --limit, for every grade

    def plan(self) -> tuple[list[Submission], list[Submission], State]:
        subs = discover(self.class_dir)
        everyone = [s.name for s in subs]
        if self.shard:
            k, n = self.shard
            subs = [s for s in subs if shard_of(s.name, n) == k]
        state = State(self.out, settings_for(self.exercises, self.lang, self.limits))
        if self.shard:
            state.part = {"shard": f"{self.shard[0]}/{self.shard[1]}", "class": everyone}
        # Students no longer in the class folder leave the gradebook (their files stay).
        state.students = {k: v for k, v in state.students.items() if k in {s.name for s in subs}}
        todo = [
            s
            for s in subs
            if s.name in self.regrade
            or not state.done(s, self.out)
            or (self.retry_errors and state.students[s.name]["status"] == "error")
        ]
        return subs, todo, state

    def execute(self, todo: list[Submission], state: State, on_event) -> list[Outcome]:
        """Grades `todo`; returns their outcomes. Raises SandboxLost when no submission can be
        graded here (the sandbox is missing), KeyboardInterrupt when interrupted."""
        work = self.out / ".work"
        shutil.rmtree(work, ignore_errors=True)  # a crashed run's leftovers
        work.mkdir(parents=True)
        pending = list(todo)
        running: list[Job] = []
        outcomes: list[Outcome] = []
        try:
            while pending or running:
                while pending and len(running) < self.jobs:
                    sub = pending.pop(0)
                    if sub.problem:
                        o = Outcome(sub.name, "error", error=sub.problem)
                        self._done(sub, o, state, outcomes, on_event)
                        continue
                    on_event("start", sub, None)
                    try:
                        running.append(
                            Job(
                                sub,
                                self.out,
                                work,
                                self.exercises,
                                self.lang,
                                self.grade_jobs,
                                self.timeout,
                                self.limits,
                            )
                        )
                    except OSError as e:  # e.g. the disk is full: this student's error row
                        self._done(
                            sub,
                            Outcome(sub.name, "error", error=f"cannot start: {e}"),
                            state,
                            outcomes,
                            on_event,
                        )
                for job in list(running):
                    o = job.poll()
                    if o is None:
                        continue
                    running.remove(job)
                    if o.status == "sandbox":
                        raise SandboxLost(o.error)
                    self._done(job.sub, o, state, outcomes, on_event)
                if running:
                    _wait_any(running)
        finally:
            for job in running:
                job.kill()
                shutil.rmtree(job.work, ignore_errors=True)
            shutil.rmtree(work, ignore_errors=True)
        return outcomes

    def _done(self, sub, o, state, outcomes, on_event):
        if o.status == "graded":
            try:
                write_student_report(self.out, sub.name, self.exercises)
            except Exception as e:  # noqa: BLE001 -- a report that fails is this student's error
                o = Outcome(
                    sub.name,
                    "error",
                    error=f"the report could not be written: {e}",
                    seconds=o.seconds,
                )
        state.record(sub, o)
        outcomes.append(o)
        on_event("done", sub, o)


class SandboxLost(Exception):
    """Grading cannot run on this machine at all (exit 3 of the grader)."""


def _wait_any(running: list[Job], step: float = 0.1) -> None:
    # A short poll: the wall-clock bound of each grader needs a regular look anyway.
    if not any(j.proc is None or j.proc.poll() is not None for j in running):
        time.sleep(step)
