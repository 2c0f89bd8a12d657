"""Step 3 of a grade (the steps: pipeline/__init__.py), build_all: each staged exercise from
the cache, or built from the configured template in one ninja run, its student objects
scanned (integrity.py), and the result stored in the cache. The concerns it puts together
are the modules beside it (builder/__init__.py lists them)."""
from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

from ...manifest import Exercise
from .. import integrity
from ..stage import Staged
from . import box, cache, names, ninja
from .box import BuildContext
from .cache import Built
from .template import configured


def build_all(
    staged: list[Staged], work: Path, jobs: int = 2, use_sandbox: bool = True
) -> dict[str, Built]:
    """Builds every staged exercise that is not in the cache; returns one Built per exercise
    that could be staged."""
    results: dict[str, Built] = {}
    todo = []
    for st in staged:
        if st.problem:
            continue
        key = cache.cache_key(st)
        found = cache.lookup(st, key)
        if found is not None:
            results[st.exercise.id] = found
        else:
            todo.append((st, key))
    if not todo:
        return _with_lines(results, staged)

    ctx = BuildContext(stage_dir=work / "stage", build_dir=work / "cmake", use_sandbox=use_sandbox)
    t0 = time.monotonic()
    # Configured for every exercise asked for (one configuration serves every submission);
    # only those that need it are built.
    problem, programs, needs = configured(ctx, [st.exercise for st in staged])
    if problem:
        for st, key in todo:
            results[st.exercise.id] = Built(
                st.exercise,
                False,
                None,
                "cmake configure failed:\n" + problem[-3000:],
                False,
                time.monotonic() - t0,
            )
        return results
    t1 = time.monotonic()
    outcome = ninja.build_together(ctx, [st.exercise for st, _ in todo], jobs, needs)
    findings = _scan(ctx, todo)
    seconds = time.monotonic() - t1
    staged_at = f"{ctx.stage_path}/"
    for st, key in todo:
        ok, log = outcome[st.exercise.id]
        # The compiler names the student's file where the student has it.
        log = re.sub(rf"(?<![\w.]){re.escape(staged_at)}", "exercises/", log)
        tmp = cache.new_entry()
        if ok:
            _collect(st.exercise, ctx.build_dir, programs, needs is not None, tmp)
        final = cache.store(
            tmp,
            key,
            log if ok else ninja.first_errors(log) + "\n\n" + log[-20000:],
            findings.get(st.exercise.id, []),
            ok,
            seconds,
        )
        results[st.exercise.id] = cache.read(st.exercise, final, cached=False, seconds=seconds)
    return _with_lines(results, staged)


def _collect(
    ex: Exercise, build_dir: Path, programs: Path, from_template: bool, entry: Path
) -> None:
    """An entry's bin/ and tests/: the student's files, as one shared object, beside the
    programs and the worker that load it; the programs, the worker and the test programs are
    the lab's, linked once per version of the lab (or here, unsandboxed) and shared with the
    template by hard link."""
    (entry / "bin").mkdir()
    (entry / "tests").mkdir()
    lib = names.student_library(ex)
    shutil.copy2(build_dir / "bin" / lib, entry / "bin" / lib)
    os.link(entry / "bin" / lib, entry / "tests" / lib)
    for b in ex.binaries:
        src = programs / "bin" / b.name if from_template else build_dir / "bin" / b.name
        cache.link_or_copy(str(src), str(entry / "bin" / b.name), always=True)
    worker = names.worker_name(ex)
    cache.link_or_copy(str(programs / worker), str(entry / "tests" / worker), always=True)
    for name in names.test_program_names(ex):
        if (programs / name).exists():
            cache.link_or_copy(str(programs / name), str(entry / "tests" / name), always=True)


def _with_lines(results: dict[str, Built], staged: list[Staged]) -> dict[str, Built]:
    """Each finding's line in the student's file, told from the source (never cached)."""
    for st in staged:
        b = results.get(st.exercise.id)
        if b is not None and b.integrity:
            integrity.locate_lines(
                b.integrity, {n: st.files[n].decode("utf-8", errors="replace") for n in st.files}
            )
    return results


def _scan(ctx: BuildContext, todo: list) -> dict:
    """integrity.py's findings for the exercises just built, read in the build's sandbox."""
    exercise_of = {}
    for st, _ in todo:
        for name in st.exercise.files:
            for obj in ctx.build_dir.glob(f"{names.student_objects(st.exercise)}/**/{name}.o"):
                exercise_of[str(obj.relative_to(ctx.build_dir))] = (st.exercise.id, name)
    if not exercise_of:
        return {}
    r = box.run(
        ctx.but(limits=box.DEFAULT_BUILD_LIMITS, hidden=False),
        ["sh", "-c", integrity.scan_script()],
    )
    allowed = {st.exercise.id: set(st.exercise.integrity_allow) for st, _ in todo}
    return integrity.parse(r.stdout, exercise_of, allowed)
