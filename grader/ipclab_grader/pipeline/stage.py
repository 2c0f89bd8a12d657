"""Step 2 of a grade (the steps: pipeline/__init__.py): copy only the files students edit,
each beside the lab's own.

Nothing else of a submission is ever read: not its manifests, not its tests, not its build
files. A file that is missing makes its exercise "not submitted"; one that is a link, a
folder or too large is refused with the reason."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..manifest import Exercise

MAX_FILE_BYTES = 1 << 20


@dataclass
class Staged:
    exercise: Exercise
    files: dict[str, bytes] = field(default_factory=dict)  # name -> content
    problem: str | None = None  # why it cannot be built (missing, refused)
    missing: bool = False
    notes: list[str] = field(default_factory=list)


def stage(submission: Path, exercises: list[Exercise], dest: Path) -> list[Staged]:
    out = []
    root = submission.resolve()
    for ex in exercises:
        st = Staged(ex)
        src_dir = submission / ex.id
        for name in ex.files:
            src = src_dir / name
            if src_dir.is_symlink() or (src.exists() and not src.resolve().is_relative_to(root)):
                # A folder linked to the grader's own solutions/ would hand them in as the work.
                st.problem = (
                    f"{ex.id}/ is a symbolic link out of the submission; submit the folder itself"
                )
                break
            if src.is_symlink():
                st.problem = f"{ex.id}/{name} is a symbolic link; submit the file itself"
                break
            if not src.exists():
                st.missing = True
                st.problem = f"{ex.id}/{name} is missing"
                break
            if not src.is_file():
                st.problem = f"{ex.id}/{name} is not a regular file"
                break
            size = src.stat().st_size
            if size > MAX_FILE_BYTES:
                st.problem = f"{ex.id}/{name} is {size} bytes; the limit is {MAX_FILE_BYTES}"
                break
            data = src.read_bytes()
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as e:
                st.notes.append(
                    f"{ex.id}/{name} is not UTF-8 (byte {e.start}); "
                    "save it as UTF-8 so comments read well"
                )
            st.files[name] = data
        if st.problem is None:
            target = dest / ex.id
            target.mkdir(parents=True, exist_ok=True)
            for name, data in st.files.items():
                (target / name).write_bytes(data)
        out.append(st)
    return out


def clear(dest: Path) -> None:
    shutil.rmtree(dest, ignore_errors=True)
