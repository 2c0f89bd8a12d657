#!/usr/bin/python3
"""The body of run_autograder on Gradescope: finds the exercises in the upload, grades them
with `ipclab grade --format gradescope`, and writes results/results.json, always: a
submission that cannot be graded, a sandbox that cannot start, or a grader that fails still
gives students a readable results.json instead of "The autograder failed to execute
correctly". IPCLAB_AUTOGRADER_ROOT replaces /autograder (the tests use a simulated tree)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(os.environ.get("IPCLAB_AUTOGRADER_ROOT", "/autograder"))
SOURCE = ROOT / "source"
SUBMISSION = ROOT / "submission"
RESULTS = ROOT / "results" / "results.json"

MESSAGES = {
    "es": {"no_exercises": "No se encontraron ejercicios en la entrega: sube la carpeta exercises/ "
                           "(o las carpetas 01-ftok/, 02-shmget/, …) o los ficheros que editaste.",
           "sandbox": "El corrector no puede crear su entorno aislado (sandbox) en esta máquina; "
                      "tu entrega no se ha evaluado. Avisa al profesorado.",
           "failed": "El corrector falló al evaluar la entrega; avisa al profesorado.",
           "timeout": "La corrección superó el tiempo máximo y se detuvo."},
    "en": {"no_exercises": "No exercises were found in the submission: upload the exercises/ folder "
                           "(or the 01-ftok/, 02-shmget/, … folders) or the files you edited.",
           "sandbox": "The grader cannot build its sandbox on this machine; your submission was "
                      "not graded. Tell the course staff.",
           "failed": "The grader failed while grading the submission; tell the course staff.",
           "timeout": "Grading took longer than its limit and was stopped."},
}


def config() -> dict:
    try:
        cfg = json.loads((SOURCE / "ipclab-autograder.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cfg = {}
    cfg.setdefault("lang", "es")
    cfg.setdefault("exercises", [])
    cfg.setdefault("timeout", 540)
    return cfg


def exercise_files(ids: list[str]) -> dict[str, list[str]]:
    """exercise id -> the files students edit, from the manifests in the autograder."""
    sys.path[:0] = [str(SOURCE / "grader"), str(SOURCE / "harness")]
    from ipclab_grader.manifest import load_all
    return {e.id: list(e.files) for e in load_all() if not ids or e.id in ids}


def arrange(sub: Path, files: dict[str, list[str]], scratch: Path) -> Path | None:
    """The folder to grade: one that holds exercise folders (up to three levels down, as a
    zipped folder unpacks), or a new one built from loose files with the names students edit
    (Gradescope's drag-and-drop upload)."""
    level = [sub]
    for _ in range(4):
        for d in level:
            if any((d / i).is_dir() for i in files):
                return d
        level = sorted(c for d in level for c in d.iterdir() if c.is_dir() and not c.is_symlink()
                       and not c.name.startswith(".") and c.name != "__MACOSX") if level else []
    by_name = {name: ex for ex, names in files.items() for name in names}
    found = {}
    for f in sorted(sub.rglob("*")):
        if f.is_file() and not f.is_symlink() and f.name in by_name and f.name not in found \
                and len(f.relative_to(sub).parts) <= 4:
            found[f.name] = f
    if not found:
        return None
    for name, f in found.items():
        d = scratch / by_name[name]
        d.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, d / name)
    return scratch


def write(doc: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_name(".results.json.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, RESULTS)


def failure(msg: str, detail: str = "") -> dict:
    return {"score": 0, "output": msg + (f"\n\n{detail}" if detail else ""),
            "output_format": "text", "visibility": "visible", "stdout_visibility": "visible",
            "tests": []}


def main() -> int:
    cfg = config()
    m = MESSAGES.get(cfg["lang"], MESSAGES["en"])
    t0 = time.monotonic()
    if "--probe" in sys.argv:
        r = subprocess.run([str(SOURCE / "ipclab"), "grade", "/nonexistent-probe"],
                           capture_output=True, text=True)
        print("ipclab autograder:", r.stderr.strip() or "ready")
        return 0
    scratch = Path(tempfile.mkdtemp(prefix="ipclab-upload-"))
    try:
        try:
            target = arrange(SUBMISSION, exercise_files(cfg["exercises"]), scratch)
        except Exception as e:  # noqa: BLE001 -- whatever it is, students get a results.json
            write(failure(m["failed"], f"{type(e).__name__}: {e}"))
            return 0
        if target is None:
            write(failure(m["no_exercises"]))
            return 0
        cmd = [str(SOURCE / "ipclab"), "grade", str(target), "--format", "gradescope",
               "--lang", cfg["lang"], "-o", str(RESULTS)]
        for ex in cfg["exercises"]:
            cmd += ["--exercise", ex]
        if cfg.get("allow_unsandboxed"):
            # The instructor chose it when building the zip; the report's mode says so.
            cmd.append("--allow-unsandboxed")
        RESULTS.unlink(missing_ok=True)
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=cfg["timeout"],
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            write(failure(m["timeout"]))
            return 0
        sys.stderr.write(r.stderr)
        last = (r.stderr.strip().splitlines() or [""])[-1].removeprefix("ipclab: ")
        if r.returncode == 3:
            write(failure(m["sandbox"], last))
            return 0
        if r.returncode == 2:
            write(failure(m["no_exercises"], last))
            return 0
        try:
            doc = json.loads(RESULTS.read_text(encoding="utf-8"))
            assert r.returncode == 0 and isinstance(doc.get("tests"), list)
        except (OSError, ValueError, AssertionError):
            write(failure(m["failed"], last))
            return 0
        doc["execution_time"] = round(time.monotonic() - t0, 1)
        write(doc)
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
