"""Helpers every command shares: the language, one-line errors, exercise selection."""
from __future__ import annotations

import sys


def lang(arg: str | None) -> str:
    """--lang if given, else the locale (Spanish first: the course is Spanish-speaking)."""
    if arg:
        return arg
    from ..i18n import from_locale
    return from_locale()


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


def add_lang(parser) -> None:
    parser.add_argument("--lang", choices=("es", "en"), help="language (default: the locale)")
