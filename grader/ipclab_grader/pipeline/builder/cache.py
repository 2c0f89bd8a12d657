"""The build cache: its keys and its entries.

The cache key of an exercise is the hash of everything its programs are made of: the
student's files, the lab's own files for it (header, mains, tests, support library, build
files, hidden unit tests, integrity.py whose findings are kept with the build) and the
compiler. Two submissions with the same files share one build; a warm grade builds nothing.

An entry (CACHE/builds/KEY/) holds log.txt, integrity.json, and `ok` with bin/ and tests/
(the programs, the worker, the unit-test programs and the student's shared object) or
`failed`. It is made whole under a temporary name and put in place at once, flushed to disk
first (ipclab_harness.atomic.publish): a reader finds a whole entry or none."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ipclab_harness.atomic import publish
from ipclab_harness.cachedir import cache_base

from ... import paths
from ...manifest import Exercise
from .. import integrity
from ..stage import Staged

# Part of every cache key: change it when how a build is made changes, and cached results
# (failures included) made the old way are not reused.
RECIPE = "ipclab-build/9"
# Files this large (the precompiled header) are shared with the template, not copied; the
# template's copy is read-only, so a build that wanted to rewrite one could not reach it.
LINK_ABOVE = 1 << 20


def cache_root() -> Path:
    return cache_base() / "builds"


@dataclass
class Built:
    exercise: Exercise
    ok: bool
    dir: Path | None  # holds bin/ and tests/
    log: str  # compiler output (first errors first)
    cached: bool
    seconds: float
    # What the student's objects reach for that no solution needs (integrity.py).
    integrity: list = field(default_factory=list)


def _hash_files(h, files):
    for f in sorted(files):
        h.update(str(f.relative_to(paths.ROOT)).encode() + b"\0")
        h.update(f.read_bytes() + b"\0")


_lab_digest_cache: dict[str, str] = {}


def lab_digest(ex: Exercise) -> str:
    """The hash of the lab's side of an exercise's build (everything but the student's files)."""
    if ex.id not in _lab_digest_cache:
        h = hashlib.sha256()
        # integrity.py: its findings are kept with the build.
        lab_files = [
            *paths.ROOT.joinpath("lab").rglob("*.?pp"),
            paths.ROOT / "CMakeLists.txt",
            *paths.ROOT.joinpath("cmake").glob("*.cmake"),
            Path(integrity.__file__).resolve(),
        ]
        own = [
            f
            for f in ex.dir.rglob("*")
            if f.is_file()
            and f.name not in ex.files
            and f.suffix in (".cpp", ".hpp", ".h", ".toml")
        ]
        hidden = list((paths.HIDDEN / ex.id / "unit").glob("*.cpp"))
        _hash_files(h, lab_files + own + hidden)
        h.update(_compiler_version().encode())
        h.update(RECIPE.encode())
        _lab_digest_cache[ex.id] = h.hexdigest()
    return _lab_digest_cache[ex.id]


_cc_version: list[str] = []


def _compiler_version() -> str:
    if not _cc_version:
        try:
            _cc_version.append(
                subprocess.run(["c++", "--version"], capture_output=True, text=True).stdout
            )
        except OSError:
            _cc_version.append("unknown")
    return _cc_version[0]


def cache_key(st: Staged) -> str:
    h = hashlib.sha256(lab_digest(st.exercise).encode())
    for name in sorted(st.files):
        h.update(name.encode() + b"\0" + st.files[name] + b"\0")
    return h.hexdigest()[:32]


def lookup(st: Staged, key: str) -> Built | None:
    """The cached build of these files, or None when there is none yet."""
    done = cache_root() / key
    if not ((done / "ok").exists() or (done / "failed").exists()):
        return None
    return read(st.exercise, done, cached=True, seconds=0.0)


def read(ex: Exercise, entry: Path, cached: bool, seconds: float) -> Built:
    ok = (entry / "ok").exists()
    return Built(
        ex,
        ok,
        entry if ok else None,
        (entry / "log.txt").read_text(errors="replace"),
        cached,
        seconds,
        _findings(entry),
    )


def _findings(entry: Path) -> list:
    try:
        return [integrity.Finding(**f) for f in json.loads((entry / "integrity.json").read_text())]
    except (OSError, ValueError, TypeError):
        return []


def new_entry() -> Path:
    """A folder to make an entry in (beside the entries: the same file system)."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))


def store(tmp: Path, key: str, log: str, findings: list, ok: bool, seconds: float) -> Path:
    """Completes the entry being made in `tmp` and puts it in place as KEY; returns where
    the entry of KEY is (another grade's, when it built the same files first)."""
    (tmp / "log.txt").write_text(log)
    (tmp / "integrity.json").write_text(json.dumps([f.to_json() for f in findings]))
    (tmp / ("ok" if ok else "failed")).write_text(json.dumps({"seconds": seconds}))
    # Everything in the cache is readable by the sandbox's unprivileged user.
    for p in [tmp, *tmp.rglob("*")]:
        p.chmod(0o755 if p.is_dir() or os.access(p, os.X_OK) else 0o644)
    final = cache_root() / key
    publish(tmp, final)  # or another grade built the same files first: theirs is as good
    return final


def link_or_copy(src: str, dst: str, always: bool = False) -> None:
    """A hard link for a large file (or any, `always`), else a copy."""
    if always or os.path.getsize(src) > LINK_ABOVE:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass  # another file system: a copy does as well
    shutil.copy2(src, dst)
