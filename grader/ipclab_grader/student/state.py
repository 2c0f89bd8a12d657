"""Where the student commands keep what they remember (hints seen, last checks, skeletons):
.ipclab/ beside the lab, ignored by git. IPCLAB_STATE moves it (the tests use their own)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from ipclab_harness.atomic import write_atomic

from .. import paths


def state_dir() -> Path:
    return Path(os.environ.get("IPCLAB_STATE") or paths.ROOT / ".ipclab")


def read_json(name: str) -> dict:
    try:
        data = json.loads((state_dir() / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # missing or damaged: start afresh rather than stop the student
    return data if isinstance(data, dict) else {}


def write_json(name: str, data: dict) -> None:
    """Written whole (ipclab_harness.atomic), so a Ctrl-C never leaves half a file."""
    write_atomic(state_dir() / name, json.dumps(data, ensure_ascii=False, indent=1), parents=True)
