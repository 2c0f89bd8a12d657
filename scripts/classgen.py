#!/usr/bin/python3
"""A class of distinct correct submissions: every student hands in every exercise's reference
solution (solutions/, or a style of tests/styles/ where the lab has one) with the student's own
names, layout and comments, so that no two students share a file -- and no two share an object
file either (the names the compiler sees differ) -- yet every submission is correct.

Unlike scripts/disguise.py (a copier hiding a copy, for the similarity tests), only the names
the file declares itself are renamed, never a string's contents nor a name of the lab's or the
system's headers: the program behaves, and prints, exactly as the solution does.

Used by scripts/bench.py (the throughput of a class against the bare compile of the same
files) and tests; by hand: /usr/bin/python3 scripts/classgen.py -n 40 DIR"""
from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "grader"), str(ROOT / "harness")]

# C++ keywords, alternative tokens and attribute names: never renamed.
KEYWORDS = set(
    """alignas alignof and and_eq asm auto bitand bitor bool break case catch char
char8_t char16_t char32_t class compl concept const consteval constexpr constinit const_cast
continue co_await co_return co_yield decltype default delete do double dynamic_cast else enum
explicit export extern false float for friend goto if inline int long mutable namespace new
noexcept not not_eq nullptr operator or or_eq private protected public register
reinterpret_cast requires return short signed sizeof static static_assert static_cast struct
switch template this thread_local throw true try typedef typeid typename union unsigned using
virtual void volatile wchar_t while xor xor_eq override final import module
maybe_unused nodiscard noreturn fallthrough likely unlikely deprecated main""".split()
)
WORDS = [
    "tmp",
    "val",
    "res",
    "obj",
    "item",
    "data",
    "aux",
    "cnt",
    "ptr",
    "buf",
    "num",
    "elem",
    "info",
    "cur",
    "acc",
    "my",
    "the",
    "ret",
    "out",
    "work",
]
IDENT = re.compile(r"[A-Za-z_]\w*")


def variants(ex) -> list[str]:
    """The correct versions of the exercise's (single) student file the lab has."""
    found = []
    for base in (ROOT / "solutions", ROOT / "tests/styles/c-style", ROOT / "tests/styles/raii"):
        if all((base / ex.id / f).is_file() for f in ex.files):
            found.append(base)
    return found


def segments(code: str):
    """(kind, text) pieces: 'code', 'str' (a string or character literal), 'comment',
    'pp' (a preprocessor line)."""
    i, n, start = 0, len(code), 0
    out = []

    def flush(j):
        if j > start:
            out.append(("code", code[start:j]))

    at_line_start = True
    while i < n:
        c = code[i]
        if at_line_start and code[i:].lstrip(" \t").startswith("#"):
            j = code.find("\n", i)
            j = n if j < 0 else j
            while code[j - 1 : j] == "\\" and j < n:  # continued directive
                k = code.find("\n", j + 1)
                j = n if k < 0 else k
            flush(i)
            out.append(("pp", code[i:j]))
            i = start = j
            continue
        at_line_start = c == "\n" or (at_line_start and c in " \t")
        if c in "\"'":
            j = i + 1
            while j < n and code[j] != c:
                j += 2 if code[j] == "\\" else 1
            flush(i)
            out.append(("str", code[i : j + 1]))
            i = start = j + 1
        elif code.startswith("//", i):
            j = code.find("\n", i)
            j = n if j < 0 else j
            flush(i)
            out.append(("comment", code[i:j]))
            i = start = j
        elif code.startswith("/*", i):
            j = code.find("*/", i + 2)
            j = n if j < 0 else j + 2
            flush(i)
            out.append(("comment", code[i:j]))
            i = start = j
        else:
            i += 1
    flush(n)
    return out


_known_cache: dict[str, set[str]] = {}


def known_names(ex, code: str) -> set[str]:
    """Every name the file can see from a header (the lab's precompiled header, the
    exercise's header, whatever it includes itself): renaming one would not build."""
    includes = "\n".join(line for line in code.splitlines() if line.lstrip().startswith("#include"))
    key = ex.id + "\0" + includes
    if key not in _known_cache:
        src = '#include "ipclab/student_pch.hpp"\n' + includes + "\n"
        r = subprocess.run(
            [
                "g++",
                "-std=c++17",
                "-E",
                "-P",
                "-x",
                "c++",
                "-D_GNU_SOURCE",
                "-I",
                str(ex.dir),
                "-I",
                str(ROOT / "lab" / "include"),
                "-",
            ],
            input=src,
            capture_output=True,
            text=True,
            check=True,
        )
        names = set(IDENT.findall(r.stdout))
        # Macros vanish once preprocessed: the headers' own text names them.
        for h in [*ex.dir.glob("*.hpp"), *(ROOT / "lab" / "include").rglob("*.hpp")]:
            names |= set(IDENT.findall(h.read_text()))
        _known_cache[key] = names
    return _known_cache[key]


def personalize(code: str, ex, student: str, seed: int) -> str:
    """The file as `student` would have written it: own names for what it declares, own
    indentation, comments kept or not, and a first line naming the student."""
    rnd = random.Random(seed)
    known = known_names(ex, code) | KEYWORDS
    names: dict[str, str] = {}
    style = rnd.choice(["snake", "camel", "short"])

    def new_name(w: str) -> str:
        base = rnd.choice(WORDS)
        if style == "camel":
            return f"{base}{w[:1].upper()}{w[1:3]}{len(names)}"
        if style == "short":
            return f"{base[0]}{len(names)}_{rnd.randrange(100)}"
        return f"{base}_{len(names)}"

    def rename(m, text):
        w = m.group(0)
        after = text[m.end() : m.end() + 1]
        if w in known or w.isupper() or w.startswith("__") or after in "\"'" and after:
            return w  # a header's name, a macro, a literal's prefix
        if w not in names:
            names[w] = new_name(w)
        return names[w]

    keep_comments = rnd.random() < 0.5
    out = []
    for kind, text in segments(code):
        if kind == "code":
            out.append(IDENT.sub(lambda m: rename(m, text), text))
        elif kind == "comment":
            out.append(text if keep_comments else ("" if text.startswith("//") else " "))
        else:
            out.append(text)
    unit = rnd.choice(["  ", "    ", "\t", "   "])
    lines = []
    for line in "".join(out).splitlines():
        stripped = line.lstrip(" ")
        if not stripped.strip():
            if lines and lines[-1] and rnd.random() < 0.7:
                lines.append("")
            continue
        depth = (len(line) - len(stripped)) // 4 if not line.startswith("\t") else 0
        lines.append(unit * depth + stripped.rstrip())
    return f"// {student}\n" + "\n".join(lines) + "\n"


def make_class(
    dest: Path, n: int, exercises=None, seed: int = 15, prefix: str = "student"
) -> list[str]:
    """Writes n submissions dest/<prefix>NNN/<exercise id>/<file>; returns their names."""
    if exercises is None:
        from ipclab_grader.manifest import load_all

        exercises = load_all()
    rnd = random.Random(seed)
    sources = {ex.id: variants(ex) for ex in exercises}
    names = []
    for i in range(n):
        name = f"{prefix}{i:03d}"
        for ex in exercises:
            base = rnd.choice(sources[ex.id]) if sources[ex.id] else ex.dir
            (dest / name / ex.id).mkdir(parents=True, exist_ok=True)
            for f in ex.files:
                code = (base / ex.id / f if base != ex.dir else ex.dir / f).read_text()
                (dest / name / ex.id / f).write_text(
                    personalize(code, ex, name, seed * 100003 + i * 31 + len(names))
                )
        names.append(name)
    return names


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", type=Path)
    ap.add_argument("-n", type=int, default=40, help="students (default 40)")
    ap.add_argument("--seed", type=int, default=15)
    args = ap.parse_args()
    names = make_class(args.dest, args.n, seed=args.seed)
    print(f"{len(names)} distinct correct submissions in {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
