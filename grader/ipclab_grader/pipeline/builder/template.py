"""The configured template: the lab configured, its own objects compiled and its programs
linked once per version of the lab, which every sandboxed build starts from.

Sandboxed, every build sees the same paths (box.BOX_STAGE, box.BOX_BUILD), so the lab is
configured and its own objects (precompiled header, mains, worker tables) compiled, and its
unit-test programs, exercise programs and workers linked, once per version of the lab: each
submission starts from a copy, compiles its own files and links each exercise's into one
shared object (IPCLAB_SHARED_STUDENT) its programs load. The test programs, hidden tests and
all, never enter a submission's build: they hold no student file
(lab/include/ipclab/remote.hpp). Unsandboxed there is no template: the build directory is
configured and the lab's test programs linked in place."""
from __future__ import annotations

import fcntl
import hashlib
import json
import re
import shutil
import tempfile
from pathlib import Path

from ipclab_harness.atomic import publish

from ... import paths
from ...manifest import Exercise, cmake_fragment
from ..discover import has_hidden_tests
from . import box, names, symbols
from .box import BOX_BUILD, BOX_STAGE, BuildContext
from .cache import LINK_ABOVE, cache_root, lab_digest, link_or_copy

TEMPLATE_WALL = 3600  # wall-clock seconds for the lab's own build, once per lab version

# Set by the student commands (student/progress.py): in a student's lab the file in
# exercises/ is the student's work, and a template keyed by it would be made again at every
# edit; they give the copy of the skeleton they keep (student/pristine.py). Elsewhere
# exercises/ holds the skeletons.
skeleton_of = None


def lab_test_programs(exercises: list[Exercise]) -> list[str]:
    """The unit-test program the grader runs for each exercise: <id>-hidden where there are
    hidden tests (it holds the visible ones too, and the grader leaves the hidden suites out
    of a student's check: run.py), else <id>-unit. Never both: <id>-unit would compile the
    visible tests a second time, a third of the lab's own build, for a program never run."""
    return [
        names.hidden_program(ex) if has_hidden_tests(ex) else names.unit_program(ex)
        for ex in exercises
    ]


def configure_command(build: str, stage: str, fragment: str) -> list[str]:
    cmd = [
        "cmake",
        "-S",
        str(paths.ROOT),
        "-B",
        build,
        "-G",
        "Ninja",
        f"-DIPCLAB_SOURCE={stage}",
        f"-DIPCLAB_MANIFEST_CMAKE={fragment}",
        f"-DIPCLAB_HIDDEN_DIR={paths.HIDDEN}",
        "-DCMAKE_BUILD_TYPE=Debug",
        # No debug information: nobody runs a debugger on a grade, and without it
        # compiling and linking take a fifth less.
        "-DCMAKE_CXX_FLAGS_DEBUG=-g0",
        "-DIPCLAB_SHARED_STUDENT=ON",
    ]
    if box.ccache_dir():
        cmd.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
    if shutil.which("ld.gold"):
        # A grade links ~30 programs: gold does it in a third of the time of the default ld,
        # and without a build id (only a debugger's symbol files use it) a tenth faster still.
        cmd += [
            "-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=gold -Wl,--build-id=none",
            "-DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=gold -Wl,--build-id=none",
        ]
    return cmd


def configured(
    ctx: BuildContext, exercises: list[Exercise]
) -> tuple[str, Path | None, dict | None]:
    """Makes ctx.build_dir a configured CMake build of `exercises`. Returns CMake's output
    when that fails ("" otherwise), the folder that holds the lab's unit-test programs and
    workers (and, from a template, bin/ with its programs), and from a template what each
    exercise's programs need of the student's shared object (None: unsandboxed, where they
    are linked here against it)."""
    fragment = cmake_fragment(exercises)
    if not ctx.use_sandbox:
        lab = ctx.but(limits=box.DEFAULT_BUILD_LIMITS, hidden=True)
        build_dir = ctx.build_dir
        build_dir.mkdir(parents=True, exist_ok=True)
        (build_dir / "ipclab_exercises.cmake").write_text(fragment)
        r = box.run(
            lab,
            configure_command(
                str(build_dir), str(ctx.stage_dir), str(build_dir / "ipclab_exercises.cmake")
            ),
        )
        if r.returncode != 0:
            return r.stdout, build_dir / "tests", None
        # Unsandboxed there is no template: the lab's test programs are linked here.
        box.run(lab, ["ninja", "-C", str(build_dir), "-k", "0", *lab_test_programs(exercises)])
        return "", build_dir / "tests", None
    h = hashlib.sha256(fragment.encode())
    for ex in sorted(exercises, key=lambda e: e.id):
        # The lab's sources (the hidden unit tests CMake globs included), compiler and recipe.
        h.update(lab_digest(ex).encode())
    for f in sorted(paths.ROOT.joinpath("exercises").glob("*/exercise.toml")):
        h.update(f.read_bytes())  # CMake re-configures when a manifest changes
    h.update(" ".join(configure_command(BOX_BUILD, BOX_STAGE, "")).encode())
    for ex in sorted(exercises, key=lambda e: e.id):
        for name in ex.files:  # the programs are linked against the skeleton's
            h.update(_skeleton(ex, name))
    template = cache_root().parent / "configured" / h.hexdigest()[:32]
    if not (template / "ok").exists():
        template.parent.mkdir(parents=True, exist_ok=True)
        # One grade makes it; the others of a batch wait for it rather than all compile it.
        with open(template.parent / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            problem = (
                "" if (template / "ok").exists() else _make_template(template, exercises, fragment)
            )
        if problem:
            return problem, None, None
    shutil.copytree(template / "build", ctx.build_dir, symlinks=True, copy_function=link_or_copy)
    return "", template / "programs", json.loads((template / "programs" / "needs.json").read_text())


def _skeleton(ex: Exercise, name: str) -> bytes:
    """The exercise's file as the lab shipped it."""
    kept = skeleton_of(ex, name) if skeleton_of else None
    return kept or (ex.dir / name).read_bytes()


def _make_template(template: Path, exercises: list[Exercise], fragment: str) -> str:
    """Configures the lab at the sandbox's fixed paths, against the skeletons as stand-ins
    for the student files, compiles the lab's own objects, links its unit-test programs, and
    the exercises' programs and workers against the skeletons' shared objects (they load the
    student's in its place), notes what each exercise's programs need of that shared object,
    moves the programs out of the build submissions copy (and removes the hidden tests'
    objects and everything made of the skeletons), and publishes it all atomically."""
    template.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=template.parent, prefix=".tmp-"))
    try:
        scratch.chmod(0o755)
        stage, build, programs = scratch / "stage", scratch / "build", scratch / "programs"
        for ex in exercises:
            (stage / ex.id).mkdir(parents=True, exist_ok=True)
            for name in ex.files:
                # The skeleton: the programs and the worker are linked against its shared
                # object, and load the student's in its place.
                (stage / ex.id / name).write_bytes(_skeleton(ex, name))
        build.mkdir()
        programs.mkdir()
        (build / "ipclab_exercises.cmake").write_text(fragment)
        for p in [scratch, *scratch.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        # The lab's own build, with the hidden unit tests in sight.
        lab = BuildContext(stage, build, use_sandbox=True, hidden=True)
        r = box.run(
            lab, configure_command(BOX_BUILD, BOX_STAGE, f"{BOX_BUILD}/ipclab_exercises.cmake")
        )
        if r.returncode != 0:
            return r.stdout
        listing = box.run(lab, ["ninja", "-C", BOX_BUILD, "-t", "targets", "all"])
        tests = lab_test_programs(exercises)
        # Not the student's objects, nor those of a unit-test program the grader never runs.
        left_out = tuple(f"{names.student_objects(ex)}/" for ex in exercises) + tuple(
            f"CMakeFiles/{program}.dir/"
            for ex in exercises
            for program in names.test_program_names(ex)
            if program not in tests
        )
        lab_objects = [
            line.split(":")[0]
            for line in listing.stdout.splitlines()
            if re.match(r"\S+\.(o|gch):", line) and not any(d in line for d in left_out)
        ]
        # The lab's own objects and test programs: when they do not compile, each build
        # says so, as before (its unit tests cannot run).
        mains = [b.name for ex in exercises for b in ex.binaries]
        workers = [names.worker_name(ex) for ex in exercises]
        # The lab's code, not a student's: no exercise's wall-clock allowance, which a loaded
        # machine's first class outran (the template was kept without its test programs).
        r = box.run(
            lab.but(wall=TEMPLATE_WALL),
            [
                "ninja",
                "-C",
                BOX_BUILD,
                "-k",
                "0",
                "ipclab_support",
                "ipclab_remote_worker",
                *lab_objects,
                *tests,
                *mains,
                *workers,
            ],
        )
        if r.returncode == -9:
            return f"the lab's own build took longer than {TEMPLATE_WALL} s:\n" + r.stdout[-3000:]
        # What each exercise's programs take from the student's shared object: what they
        # leave undefined that the skeleton's defines (read in the sandbox, as any object).
        listing = box.run(
            lab.but(hidden=False),
            [
                "sh",
                "-c",
                symbols.script(
                    [symbols.library(ex) for ex in exercises]
                    + [f"bin/{m}" for m in mains]
                    + [f"tests/{w}" for w in workers]
                ),
            ],
        )
        needs = symbols.needs(exercises, symbols.parse(listing.stdout))
        # Moved (not written) within the scratch folder: the programs out of the build
        # directory submissions copy.
        (programs / "bin").mkdir()
        for name in tests + workers:
            if (build / "tests" / name).exists():
                (build / "tests" / name).rename(programs / name)
        for name in mains:
            if (build / "bin" / name).exists():
                (build / "bin" / name).rename(programs / "bin" / name)
        (programs / "needs.json").write_text(json.dumps(needs))
        # Nothing of the skeleton stays: each submission compiles and links its own files
        # (an object left here could look newer than a student's file of an old date).
        for ex in exercises:
            (build / "bin" / names.student_library(ex)).unlink(missing_ok=True)
            shutil.rmtree(build / names.student_objects(ex), ignore_errors=True)
            (build / names.student_objects(ex)).mkdir()
        # A submission's build never sees the hidden tests, not even compiled.
        for d in build.glob(names.ANY_HIDDEN_OBJECTS):
            shutil.rmtree(d)
        for big in build.rglob("*"):
            if big.is_file() and big.stat().st_size > LINK_ABOVE:
                big.chmod(0o444)
        shutil.rmtree(stage)
        (scratch / "ok").touch()
        publish(scratch, template)  # or another grade made it first: theirs is the same
        return ""
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
