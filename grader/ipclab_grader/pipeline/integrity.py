"""Step 4 of a grade (the steps: pipeline/__init__.py), between build and run: what a
student's compiled file reaches for that no solution needs.

The score does not depend on this: unit tests call the student's code in a worker process and
decide from their own side (lab/include/ipclab/remote.hpp), process checks from the kernel's
state, so an attempt to forge a result gains nothing whether or not it is seen here. This
step makes attempts *visible*: an exercise whose file calls into the test framework, replaces
a function of the C or C++ library or of the lab, makes system calls by hand, or reaches for
another process's memory scores zero, its result says which rule the file broke
(`integrity`), and the class reports flag the student (docs/sandbox.en.md, "Threat model").

The objects are read inside the build's sandbox (nm, objdump, strings: a hostile object is
parsed there, not here); this module only reads their bounded text output."""
from __future__ import annotations

import re
import subprocess
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from .builder import names

# The rules, each with the names that break it. A manifest's [integrity] allow = [...]
# lifts a rule or a name for its exercise (docs/authoring.en.md).
RULES = ("test_framework", "replaces_library", "raw_syscall", "other_process")

# Calls no solution of the lab makes, whose only use here would be to reach past the code's
# own process: trace or patch another process, change what memory may be written, look up
# a library function to wrap it.
OTHER_PROCESS_CALLS = {
    "ptrace",
    "process_vm_writev",
    "process_vm_readv",
    "mprotect",
    "pkey_mprotect",
    "dlsym",
    "dlvsym",
    "dlopen",
    "dlmopen",
    "syscall",
    "personality",
}
# Namespaces of the test framework and of the lab's test support: a student file has no
# business with them.
# In a mangled name a namespace is "N" (then K/V for a const or volatile member) and its
# length-prefixed name: _ZN7testing8UnitTest11GetInstanceEv, _ZTIN7testing17TestEventListenerE.
FRAMEWORK = re.compile(r"N[KV]*(7testing|6ipclab6remote|6ipclab7testing)")
# Mangled names in namespaces a student file must not define (replacing the library's own).
RESERVED = re.compile(r"^_ZN?K?(St|NSt|N9__gnu_cxx|N10__cxxabiv1|N7testing|N6ipclab|9__gnu_cxx)")
SYSCALL_INSN = re.compile(r"\s(syscall|sysenter|int\s+\$0x80)\b")
PROC_PATH = re.compile(r"/proc/\S*/(mem|fd|task)\b|/proc/\S*/(mem|fd)$")

SCAN_BYTES = 400_000  # of the scan's output per build: enough for any honest file


@dataclass
class Finding:
    rule: str  # one of RULES
    file: str  # the student's file, as in the manifest
    line: int  # 1-based line in that file where it is, 0 when it cannot be told
    what: str  # the name or text found (a symbol, an instruction, a path)

    def to_json(self) -> dict:
        return asdict(self)


def scan_script() -> str:
    """The shell commands the build sandbox runs over the student objects of a build dir:
    each tool once over all of them (a loop of ten processes per object cost a third of a
    second per submission), each object's share bounded as when they ran one object at a
    time (4000 symbols, 20 instructions, 20 strings); _regroup puts it back per object."""
    return (
        f"set -- $(find CMakeFiles -path '{names.ANY_STUDENT_OBJECTS}/*' -name '*.o' | sort); "
        "[ $# -gt 0 ] || exit 0; "
        'echo \'@@objs\'; for o in "$@"; do echo "$o"; done; '
        "echo '@@nm'; nm -P -A \"$@\" 2>/dev/null | awk -F': ' '++c[$1] <= 4000'; "
        "echo '@@asm'; objdump -d --no-show-raw-insn \"$@\" 2>/dev/null "
        "| grep -E ':[[:space:]]+file format |[[:space:]](syscall|sysenter|int +\\$0x80)\\b' "
        "| awk '/:[ \\t]+file format /{f=$1; print; next} ++c[f] <= 20'; "
        "echo '@@str'; strings -a -f \"$@\" 2>/dev/null | grep -F /proc/ "
        "| awk -F': ' '++c[$1] <= 20'"
    )


def _regroup(output: str) -> str:
    """scan_script's output as one block per object ("@@obj", its symbols, "@@asm", its
    instructions, "@@str", its strings), the form parse() reads."""
    objects: list[str] = []
    per: dict[str, dict[str, list[str]]] = {}
    section, current = "", None
    for line in output.splitlines():
        if line in ("@@objs", "@@nm", "@@asm", "@@str"):
            section = line[2:]
            continue
        if section == "objs":
            objects.append(line.strip())
            per[line.strip()] = {"nm": [], "asm": [], "str": []}
            continue
        if section == "asm":
            head = re.match(r"^(\S+):\s+file format ", line)
            if head:
                current = head.group(1) if head.group(1) in per else None
                continue
            if current is not None:
                per[current]["asm"].append(line)
            continue
        obj, sep, rest = line.partition(": ")
        if sep and obj in per and section in ("nm", "str"):
            per[obj][section].append(rest)
    out = []
    for o in objects:
        out += [f"@@obj {o}", *per[o]["nm"], "@@asm", *per[o]["asm"], "@@str", *per[o]["str"]]
    return "\n".join(out) + "\n"


@lru_cache(maxsize=1)
def library_names() -> frozenset[str]:
    """Every name the C and C++ libraries, libgcc and GoogleTest define: a student file that
    defines one of them with C linkage replaces it for the whole program."""
    names: set[str] = set()
    libdir = Path("/usr/lib/x86_64-linux-gnu")
    shared = [
        p
        for p in (
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/lib/x86_64-linux-gnu/libm.so.6",
            "/lib/x86_64-linux-gnu/libgcc_s.so.1",
            str(libdir / "libstdc++.so.6"),
        )
        if Path(p).exists()
    ]
    static = [str(p) for p in libdir.glob("libgtest*.a")]
    for args in (["nm", "-D", "--defined-only", *shared], ["nm", "--defined-only", *static]):
        if len(args) <= 3:
            continue
        try:
            out = subprocess.run(args, capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[-2] not in ("U", "w", "v"):
                names.add(parts[-1].split("@")[0])
    return frozenset(names)


def parse(
    output: str, exercise_of: dict[str, tuple[str, str]], allowed: dict[str, set[str]]
) -> dict[str, list[Finding]]:
    """Findings per exercise id. `exercise_of` maps an object's path (as the scan prints it)
    to (exercise id, the student file it was compiled from); `allowed` the rules or names a
    manifest lifts for its exercise."""
    if output.startswith("@@objs"):
        output = _regroup(output)
    libs = library_names()
    found: dict[str, list[Finding]] = {}
    obj, section = None, ""
    for line in output[:SCAN_BYTES].splitlines():
        if line.startswith("@@obj "):
            obj = exercise_of.get(line[6:].strip())
            section = "nm"
            continue
        if line in ("@@asm", "@@str"):
            section = line[2:]
            continue
        if obj is None:
            continue
        ex_id, file = obj
        hits = found.setdefault(ex_id, [])
        if section == "nm":
            parts = line.split()
            if len(parts) < 2:
                continue
            name, kind = parts[0], parts[1]
            if FRAMEWORK.search(name):
                hits.append(Finding("test_framework", file, 0, name))
            elif kind == "U" and name in OTHER_PROCESS_CALLS:
                hits.append(Finding("other_process", file, 0, name))
            elif kind in "TDBRGSC" and (
                (not name.startswith("_Z") and name in libs) or RESERVED.match(name)
            ):
                # Strong definitions only: templates and inline functions the file
                # instantiates are weak (W, V) and replace nothing.
                hits.append(Finding("replaces_library", file, 0, name))
        elif section == "asm":
            m = SYSCALL_INSN.search(line)
            if m:
                hits.append(Finding("raw_syscall", file, 0, m.group(1)))
        elif section == "str":
            if PROC_PATH.search(line.strip()):
                hits.append(Finding("other_process", file, 0, line.strip()[:80]))
    _demangle([f for hits in found.values() for f in hits])
    out = {}
    for ex_id, hits in found.items():
        lift = allowed.get(ex_id, set())
        kept, seen = [], set()
        for f in hits:
            if f.rule in lift or f.what in lift or (f.rule, f.what) in seen:
                continue
            seen.add((f.rule, f.what))
            kept.append(f)
        if kept:
            out[ex_id] = kept[:20]
    return out


def _demangle(findings: list[Finding]) -> None:
    """A student reads `testing::UnitTest::GetInstance()`, not its mangled name."""
    mangled = [f for f in findings if f.what.startswith("_Z")]
    if not mangled:
        return
    try:
        plain = subprocess.run(
            ["c++filt"],
            input="\n".join(f.what for f in mangled),
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        return
    if len(plain) == len(mangled):
        for f, p in zip(mangled, plain):
            f.what = p[:120]


def _demangled_leaf(name: str) -> str:
    """The last name of `ns::Class::function(args)`: what the source spells."""
    plain = re.sub(r"\(.*$", "", name)
    return re.split(r"::|\s", plain)[-1] or name


def locate_lines(findings: list[Finding], sources: dict[str, str]) -> list[Finding]:
    """Fills in the line of each finding from the student's source, where a token says it."""
    for f in findings:
        text = sources.get(f.file, "")
        if not text:
            continue
        leaf = re.escape(_demangled_leaf(f.what))
        if f.rule == "test_framework":
            # Where it is used (qualified), before where it is declared.
            patterns = [
                rf"::{leaf}\b",
                rf"\b{leaf}\b",
                r"\btesting\b|gtest|\bipclab::(remote|testing)\b",
            ]
        elif f.rule == "raw_syscall":
            patterns = [r"\b(asm|__asm__|__asm)\b|\bsyscall\b"]
        elif f.rule == "other_process" and f.what.startswith("/proc/"):
            patterns = [re.escape("/proc/")]
        else:
            # The call or definition, before any mention.
            patterns = [rf"\b{leaf}\s*\(", rf"\b{leaf}\b"]
        lines = text.splitlines()
        for pattern in patterns:
            # An #include names a call too: the line that uses it says more.
            hit = next(
                (
                    i
                    for i, line in enumerate(lines, 1)
                    if re.search(pattern, line) and not line.lstrip().startswith("#")
                ),
                0,
            )
            if hit:
                f.line = hit
                break
    return findings
