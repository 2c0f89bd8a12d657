"""The student commands' words. Each language is one file, grader/messages/cli.LANG.toml, with
the same keys in every file: a third language is one more file, and a key a file lacks falls
back to English so a half-translated file still works."""
from __future__ import annotations

import os
from functools import lru_cache

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11 (Ubuntu 22.04): python3-tomli
    import tomli as tomllib

from . import paths

DIR = paths.ROOT / "grader" / "messages"
DEFAULT = "es"  # the course is Spanish-speaking: no stated preference means Spanish
FALLBACK = "en"  # a locale in a language the lab does not speak gets English
NEUTRAL_LOCALES = ("C", "POSIX")


def languages() -> list[str]:
    return sorted(p.name.split(".")[1] for p in DIR.glob("cli.*.toml"))


def from_locale(env=None) -> str:
    """The language the locale asks for. Same variables, same order as
    ipclab_harness.plugin.default_lang; it differs only where the locale says nothing
    (unset, C, POSIX): there the course's language wins."""
    env = os.environ if env is None else env
    known = languages()
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var, "")
        if not value:
            continue
        first = value.split(":")[0]
        if first.split(".")[0] in NEUTRAL_LOCALES:
            return DEFAULT
        code = first[:2].lower()
        return code if code in known else FALLBACK
    return DEFAULT


def choose(arg: str | None) -> str:
    return arg or from_locale()


@lru_cache(maxsize=None)
def _table(kind: str, lang: str) -> dict:
    """grader/messages/KIND.LANG.toml parsed ({} when that language has no such file)."""
    path = DIR / f"{kind}.{lang}.toml"
    if not path.exists():
        return {}
    return tomllib.loads(path.read_text(encoding="utf-8"))


def table(kind: str, section: str, lang: str) -> dict[str, str]:
    """One [section] of grader/messages/KIND.LANG.toml (cli, platform, class): the words of
    the grader's own outputs; a key the language lacks is English's."""
    return {**_table(kind, FALLBACK).get(section, {}), **_table(kind, lang).get(section, {})}


def flat(lang: str) -> dict[str, str]:
    """Every message of a language as "section.key" -> text (the tests compare key sets)."""
    out = {}
    for section, entries in _table("cli", lang).items():
        for k, v in entries.items():
            out[f"{section}.{k}"] = v
    return out


class _Keep(dict):
    """Leaves a {placeholder} the caller did not fill as it is, rather than failing."""

    def __missing__(self, key):
        return "{" + key + "}"


class Messages:
    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._own = flat(lang)
        self._fallback = flat(FALLBACK)

    def raw(self, key: str):
        return self._own.get(key, self._fallback.get(key, key))

    def __call__(self, _key: str, **params) -> str:
        text = self.raw(_key)
        return text.format_map(_Keep(params)) if params else text


def messages(arg: str | None = None) -> Messages:
    return Messages(choose(arg))


def at_import() -> Messages:
    """For --help texts, written before --lang is parsed: the locale decides."""
    return Messages(from_locale())


def add_lang(parser) -> None:
    parser.add_argument("--lang", choices=languages(), help=at_import()("common.lang_help"))
