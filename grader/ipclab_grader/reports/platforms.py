"""What every grading platform's package shares (VPL, PrairieLearn, Autolab, and the zero
documents of GitHub Classroom and Gradescope): the platform words students read
(grader/messages/platform.LANG.toml), the zero-with-reason grade of a submission that could
not be graded, the language a platform's locale asks for, and the one grade a platform's
driver runs (`ipclab grade --format json --zero-on-failure`, in a process of its own)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ipclab_harness.atomic import write_atomic

from .. import i18n, paths
from ..manifest import Exercise
from ..pipeline.score import Grade, grade_exercise

NOT_GRADED = "none"  # a Grade's mode when nothing ran


def text(lang: str, key: str, **params) -> str:
    """grader/messages/platform.LANG.toml's `key` (English's when the language lacks it)."""
    template = i18n.table("platform", "platform", lang).get(key, key)
    return template.format(**params) if params else template


def lang_of(locale: str | None, default: str = "es") -> str:
    """es or en from a platform's language setting: VPL_LANG (es_ES.UTF-8, en), a PrairieLearn
    or Autolab option; anything else is the package's language."""
    code = (locale or "").strip()[:2].lower()
    return code if code in i18n.languages() else default


def counts(grade: Grade) -> tuple[int, int]:
    checks = [c for e in grade.exercises for c in e.checks]
    return sum(c.status == "passed" for c in checks), len(checks)


def mode_line(grade: Grade) -> str:
    return text(
        grade.lang,
        {"bwrap": "mode_bwrap", "unsandboxed": "mode_unsandboxed"}.get(grade.mode, "mode_none"),
    )


def state(grade: Grade, status: str) -> str:
    return text(grade.lang, f"exercise_state_{status}") if status != "graded" else ""


# The kernel's initial IPC namespace always has this inode (PROC_IPC_INIT_INO).
INITIAL_IPC_NS = 0xEFFFFFFF


def ipc_namespace_private() -> bool | None:
    """Whether this process has an IPC namespace of its own (VPL jail 5.x, a container) or the
    machine's initial one (VPL jail 4.x: every evaluation shares it); None if unknown."""
    try:
        return os.stat("/proc/self/ns/ipc").st_ino != INITIAL_IPC_NS
    except OSError:
        return None


def ungraded(
    exercises: list[Exercise],
    lang: str,
    reason: str,
    submission: str = "",
    visible_only: bool = False,
) -> Grade:
    """A grade where nothing ran: every check of `exercises` at 0 of its points, with the
    reason, so a platform records a zero that says why instead of nothing."""
    why = text(lang, "not_graded", reason=reason.rstrip(". "))
    graded = []
    for ex in exercises:
        g = grade_exercise(ex, lang, [], status="error", problem=reason, visible_only=visible_only)
        for c in g.checks:
            c.feedback = why
        graded.append(g)
    return Grade(submission, lang, NOT_GRADED, graded)


def arrange_flat(files: dict[str, Path], exercises: list[Exercise], dest: Path) -> Path:
    """A folder `dest/exercises/NN-name/` from loose files named as students edit them (VPL
    and PrairieLearn place a submission's files flat in one folder)."""
    root = dest / "exercises"
    for ex in exercises:
        d = root / ex.id
        d.mkdir(parents=True, exist_ok=True)
        for name in ex.files:
            if name in files and files[name].is_file():
                d.joinpath(name).write_bytes(files[name].read_bytes())
    for d in [dest, root, *root.iterdir()]:
        d.chmod(0o755)  # the sandbox's user (nobody) reads the staged copy
    for f in root.rglob("*"):
        if f.is_file():
            f.chmod(0o644)
    return dest


def run_grade(
    submission: Path,
    exercises: list[Exercise],
    lang: str,
    timeout: int,
    allow_unsandboxed: bool,
    env: dict | None = None,
) -> tuple[Grade, int]:
    """Grades `submission` with `./ipclab grade` in a process of its own and reads its JSON
    result back: (the grade, grade's exit status). Whatever happens — a submission that cannot
    be graded (2), no sandbox (3), a grade past `timeout` seconds, a grader that crashed —
    the grade comes back, a zero with the reason where nothing could be graded."""
    from . import result_file
    from ..manifest import load_all

    fd, out = tempfile.mkstemp(prefix="ipclab-result-", suffix=".json")
    os.close(fd)
    cmd = [
        str(paths.ROOT / "ipclab"),
        "grade",
        str(submission),
        "--format",
        "json",
        "--zero-on-failure",
        "--lang",
        lang,
        "-o",
        out,
    ]
    for ex in exercises:
        cmd += ["--exercise", ex.id]
    if allow_unsandboxed:
        cmd.append("--allow-unsandboxed")
    try:
        try:
            r = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        except subprocess.TimeoutExpired:
            return (
                ungraded(exercises, lang, text(lang, "timeout", seconds=timeout), str(submission)),
                124,
            )
        last = (r.stderr.strip().splitlines() or [""])[-1].removeprefix("ipclab: ")
        try:
            grade = result_file.load(out, load_all())
        except result_file.ResultError:
            return (
                ungraded(exercises, lang, last or f"exit status {r.returncode}", str(submission)),
                r.returncode or 1,
            )
        return grade, r.returncode
    finally:
        Path(out).unlink(missing_ok=True)


def grade_flat(
    folder: Path, ex: Exercise, lang: str, timeout: int, allow_unsandboxed: bool, prefix: str
) -> Grade:
    """The grade of one exercise's files lying flat in `folder`, as VPL and PrairieLearn leave
    a submission; a zero that names the files when none is there. `prefix` names the scratch
    copy (in /tmp) after the platform, for whoever finds one left behind."""
    files = {name: folder / name for name in ex.files if (folder / name).is_file()}
    if not files:
        return ungraded([ex], lang, text(lang, "no_files", files=", ".join(ex.files)))
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        grade, _ = run_grade(
            arrange_flat(files, [ex], scratch), [ex], lang, timeout, allow_unsandboxed
        )
        return grade
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_json(path: Path, doc: dict) -> None:
    write_atomic(path, json.dumps(doc, ensure_ascii=False, indent=2) + "\n", parents=True)
