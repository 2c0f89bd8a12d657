"""Helpers every command shares: the language, one-line errors, exercise selection, and the
steps every platform package command takes around its build."""
from __future__ import annotations

import sys

# The one --lang option and its rule (i18n.py): --lang if given, else the locale, Spanish when
# it says nothing; the choices are the languages grader/messages/ has.
from ..i18n import add_lang, choose as lang

__all__ = ["add_lang", "error", "lang", "load", "package", "student_exercise"]


def error(msg: str, code: int = 2) -> int:
    """One line on stderr that says what is wrong; `code` is the exit status."""
    print(f"ipclab: {msg}", file=sys.stderr)
    return code


def load(wanted: list[str] | None):
    """The exercises named in `wanted` (ids, numbers or names), or all of them."""
    from ..manifest import by_id, load_all

    exercises = load_all()
    if wanted:
        exercises = [by_id(exercises, w) for w in wanted]
    return exercises


def student_exercise(m, wanted: str | None):
    """A student command's exercises and the one it works on: `wanted` when given, else the
    first not passing yet (None when every one passes). Raises Stop, in the student's words."""
    from ..student import progress
    from ..student.common import exercises, find

    all_ex = exercises(m)
    return all_ex, find(m, all_ex, wanted) if wanted else progress.first_not_passing(all_ex)


def package(
    args,
    wanted: list[str] | None,
    build,
    min_timeout: int | None = None,
    errors: tuple = (FileExistsError, OSError),
) -> int:
    """A platform package command's run: checks --timeout (when the platform has one), loads
    the exercises, calls build(exercises, lang) and prints the line it returns, which tells
    the instructor what to upload where. A bad manifest, and an `errors` from the build, are
    one line and exit 2."""
    from ..manifest import ManifestError

    if min_timeout is not None and args.timeout < min_timeout:
        return error(f"--timeout must be at least {min_timeout} seconds")
    try:
        exercises = load(wanted)
    except ManifestError as e:
        return error(str(e))
    try:
        said = build(exercises, args.lang or "es")
    except errors as e:
        return error(str(e))
    print(said, file=sys.stderr)
    return 0
