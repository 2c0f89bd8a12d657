"""Unpacking a student's archive (.zip, .tar.gz, .tgz, .tar) without trusting it.

Refused, with the reason: members whose path is absolute or climbs out with `..`, links of
any kind (a link could point anywhere on the grader's machine), devices and FIFOs, more than
MAX_MEMBERS members, and more than MAX_BYTES once unpacked (counted while writing, not from
the archive's own headers, which can lie)."""
from __future__ import annotations

import shutil
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

MAX_BYTES = 64 << 20
MAX_MEMBERS = 5000
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".zip", ".tar")


class ArchiveError(Exception):
    """The archive cannot be unpacked safely; the message says why."""


def archive_stem(name: str) -> str | None:
    """The student's name for an archive file name, or None if it is not an archive."""
    low = name.lower()
    for suffix in ARCHIVE_SUFFIXES:
        if low.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return None


def _safe_relpath(name: str) -> PurePosixPath:
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or (p.parts and ":" in p.parts[0]):
        raise ArchiveError(
            f"the archive holds a path outside its folder ({name!r}); "
            "pack only the exercises folder"
        )
    return PurePosixPath(*[part for part in p.parts if part not in ("", ".")])


class _Budget:
    def __init__(self):
        self.left = MAX_BYTES

    def copy(self, src, dest: Path) -> None:
        with open(dest, "wb") as out:
            while chunk := src.read(1 << 16):
                self.left -= len(chunk)
                if self.left < 0:
                    raise ArchiveError(
                        f"the archive unpacks to more than {MAX_BYTES >> 20} MiB; "
                        "pack only the source files"
                    )
                out.write(chunk)


def _target(dest: Path, rel: PurePosixPath) -> Path:
    out = dest.joinpath(*rel.parts)
    # A folder created earlier can never be a link (links are refused), so this is final.
    if not out.resolve().is_relative_to(dest.resolve()):
        raise ArchiveError(
            f"the archive holds a path outside its folder ({rel}); "
            "pack only the exercises folder"
        )
    return out


def extract(archive: Path, dest: Path) -> Path:
    """Unpacks `archive` into `dest` (created); returns the folder to grade: `dest`, or the
    single folder the archive wraps everything in."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        if archive.name.lower().endswith(".zip"):
            _extract_zip(archive, dest)
        else:
            _extract_tar(archive, dest)
    except ArchiveError:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, ValueError) as e:
        shutil.rmtree(dest, ignore_errors=True)
        raise ArchiveError(
            f"the archive cannot be read ({e}); submit a .zip or .tar.gz "
            "of your exercises folder"
        ) from None
    root = dest
    for _ in range(3):  # student/exercises/01-ftok: locate() finds exercises/ itself
        entries = [e for e in root.iterdir() if e.name != "__MACOSX"]
        if (
            len(entries) == 1
            and entries[0].is_dir()
            and not any(c.name[:2].isdigit() for c in root.iterdir())
        ):
            root = entries[0]
        else:
            break
    return root


def _extract_zip(archive: Path, dest: Path) -> None:
    budget = _Budget()
    with zipfile.ZipFile(archive) as z:
        infos = z.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ArchiveError(f"the archive has {len(infos)} members; the limit is {MAX_MEMBERS}")
        for info in infos:
            rel = _safe_relpath(info.filename)
            if not rel.parts:
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise ArchiveError(
                    f"the archive holds a symbolic link ({rel}); " "submit the files themselves"
                )
            out = _target(dest, rel)
            if info.is_dir():
                out.mkdir(parents=True, exist_ok=True)
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            with z.open(info) as src:
                budget.copy(src, out)


def _extract_tar(archive: Path, dest: Path) -> None:
    budget = _Budget()
    with tarfile.open(archive, "r:*") as t:
        count = 0
        for m in t:
            count += 1
            if count > MAX_MEMBERS:
                raise ArchiveError(f"the archive has more than {MAX_MEMBERS} members")
            rel = _safe_relpath(m.name)
            if not rel.parts:
                continue
            if m.issym() or m.islnk():
                raise ArchiveError(f"the archive holds a link ({rel}); submit the files themselves")
            if not (m.isdir() or m.isfile()):
                raise ArchiveError(
                    f"the archive holds a device or pipe ({rel}); " "submit only source files"
                )
            out = _target(dest, rel)
            if m.isdir():
                out.mkdir(parents=True, exist_ok=True)
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            src = t.extractfile(m)
            budget.copy(src, out)
