"""The skeletons as the lab shipped them, so that `list` can say "not started" and `reset` can
restore one.

Decision: at the first student command in a lab folder, each exercise's skeleton is copied to
.ipclab/pristine/EXERCISE/FILE, taken from git's HEAD when the lab is a git clone (so edits
made before that first command do not count as the skeleton) and from the file as it is
otherwise (a bundle without history). From then on that copy is the skeleton: later commits of
the student's own work never change it. An exercise that appears later (a `git pull` of new
exercises) is recorded the same way the first time a command sees it."""
from __future__ import annotations

import hashlib
import subprocess

from ipclab_harness.atomic import write_atomic

from ..manifest import Exercise
from .state import state_dir


def _copy_path(ex: Exercise, name: str):
    return state_dir() / "pristine" / ex.id / name


def _from_git(ex: Exercise, name: str) -> bytes | None:
    try:
        r = subprocess.run(
            ["git", "-C", str(ex.dir), "show", f"HEAD:./{name}"], capture_output=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout if r.returncode == 0 else None


def record(exercises: list[Exercise]) -> None:
    """Records the skeleton of every exercise that has no copy yet."""
    for ex in exercises:
        for name in ex.files:
            dest = _copy_path(ex, name)
            if dest.exists():
                continue
            data = _from_git(ex, name)
            if data is None:
                src = ex.dir / name
                if not src.is_file():
                    continue
                data = src.read_bytes()
            write_atomic(dest, data, parents=True)


def skeleton(ex: Exercise, name: str) -> bytes | None:
    try:
        return _copy_path(ex, name).read_bytes()
    except OSError:
        return None


def skeleton_hash(ex: Exercise) -> str | None:
    h = hashlib.sha256()
    for name in ex.files:
        data = skeleton(ex, name)
        if data is None:
            return None
        h.update(name.encode() + b"\0" + data + b"\0")
    return h.hexdigest()
