"""System V IPC state as the kernel shows it in /proc/sysvipc (reading it changes nothing)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SHM_DEST = 0o1000
SHM_LOCKED = 0o2000


def _key(text: str) -> int:
    # /proc shows the key as a signed decimal int; ipcs and the lab print it as 0x%08x.
    return int(text) & 0xFFFFFFFF


@dataclass(frozen=True)
class Segment:
    key: int
    shmid: int
    perms: int  # with the SHM_DEST / SHM_LOCKED bits, as the kernel keeps it
    size: int
    cpid: int
    lpid: int
    nattch: int
    uid: int
    gid: int
    cuid: int
    cgid: int
    atime: int
    dtime: int
    ctime: int

    @property
    def mode(self) -> int:
        return self.perms & 0o777

    @property
    def dest(self) -> bool:
        return bool(self.perms & SHM_DEST)

    def describe(self) -> str:
        status = " dest" if self.dest else ""
        return (
            f"key=0x{self.key:08x} shmid={self.shmid} perms={self.mode:04o} size={self.size} "
            f"nattch={self.nattch} cpid={self.cpid} lpid={self.lpid}{status}"
        )


@dataclass(frozen=True)
class SemSet:
    key: int
    semid: int
    perms: int
    nsems: int
    uid: int
    gid: int
    cuid: int
    cgid: int
    otime: int
    ctime: int


@dataclass(frozen=True)
class Queue:
    key: int
    msqid: int
    perms: int
    cbytes: int
    qnum: int
    lspid: int
    lrpid: int
    uid: int
    gid: int
    cuid: int
    cgid: int
    stime: int
    rtime: int
    ctime: int


def _rows(text: str) -> list[list[str]]:
    lines = text.splitlines()
    return [line.split() for line in lines[1:] if line.strip()]


def parse_shm(text: str) -> list[Segment]:
    return [Segment(_key(r[0]), int(r[1]), int(r[2], 8), *map(int, r[3:14])) for r in _rows(text)]


def parse_sem(text: str) -> list[SemSet]:
    return [SemSet(_key(r[0]), int(r[1]), int(r[2], 8), *map(int, r[3:10])) for r in _rows(text)]


def parse_msg(text: str) -> list[Queue]:
    return [Queue(_key(r[0]), int(r[1]), int(r[2], 8), *map(int, r[3:14])) for r in _rows(text)]


def ftok_key(ino: int, dev: int, proj_id: int) -> int:
    """What glibc's ftok returns for a file with this inode and device (../shared/reference.md)."""
    return (ino & 0xFFFF) | ((dev & 0xFF) << 16) | ((proj_id & 0xFF) << 24)


def object_ids() -> set[tuple[str, int]]:
    """Every IPC object this process can see, as (kind, id): the fallback mode's baseline."""
    return {(kind, ident) for kind, ident, _, _ in object_owners()}


def object_owners() -> list[tuple[str, int, int, int]]:
    """(kind, id, creator uid, ctime) of every IPC object, from /proc/sysvipc."""
    out = []
    for kind, parse in (("shm", parse_shm), ("sem", parse_sem), ("msg", parse_msg)):
        try:
            text = Path(f"/proc/sysvipc/{kind}").read_text()
        except OSError:
            continue
        for obj in parse(text):
            ident = getattr(obj, {"shm": "shmid", "sem": "semid", "msg": "msqid"}[kind])
            out.append((kind, ident, obj.cuid, obj.ctime))
    return out
