"""Which System V IPC objects `./ipclab clean` may remove: those the student's own manual runs
left behind, and nothing else.

The rule (docs/student-guide.en.md, "What clean removes"): an object is the student's when
  1. it was created by the current user and is still owned by them (cuid == uid == getuid()),
  2. and its key is one the lab's programs make: ftok(PATH, n) for any n (only ftok's low 8
     bits count, so n = 0..255 covers every PROJ_ID) and PATH the current folder, the lab's
     folder, anything directly in either, anything under exercises/, or a --path given;
     or 0xffffffff, the key an unchecked ftok failure (-1) creates.
Objects of other users fail rule 1 whatever their key; the user's other programs (a database,
a desktop) use keys of their own and fail rule 2."""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .. import paths

KINDS = {
    "shm": ("/proc/sysvipc/shm", "shmid", "-m"),
    "sem": ("/proc/sysvipc/sem", "semid", "-s"),
    "msg": ("/proc/sysvipc/msg", "msqid", "-q"),
}
FTOK_FAILED = 0xFFFFFFFF


@dataclass(frozen=True)
class IpcObject:
    kind: str  # shm | sem | msg
    key: int  # as ipcs shows it: unsigned 32 bits
    id: int
    uid: int
    cuid: int
    perms: int


def objects(proc: str = "/proc/sysvipc") -> list[IpcObject]:
    """Every object this IPC namespace holds, read from /proc/sysvipc (reading changes none)."""
    out = []
    for kind, (path, id_col, _) in KINDS.items():
        try:
            lines = Path(proc, Path(path).name).read_text().splitlines()
        except OSError:
            continue
        if not lines:
            continue
        head = lines[0].split()
        for line in lines[1:]:
            row = dict(zip(head, line.split()))
            if not row:
                continue
            out.append(
                IpcObject(
                    kind,
                    int(row["key"]) & 0xFFFFFFFF,
                    int(row[id_col]),
                    int(row["uid"]),
                    int(row["cuid"]),
                    int(row["perms"], 8),
                )
            )
    return out


def ftok_keys(path: str | os.PathLike) -> set[int]:
    """ftok(path, n) for every n, as glibc computes it (../shared/reference.md, beside the
    repository): the low 16 bits of the inode, the low 8 bits of the device, the low 8 bits
    of n."""
    try:
        st = os.stat(path)
    except OSError:
        return set()
    base = (st.st_ino & 0xFFFF) | ((st.st_dev & 0xFF) << 16)
    return {base | (n << 24) for n in range(256)}


def candidate_paths(extra: list[str] = (), cwd: str | None = None) -> list[Path]:
    cwd = Path(cwd or os.getcwd())
    found: list[Path] = []
    for folder in dict.fromkeys([cwd, paths.ROOT]):
        found.append(folder)
        try:
            found += list(folder.iterdir())
        except OSError:
            pass
    for p in paths.EXERCISES.rglob("*"):
        found.append(p)
    found += [Path(e) for e in extra]
    return found


def lab_keys(extra: list[str] = (), cwd: str | None = None) -> set[int]:
    keys = {FTOK_FAILED}
    for p in candidate_paths(extra, cwd):
        keys |= ftok_keys(p)
    return keys


def students(objs: list[IpcObject], keys: set[int], uid: int | None = None) -> list[IpcObject]:
    uid = os.getuid() if uid is None else uid
    return [o for o in objs if o.cuid == uid and o.uid == uid and o.key in keys]


def remove(obj: IpcObject) -> str | None:
    """None when removed; else ipcrm's reason (it may have gone meanwhile)."""
    r = subprocess.run(["ipcrm", KINDS[obj.kind][2], str(obj.id)], capture_output=True, text=True)
    return None if r.returncode == 0 else (r.stderr.strip() or f"ipcrm exit {r.returncode}")


def ipcs() -> str:
    r = subprocess.run(["ipcs"], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else r.stderr
