"""What leaves the instructor's repository, and how: the student bundle (everything students
may see) and the files the Gradescope autograder needs. Both are chosen by walking the tree
and leaving out what must never leave, then checked by content: no file of the bundle may hold
a reference solution's lines or a hidden check, whatever its name."""
from __future__ import annotations

import os
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path

from ipclab_harness.atomic import replacing

from .. import paths

# Never copied anywhere: build outputs, caches, version control, local state.
JUNK_DIRS = {".git", "build", "__pycache__", ".pytest_cache", ".ipclab", "out", "node_modules"}
JUNK_PREFIXES = ("READY",)  # harness build markers
# Not for students: the answers, the hidden checks, the project's own tests and CI (they grade
# the solutions), the instructor-only packaging.
STUDENT_EXCLUDE = (
    "solutions",
    "grader/hidden",
    "tests",
    ".ci",
    ".github",
    "packaging",
    "scripts/bench.py",
    "scripts/class-demo.py",
)
# The autograder needs the lab and the grader with its hidden checks, nothing else.
AUTOGRADER_INCLUDE = (
    "ipclab",
    "CMakeLists.txt",
    "cmake",
    "lab",
    "exercises",
    "grader",
    "harness",
    "scripts/install-deps.sh",
    "packaging/gradescope",
)
WORKFLOW = Path("packaging/github/classroom.yml")
STUDENT_WORKFLOW = Path(".github/workflows/classroom.yml")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # archives are byte-for-byte the same for the same tree


class LeakError(Exception):
    """A file about to be handed to students holds solution or hidden-check content."""


def _walk(root: Path, rel: Path = Path()):
    for entry in sorted(os.scandir(root / rel), key=lambda e: e.name):
        r = rel / entry.name
        if entry.is_symlink():
            continue
        if entry.is_dir():
            if entry.name not in JUNK_DIRS:
                yield from _walk(root, r)
        elif (
            entry.is_file()
            and not entry.name.startswith(JUNK_PREFIXES)
            and not entry.name.endswith(".pyc")
        ):
            yield r


def _under(rel: Path, prefixes) -> bool:
    s = rel.as_posix()
    return any(s == p or s.startswith(p + "/") for p in prefixes)


def student_files(root: Path = paths.ROOT) -> dict[Path, Path]:
    """Destination (relative) -> source, for the student bundle."""
    files = {rel: root / rel for rel in _walk(root) if not _under(rel, STUDENT_EXCLUDE)}
    if (root / WORKFLOW).exists():
        files[STUDENT_WORKFLOW] = root / WORKFLOW
    return files


def autograder_files(root: Path = paths.ROOT) -> dict[Path, Path]:
    return {rel: root / rel for rel in _walk(root) if _under(rel, AUTOGRADER_INCLUDE)}


def _telling(data: bytes, known: set[bytes]) -> set[bytes]:
    """Lines long enough to identify their file, not comments, not already in `known`."""
    lines = {line.strip() for line in data.splitlines()}
    return {
        line
        for line in lines
        if len(line) >= 24 and not line.startswith((b"//", b"#", b"*", b"/*")) and line not in known
    }


def secrets(root: Path = paths.ROOT) -> list[tuple[str, set[bytes]]]:
    """What must not leak, as the telling lines of each file: every hidden check and test, and
    every reference solution (less the lines its skeleton already has)."""
    out = []
    hidden = root / "grader" / "hidden"
    if hidden.is_dir():
        for rel in _walk(hidden):
            lines = _telling((hidden / rel).read_bytes(), set())
            if lines:
                out.append((f"grader/hidden/{rel.as_posix()}", lines))
    sols = root / "solutions"
    if sols.is_dir():
        for rel in _walk(sols):
            skeleton = root / "exercises" / rel
            known = (
                {line.strip() for line in skeleton.read_bytes().splitlines()}
                if skeleton.exists()
                else set()
            )
            lines = _telling((sols / rel).read_bytes(), known)
            if lines:
                out.append((f"solutions/{rel.as_posix()}", lines))
    return out


def check_no_leak(files: dict[Path, Path], root: Path = paths.ROOT) -> None:
    """A statement may quote a line of a solution (the lecture does); a file that holds most
    of a solution's or a hidden check's telling lines is a leak."""
    wanted = secrets(root)
    for rel, src in files.items():
        have = {line.strip() for line in src.read_bytes().splitlines()}
        for where, lines in wanted:
            common = len(lines & have)
            if common >= 2 and common >= 0.6 * len(lines):
                raise LeakError(
                    f"{rel} holds {common} of the {len(lines)} telling lines of "
                    f"{where}; remove them from the student files and build the "
                    "bundle again"
                )


def _mode(src: Path) -> int:
    return 0o755 if os.access(src, os.X_OK) else 0o644


def write_tree(files: dict[Path, Path], dest: Path) -> None:
    if dest.exists():
        if not dest.is_dir() or any(dest.iterdir()):
            raise FileExistsError(
                f"{dest}: exists and is not an empty folder; "
                "give a new folder (or remove it first)"
            )
    for rel, src in sorted(files.items()):
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, out)
        out.chmod(_mode(src))


def write_tar(files: dict[Path, Path], dest: Path, top: str) -> None:
    with replacing(dest) as tmp, tarfile.open(tmp, "w:gz", format=tarfile.PAX_FORMAT) as t:
        for rel, src in sorted(files.items()):
            info = tarfile.TarInfo(f"{top}/{rel.as_posix()}")
            data = src.read_bytes()
            info.size, info.mode, info.mtime = len(data), _mode(src), 0
            info.uname = info.gname = "ipclab"
            import io

            t.addfile(info, io.BytesIO(data))


def write_zip(
    files: dict[Path, bytes | Path], dest: Path, executable: set[str] = frozenset()
) -> None:
    with replacing(dest) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for rel in sorted(files, key=lambda r: r.as_posix()):
            src = files[rel]
            data = src if isinstance(src, bytes) else src.read_bytes()
            info = zipfile.ZipInfo(rel.as_posix(), FIXED_TIME)
            mode = (
                0o755
                if rel.as_posix() in executable
                or (not isinstance(src, bytes) and os.access(src, os.X_OK))
                else 0o644
            )
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
