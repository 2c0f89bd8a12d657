#!/usr/bin/python3
"""What `make` runs in an Autolab job folder: unpacks the handin (handin.tar, handin.tar.gz,
handin.tgz or handin.zip, with the limits of batch's archives), grades the exercises of
ipclab-platform.json and prints the report, the formatted-feedback line and, last, the
autoresult {"scores": {...}}. Always: a handin that cannot be read or graded scores 0 on every
problem with the reason, so Autolab never fails to parse the last line."""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

LAB = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(LAB / "grader"), str(LAB / "harness")]

from ipclab_grader.course import safe_extract  # noqa: E402
from ipclab_grader.reports import autolab, platforms  # noqa: E402
from ipclab_grader.manifest import by_id, load_all  # noqa: E402

HANDINS = ("handin.tar", "handin.tar.gz", "handin.tgz", "handin.zip")


def main() -> int:
    cfg = json.loads((LAB / "ipclab-platform.json").read_text(encoding="utf-8"))
    lang = cfg.get("lang", "es")
    everything = load_all()
    exercises = [by_id(everything, i) for i in cfg["exercises"]] or everything
    handin = next((Path(n) for n in HANDINS if Path(n).is_file()), None)
    scratch = Path(tempfile.mkdtemp(prefix="ipclab-autolab-"))
    try:
        if handin is None:
            grade = platforms.ungraded(exercises, lang, "no handin.tar or handin.zip in the job "
                                       "(the assessment's handin file name must be one of "
                                       + ", ".join(HANDINS) + ")")
        else:
            try:
                scratch.chmod(0o755)
                root = safe_extract.extract(handin, scratch / "handin")
                for d in [scratch / "handin", *(scratch / "handin").rglob("*")]:
                    if d.is_dir():
                        d.chmod(0o755)   # the sandbox's user (nobody) reads the files
                    else:
                        d.chmod(0o644)
                grade, _ = platforms.run_grade(root, exercises, lang, int(cfg.get("timeout", 600)),
                                               cfg.get("allow_unsandboxed", False))
            except safe_extract.ArchiveError as e:
                grade = platforms.ungraded(exercises, lang, f"{handin.name}: {e}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    sys.stdout.write(autolab.render(grade))
    return 0


if __name__ == "__main__":
    sys.exit(main())
