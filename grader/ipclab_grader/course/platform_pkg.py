"""The packages of the grading platforms besides Gradescope (gradescope_pkg.py): Moodle VPL
(one activity's execution files), PrairieLearn (one question per exercise and the grading
image) and Autolab (autograde-Makefile and autograde.tar). Each carries the lab and the grader
with its hidden checks (bundle.autograder_files, never the solutions), its own driver under
packaging/<platform>/, and ipclab-platform.json: what to grade, in which language, how long."""
from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from pathlib import Path

from . import bundle
from .. import paths
from ..manifest import Exercise

CONFIG = "ipclab-platform.json"
PACKAGING = paths.ROOT / "packaging"
UUID_NS = uuid.UUID("6f1c1f0e-8a4e-4c2e-9b1e-1bc1ab000013")  # PrairieLearn uuids, stable


def _lab_files(platform: str, config: dict) -> dict[Path, Path]:
    files = {
        rel: src
        for rel, src in bundle.autograder_files().items()
        if not rel.as_posix().startswith("packaging/")
    }
    for src in sorted((PACKAGING / platform).rglob("*")):
        if src.is_file() and "__pycache__" not in src.parts:
            files[src.relative_to(paths.ROOT)] = src
    scratch = Path(tempfile.mkdtemp(prefix="ipclab-pkg-"))
    (scratch / CONFIG).write_text(
        json.dumps({"platform": platform, **config}, indent=2) + "\n", encoding="utf-8"
    )
    files[Path(CONFIG)] = scratch / CONFIG
    return files


def _fresh(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise FileExistsError(
            f"{dest}: exists and is not an empty folder; give a new folder " "(or remove it first)"
        )
    dest.mkdir(parents=True, exist_ok=True)


def _cleanup(files: dict[Path, Path]) -> None:
    shutil.rmtree(files[Path(CONFIG)].parent, ignore_errors=True)


def vpl(dest: Path, ex: Exercise, lang: str, allow_unsandboxed: bool) -> list[str]:
    """DIR/vpl_evaluate.sh and DIR/ipclab.tar.gz: the activity's execution files."""
    _fresh(dest)
    files = _lab_files(
        "vpl", {"exercises": [ex.id], "lang": lang, "allow_unsandboxed": allow_unsandboxed}
    )
    try:
        bundle.write_tar(files, dest / "ipclab.tar.gz", "ipclab")
    finally:
        _cleanup(files)
    shutil.copyfile(PACKAGING / "vpl" / "vpl_evaluate.sh", dest / "vpl_evaluate.sh")
    (dest / "vpl_evaluate.sh").chmod(0o755)
    return ["vpl_evaluate.sh", "ipclab.tar.gz"]


def prairielearn(
    dest: Path,
    exercises: list[Exercise],
    lang: str,
    image: str,
    timeout: int,
    allow_unsandboxed: bool,
) -> list[str]:
    """DIR/image/ (Dockerfile, ipclab.tar.gz) and DIR/questions/ipclab-NN-name/ per exercise."""
    _fresh(dest)
    (dest / "image").mkdir()
    files = _lab_files("prairielearn", {"lang": lang, "allow_unsandboxed": allow_unsandboxed})
    try:
        bundle.write_tar(files, dest / "image" / "ipclab.tar.gz", "ipclab")
    finally:
        _cleanup(files)
    shutil.copyfile(PACKAGING / "prairielearn" / "Dockerfile", dest / "image" / "Dockerfile")
    made = ["image/Dockerfile", "image/ipclab.tar.gz"]
    template = (PACKAGING / "prairielearn" / "question.html").read_text(encoding="utf-8")
    for ex in exercises:
        q = dest / "questions" / f"ipclab-{ex.id}"
        (q / "tests").mkdir(parents=True)
        info = {
            "uuid": str(uuid.uuid5(UUID_NS, ex.id)),
            "title": f"ipclab {ex.id}: {ex.title_in(lang)}",
            "topic": "System V IPC",
            "tags": ["ipclab", ex.id],
            "type": "v3",
            "singleVariant": True,
            "gradingMethod": "External",
            "externalGradingOptions": {
                "enabled": True,
                "image": image,
                "entrypoint": "/ipclab/packaging/prairielearn/pl_grade.py",
                "timeout": timeout,
            },
        }
        (q / "info.json").write_text(
            json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        readme = ex.dir / ("README.md" if lang == "es" else "README.en.md")
        statement = readme.read_text(encoding="utf-8") if readme.exists() else ""
        html = (
            template.replace("{{files}}", " ".join(ex.files))
            .replace("{{files_list}}", ", ".join(f"<code>{f}</code>" for f in ex.files))
            .replace(
                "{{statement}}",
                statement.replace("</markdown>", "&lt;/markdown>").replace("{{", "&#123;&#123;"),
            )
            .replace("{{upload}}", "Sube" if lang == "es" else "Upload")
        )
        (q / "question.html").write_text(html, encoding="utf-8")
        (q / "tests" / "ipclab-question.json").write_text(
            json.dumps(
                {
                    "exercise": ex.id,
                    "files": list(ex.files),
                    "lang": lang,
                    "timeout": max(10, timeout - 10),
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        made += [
            f"questions/ipclab-{ex.id}/{n}"
            for n in ("info.json", "question.html", "tests/ipclab-question.json")
        ]
    return made


def autolab(
    dest: Path, exercises: list[Exercise], lang: str, timeout: int, allow_unsandboxed: bool
) -> list[str]:
    """DIR/autograde-Makefile and DIR/autograde.tar."""
    _fresh(dest)
    files = _lab_files(
        "autolab",
        {
            "exercises": [e.id for e in exercises],
            "lang": lang,
            "timeout": timeout,
            "allow_unsandboxed": allow_unsandboxed,
        },
    )
    try:
        bundle.write_tar(files, dest / "autograde.tar", "ipclab")
    finally:
        _cleanup(files)
    shutil.copyfile(PACKAGING / "autolab" / "autograde-Makefile", dest / "autograde-Makefile")
    return ["autograde-Makefile", "autograde.tar"]
