"""What the lab's programs need of a student's shared object, told from their dynamic symbols
(nm -D, run inside the build's sandbox: a hostile object is parsed there, not here).

The template's programs and workers are linked once against the skeleton's shared object;
what they leave undefined that the skeleton's defines is what each exercise *needs*. A
submission's shared object must define all of it, or its build fails with the link error
the programs would have given had they been linked against it."""
from __future__ import annotations

import shlex
import subprocess

from ...manifest import Exercise
from . import names

MARK = "@@ipclab-symbols\n"
Symbols = dict[str, tuple[set[str], set[str]]]  # file -> (defined, undefined)


def script(files: list[str]) -> str:
    """Lists, after MARK, each file's dynamic symbols: "@@file F", then nm's lines."""
    quoted = " ".join(shlex.quote(f) for f in files)
    return (
        f"printf '{MARK.strip()}\\n'; for f in {quoted}; do [ -f \"$f\" ] || continue; "
        'echo "@@file $f"; nm -D -P "$f" 2>/dev/null | head -n 20000; done'
    )


def parse(text: str) -> Symbols:
    """{file: (defined, undefined)} from script()'s output."""
    out: Symbols = {}
    current = None
    for line in text[:4_000_000].splitlines():
        if line.startswith("@@file "):
            current = out.setdefault(line[7:].strip(), (set(), set()))
            continue
        parts = line.split()
        if current is None or len(parts) < 2:
            continue
        name, kind = parts[0].split("@")[0], parts[1]
        (current[1] if kind in ("U", "w", "v") else current[0]).add(name)
    return out


def library(ex: Exercise) -> str:
    """The student's shared object, relative to the build directory."""
    return f"bin/{names.student_library(ex)}"


def users(ex: Exercise) -> list[str]:
    """The programs that load the student's shared object, relative to the build directory."""
    return [f"bin/{b.name}" for b in ex.binaries] + [f"tests/{names.worker_name(ex)}"]


def needs(exercises: list[Exercise], symbols: Symbols) -> dict[str, list[str]]:
    """Per exercise, what its programs take from the student's shared object: what they leave
    undefined that the skeleton's defines."""
    out = {}
    for ex in exercises:
        offered = symbols.get(library(ex), (set(), set()))[0]
        wanted = set()
        for prog in users(ex):
            wanted |= symbols.get(prog, (set(), set()))[1]
        out[ex.id] = sorted(wanted & offered)
    return out


def missing(ex: Exercise, needed: list[str], symbols: Symbols) -> list[str]:
    """What the lab's programs need that the student's shared object does not define."""
    return sorted(set(needed) - symbols.get(library(ex), (set(), set()))[0])


def undefined_block(ex: Exercise, missing: list[str]) -> str:
    """What the linker said when the programs linked the student's objects themselves."""
    try:
        plain = subprocess.run(
            ["c++filt"], input="\n".join(missing), capture_output=True, text=True, timeout=10
        ).stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        plain = []
    if len(plain) != len(missing):
        plain = missing
    files = ", ".join(f"exercises/{ex.id}/{f}" for f in ex.files)
    return "".join(f"{files}: error: undefined reference to `{name}'\n" for name in plain[:20])
