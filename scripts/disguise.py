"""What a student who copies does to hide it: renames the names of the code (variables,
functions, classes, string contents too), deletes every comment and re-indents it (Allman
braces, tabs). Used by tests/test_similarity.py and scripts/similarity-class.py to make the
copies `./ipclab similarity` must find; it is not part of the comparison (sim_c++ does that)."""
from __future__ import annotations

import random
import re

KEEP = set(
    """alignas alignof and asm auto bool break case catch char class const constexpr
const_cast continue decltype default delete do double dynamic_cast else enum explicit extern
false float for friend goto if inline int long mutable namespace new noexcept not nullptr
operator or private protected public reinterpret_cast return short signed sizeof static
static_assert static_cast struct switch template this throw true try typedef typename union
unsigned using virtual void volatile while override final std ipclab errno""".split()
)
SYSTEM = ("shm", "sem", "msg", "ftok", "kill", "fork", "wait", "exit", "IPC", "memset", "memcpy")


def strip_comments(code: str) -> str:
    out, i, n = [], 0, len(code)
    while i < n:
        c = code[i]
        if c in "\"'":
            j = i + 1
            while j < n and code[j] != c:
                j += 2 if code[j] == "\\" else 1
            out.append(code[i : j + 1])
            i = j + 1
        elif code.startswith("//", i):
            while i < n and code[i] != "\n":
                i += 1
        elif code.startswith("/*", i):
            j = code.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def disguise(code: str, seed: int = 0, keep=()) -> str:
    """`code` renamed (but the names in `keep`, e.g. those of the exercise's header, so that it
    still builds), without comments, re-indented."""
    rnd = random.Random(seed)
    code = strip_comments(code)
    names: dict[str, str] = {}
    words = ["tmp", "val", "res", "obj", "item", "data", "aux", "cnt", "ptr", "buf", "x", "h"]

    def rename(m):
        w = m.group(0)
        before = m.string[max(0, m.start() - 2) : m.start()]
        if (
            w in KEEP
            or w in keep
            or w.isupper()
            or w.endswith("_t")
            or w.startswith(SYSTEM)
            or before.endswith(("::", ".", "->"))
            or len(w) < 2
        ):
            return w
        if w not in names:
            names[w] = f"{rnd.choice(words)}{len(names)}"
        return names[w]

    lines = []
    for line in code.splitlines():
        if line.lstrip().startswith("#"):
            lines.append(line.strip())
            continue
        body = re.sub(r"\b[A-Za-z_]\w*\b", rename, line).strip()
        if not body:
            continue
        if body.endswith("{") and body != "{":
            lines.append(body[:-1].rstrip())
            body = "{"
        lines.append(body)
    out, depth = [], 0
    for line in lines:
        if line.startswith("}"):
            depth -= 1
        out.append("\t" * max(depth, 0) + line)
        depth += line.count("{") - line.count("}") + (1 if line.startswith("}") else 0)
    return "\n".join(out) + "\n"


def header_names(*headers) -> set[str]:
    """The names declared in these files (an exercise's .hpp, the lab's headers): a copy that
    renames them would no longer build."""
    found: set[str] = set()
    for h in headers:
        found |= set(re.findall(r"\b[A-Za-z_]\w*\b", strip_comments(h.read_text())))
    return found
