"""Step 1 of a grade (the steps: pipeline/__init__.py): find the exercises in what was
handed in."""
from __future__ import annotations

import os
from pathlib import Path

from ..manifest import Exercise


class SubmissionError(Exception):
    """The submission cannot be graded at all; the message says what is wrong and what to do."""


def locate(path: str | os.PathLike, exercises: list[Exercise]) -> Path:
    """The directory that holds the submitted exercise folders (01-ftok/, 02-shmget/, ...).

    Accepts a copy of exercises/ or a repository (or any folder) that contains one."""
    p = Path(path)
    if not p.exists():
        raise SubmissionError(
            f"{p}: no such file or directory; give the folder you submitted "
            "(a copy of exercises/ or a repository that contains one)"
        )
    if not p.is_dir():
        raise SubmissionError(
            f"{p}: not a folder; give the folder you submitted "
            "(a copy of exercises/ or a repository that contains one)"
        )
    ids = {e.id for e in exercises}
    for candidate in (p, p / "exercises"):
        if (
            candidate.is_dir()
            and not candidate.is_symlink()
            and any((candidate / i).is_dir() for i in ids)
        ):
            return candidate.resolve()
    raise SubmissionError(
        f"{p}: no exercise folders found (expected folders such as "
        f"{sorted(ids)[0]}/ in it, or an exercises/ folder that has them)"
    )
