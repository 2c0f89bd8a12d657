"""Running ninja over the student's targets, and reading its failures: which exercise each
failure belongs to, what the student is shown of it (the compiler's first errors), and which
of the build's limits stopped a compiler."""
from __future__ import annotations

import re
import shlex

from ...manifest import Exercise
from . import box, names, symbols
from .box import BuildContext

ERROR_LINES = 15  # compiler lines shown to the student


def build_together(
    ctx: BuildContext, exercises: list[Exercise], jobs: int, needs: dict | None = None
) -> dict[str, tuple[bool, str]]:
    """Builds what the students' files go into -- each exercise's shared object, and where
    there is no template (`needs` None) its programs and its worker -- in one ninja run that
    keeps going past failures (-k 0), so one exercise that does not compile stops no other.
    From a template, the shared object must define what the lab's programs need of it (a
    function of the header the file does not define is the link error it always was).
    Returns (ok, log) per exercise; a log holds only the failures of that exercise's own
    targets."""
    ctx = ctx.but(limits=box.together_limits(exercises), hidden=False)
    if needs is None:
        targets = {
            ex.id: [b.name for b in ex.binaries] + [names.worker_name(ex)] for ex in exercises
        }
    else:
        targets = {ex.id: [names.student_target(ex)] for ex in exercises}
    # ninja itself, not `cmake --build`: that wrapper costs 0.2 s of CPU per call to decide
    # what ninja decides anyway (build.ninja re-runs CMake when the lab's files change).
    build = ctx.build_path
    ninja = [
        "ninja",
        "-C",
        build,
        "-k",
        "0",
        f"-j{jobs}",
        *[t for ts in targets.values() for t in ts],
    ]
    if needs is not None:
        # The shared objects' symbols, listed in the same sandbox once ninja is done.
        libs = [symbols.library(ex) for ex in exercises]
        ninja = [
            "sh",
            "-c",
            f"{shlex.join(ninja)}; rc=$?; cd {shlex.quote(build)} && "
            f"{symbols.script(libs)}; exit $rc",
        ]
    r = box.run(ctx, ninja)
    stdout, _, listing = r.stdout.partition(symbols.MARK)
    found = symbols.parse(symbols.MARK + listing) if needs is not None else {}
    note = _timeout_note(r, ctx.limits)
    blocks = _failure_blocks(stdout)
    out = {}
    for ex in exercises:
        mine = _blocks_of(ex, blocks)
        if needs is None:
            built = (
                all((ctx.build_dir / "bin" / b.name).exists() for b in ex.binaries)
                and (ctx.build_dir / "tests" / names.worker_name(ex)).exists()
                and not mine
            )
        else:
            built = (ctx.build_dir / symbols.library(ex)).exists() and not mine
            missing = symbols.missing(ex, needs.get(ex.id, []), found)
            if built and missing:
                built = False
                mine = [symbols.undefined_block(ex, missing)]
        log = note + "".join(_limit_note(b, ctx.limits) + b for b in mine)
        out[ex.id] = (built, log if log.strip() or built else note + stdout[-20000:])
    return out


def first_errors(log: str) -> str:
    """The compiler's first errors, without the build tool's noise (progress lines and the
    long compiler command lines); a note the grader added (a time limit) comes first."""
    notes = [
        line
        for line in log.splitlines()
        if line.startswith(("the build took longer", "the compiler was stopped"))
    ][:2]
    lines = [
        line
        for line in log.splitlines()
        if not line.startswith(("[", "ninja:", "FAILED:", "ccache ", ": && "))
        and "Building CXX" not in line
        and not re.match(r"\S*(c\+\+|g\+\+)\s+-", line)
        and line not in notes
    ]
    errors = [i for i, line in enumerate(lines) if re.search(r"\berror\b", line)]
    start = max(0, errors[0] - 2) if errors else 0
    return "\n".join(notes + lines[start : start + ERROR_LINES])


def _failure_blocks(log: str) -> list[tuple[str, str]]:
    """ninja's failures: (the FAILED line, everything printed for it)."""
    blocks, current = [], None
    for line in log.splitlines(keepends=True):
        if line.startswith("FAILED: "):
            current = [line, [line]]
            blocks.append(current)
        elif re.match(r"\[\d+/\d+\] |ninja: ", line):
            current = None
        elif current is not None:
            current[1].append(line)
    return [(head, "".join(body)) for head, body in blocks]


def _blocks_of(ex: Exercise, blocks: list[tuple[str, str]]) -> list[str]:
    targets = [names.student_target(ex), names.worker_name(ex), *(b.name for b in ex.binaries)]
    marks = [m for n in targets for m in (f"CMakeFiles/{n}.dir/", f"bin/{n}", f"tests/{n}")]
    marks.append(symbols.library(ex))
    lab = ("CMakeFiles/ipclab_support.dir/", "libipclab_support")
    return [
        body
        for head, body in blocks
        if any(m in head for m in marks) or any(m in head for m in lab)
    ]


def _timeout_note(r, limits) -> str:
    if r.returncode == -9:
        seconds = limits["build_time"] + box.WALL_MARGIN
        return f"the build took longer than {seconds} s and was stopped\n"
    return ""


def _limit_note(block: str, limits: dict) -> str:
    """A compiler killed by the build's limits says only "Killed signal": say which limit."""
    if "Killed signal terminated program" in block or "CPU time limit exceeded" in block:
        return (
            f"the compiler was stopped: it used more than the {limits['build_time']} s of "
            f"CPU a compile may take (a template or constexpr computation without end?)\n"
        )
    if "memory exhausted" in block or "std::bad_alloc" in block or "out of memory" in block:
        return (
            f"the compiler was stopped: it needed more than the "
            f"{limits['build_memory'] >> 20} MiB a compile may use\n"
        )
    return ""
