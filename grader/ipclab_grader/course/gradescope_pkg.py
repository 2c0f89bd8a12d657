"""`autograder.zip` for Gradescope: setup.sh and run_autograder at the root (Gradescope's
contract), the lab and the grader with its hidden checks beside them, and
ipclab-autograder.json with the language and exercises of this assignment. Gradescope
unpacks it into /autograder/source."""
from __future__ import annotations

import json
from pathlib import Path

from . import bundle
from .. import paths
from ..manifest import Exercise

TEMPLATES = paths.ROOT / "packaging" / "gradescope"
CONFIG = "ipclab-autograder.json"


def build(
    dest: Path, exercises: list[Exercise], lang: str, timeout: int, allow_unsandboxed: bool = False
) -> int:
    """Writes the zip; returns the number of files in it."""
    files: dict[Path, bytes | Path] = dict(bundle.autograder_files())
    files[Path("setup.sh")] = TEMPLATES / "setup.sh"
    files[Path("run_autograder")] = TEMPLATES / "run_autograder"
    files[Path(CONFIG)] = (
        json.dumps(
            {
                "lang": lang,
                "exercises": [e.id for e in exercises],
                "timeout": timeout,
                "allow_unsandboxed": allow_unsandboxed,
            },
            indent=2,
        )
        + "\n"
    ).encode()
    bundle.write_zip(
        files, dest, executable={"setup.sh", "run_autograder", "ipclab", "scripts/install-deps.sh"}
    )
    return len(files)
