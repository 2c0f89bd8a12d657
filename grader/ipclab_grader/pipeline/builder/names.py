"""The names of what a build makes, spelled once: the CMake targets and programs of each
exercise (cmake/ipclab_exercise.cmake defines them) as the build links and caches them and
the run step starts them.

    <id>-student        the student's files: lib<id>-student.so, its objects in
                        CMakeFiles/<id>-student.dir/
    <id>-worker         the student's files behind the unit tests' socket (tests/)
    <id>-unit           the visible unit tests (tests/)
    <id>-hidden         the visible and the hidden unit tests, where the grader has hidden
                        ones (tests/)"""
from __future__ import annotations

from ...manifest import Exercise

# Every exercise's student objects, as a path pattern under the build directory.
ANY_STUDENT_OBJECTS = "CMakeFiles/*-student.dir"
# Every exercise's hidden tests' objects: a submission's build never sees them.
ANY_HIDDEN_OBJECTS = "CMakeFiles/*-hidden.dir"


def student_target(ex: Exercise) -> str:
    """The CMake target the exercise's student files are compiled into."""
    return f"{ex.id}-student"


def student_objects(ex: Exercise) -> str:
    """Where the build keeps the student target's objects (relative to the build dir)."""
    return f"CMakeFiles/{student_target(ex)}.dir"


def student_library(ex: Exercise) -> str:
    """The shared object the exercise's student files become (IPCLAB_SHARED_STUDENT): its
    programs and its worker load it from their own folder."""
    return f"lib{student_target(ex)}.so"


def worker_name(ex: Exercise) -> str:
    """The program that holds the student's files behind the unit tests' socket."""
    return f"{ex.id}-worker"


def hidden_program(ex: Exercise) -> str:
    """The unit-test program with the visible and the hidden tests (the grader's build)."""
    return f"{ex.id}-hidden"


def unit_program(ex: Exercise) -> str:
    """The unit-test program with the visible tests only."""
    return f"{ex.id}-unit"


def test_program_names(ex: Exercise) -> list[str]:
    """The lab's unit-test programs of an exercise: <id>-hidden (visible and hidden tests,
    where the grader has hidden ones), <id>-unit (the visible ones)."""
    return [hidden_program(ex), unit_program(ex)]
