"""Helpers every command shares: the language, one-line errors, exercise selection."""
from __future__ import annotations

import sys

# The one --lang option and its rule (i18n.py): --lang if given, else the locale, Spanish when
# it says nothing; the choices are the languages grader/messages/ has.
from ..i18n import add_lang, choose as lang

__all__ = ["add_lang", "error", "lang", "load"]


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

