"""How a check fails: with a message id and parameters, rendered later in the student's
language from the message files (one file per language; see harness/README.md)."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal, NoReturn, get_args

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

HARNESS_MESSAGES = Path(__file__).resolve().parent.parent / "messages"
EXCERPT = 600  # characters of a program's output shown in feedback

# What a check's result can be (the plugin's results, then score.py's graded checks): passed;
# failed (the code did not do what the statement asks); timeout (a wait's deadline passed);
# error (the check itself broke: a bug of the lab, never the student's).
Status = Literal["passed", "failed", "timeout", "error"]
STATUSES: tuple[Status, ...] = get_args(Status)


class CheckFailed(AssertionError):
    """The student's code did not do what the statement asks. status: failed or timeout."""

    # `_status`, not `status`: a message may well have a {status} field of its own.
    def __init__(
        self,
        msg_id: str,
        section: str | None = None,
        _status: Literal["failed", "timeout"] = "failed",
        **params,
    ) -> None:
        super().__init__(msg_id)
        self.msg_id, self.section, self.params = msg_id, section, params
        self.status: Status = _status


def fail(msg_id: str, section: str | None = None, **params) -> NoReturn:
    """Ends the check: `msg_id`'s text in the student's language, with `params` as its fields,
    and `section` the part of the statement to read again."""
    raise CheckFailed(msg_id, section, **params)


def excerpt(text: str, limit: int = EXCERPT) -> str:
    text = text.rstrip("\n")
    if not text:
        return "∅"
    if len(text) > limit:
        return text[:limit] + f" … [+{len(text) - limit}]"
    return text


@lru_cache(maxsize=None)
def _parsed(path: Path) -> dict:
    """A message file, parsed once per process: every exercise's catalog reads the harness's."""
    return tomllib.loads(path.read_text(encoding="utf-8"))


class Catalog:
    """Message texts of one language: the harness's, the exercise's, the hidden checks'."""

    def __init__(self, lang: str, dirs: list[Path]) -> None:
        self.lang = lang
        self.tables: dict[str, dict[str, str]] = {"titles": {}, "sections": {}, "feedback": {}}
        for d in [HARNESS_MESSAGES, *dirs]:
            for candidate in (d / f"messages.{lang}.toml", d / "messages.en.toml"):
                if candidate.exists():
                    data = _parsed(candidate)
                    for table, entries in data.items():
                        for k, v in entries.items():
                            self.tables.setdefault(table, {}).setdefault(k, v)

    def text(self, _table: str, _key: str, **params) -> str | None:
        template = self.tables.get(_table, {}).get(_key)
        if template is None:
            return None
        return _fill(template, params)

    def title(self, check_id: str) -> str:
        return self.text("titles", check_id) or check_id

    def render(self, failure: CheckFailed) -> str:
        body = self.text("feedback", failure.msg_id, **failure.params)
        if body is None:
            body = failure.msg_id + (f" {failure.params}" if failure.params else "")
        if failure.section:
            where = self.text("sections", failure.section) or failure.section
            body += "\n" + (self.text("feedback", "_see_section", section=where) or f"→ {where}")
        return body


def _fill(template: str, params: dict) -> str:
    def sub(m: re.Match) -> str:
        name, spec = m.group(1), m.group(2) or ""
        if name not in params:
            return m.group(0)
        value = params[name]
        try:
            return format(value, spec[1:]) if spec else str(value)
        except (ValueError, TypeError):
            return str(value)

    return re.sub(r"\{(\w+)(:[^}]*)?\}", sub, template)
