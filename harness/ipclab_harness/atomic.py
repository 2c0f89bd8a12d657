"""Files written whole or not at all: the one way the lab (harness, grader, scripts) replaces a
file. The text goes to a temporary file beside the target, is flushed to disk (fsync) and is
renamed over the target, so a reader, a Ctrl-C, a killed grader or a crash finds either the
old file or the new one, never half of one. Two writers of the same file (threads or
processes) each use a temporary name of their own; the last rename wins.

A folder made once and never replaced (a build cache entry, the configured template) is
published the same way: made under a temporary name beside its place, flushed, renamed; there
the first rename wins (publish)."""
from __future__ import annotations

import os
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def replacing(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside `path` (not yet created) for a writer that wants a file name
    (tarfile, zipfile, a compiler's -o); when the block ends, the file is fsync'd and renamed
    over `path`. An exception removes it and leaves `path` as it was."""
    path = Path(path)
    tmp = _temporary(path)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(
    path: str | os.PathLike, data: str | bytes, encoding: str = "utf-8", parents: bool = False
) -> None:
    """`data` (text is written as it is, no newline translation) as the whole of `path`;
    `parents`: make the folders above it that are missing (else a missing one is an error)."""
    path = Path(path)
    if parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(path)
    try:
        with open(tmp, "xb") as f:
            f.write(data.encode(encoding) if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def publish(tmp: str | os.PathLike, final: str | os.PathLike) -> bool:
    """The folder `tmp` (made whole beside `final`, on the same file system) put in place as
    `final`: every file in it and the folder itself flushed to disk, then renamed. Where
    `final` is there already (another writer made the same first: theirs is as good) or the
    rename fails, `tmp` is removed. Returns whether this folder is now `final`."""
    tmp, final = Path(tmp), Path(final)
    try:
        for p in sorted(tmp.rglob("*")):
            if p.is_file() and not p.is_symlink():
                _fsync(p)
        _fsync(tmp)
        os.rename(tmp, final)
        return True
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        return False
