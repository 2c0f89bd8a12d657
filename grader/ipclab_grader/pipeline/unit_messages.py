"""A failed unit test's details in the student's language.

The C++ tests print `@@ipclab-msg {"id": ..., "args": {...}}@@` after a failed assertion
(lab/include/ipclab/unit_message.hpp); the text of each id is in the [unit] table of the
message files, found by the same Catalog as the process checks' feedback. GoogleTest's own
lines ("Expected equality of these values: ...") are English and name variables of the test,
so a failure that carries a message shows only the message."""
from __future__ import annotations

import json
import re

from ipclab_harness.check import Catalog

MARK = "@@ipclab-msg "
END = "@@"
FAILURE_CHARS = 1500  # of all of a group's details, once rendered
TEST_CHARS = 4000  # of one test's raw failure text, kept until it is rendered
_LOCATION = re.compile(r"\A(?:(?P<path>/\S+?):(?P<line>\d+)|unknown file)\n")
# GoogleTest's own sentences a student meets without any assertion: [unit] ids of the
# harness's message files, with the fields they fill.
GTEST_SENTENCES = [
    (
        re.compile(r'C\+\+ exception with description "(?P<what>.*)" thrown in [^\n]*\.\Z', re.S),
        "uncaught_exception",
    ),
    (re.compile(r"Unknown C\+\+ exception thrown in [^\n]*\.\Z"), "uncaught_unknown"),
]
_decoder = json.JSONDecoder()


def _scan(text: str):
    """The text as ("text", str) and ("msg", dict) pieces, in order. A marker that does not
    parse (cut by an output limit, or forged) stays in the text as it is."""
    pos = 0
    while True:
        start = text.find(MARK, pos)
        if start == -1:
            yield "text", text[pos:]
            return
        try:
            obj, end = _decoder.raw_decode(text, start + len(MARK))
            if (
                not text.startswith(END, end)
                or not isinstance(obj, dict)
                or not isinstance(obj.get("id"), str)
                or not isinstance(obj.get("args", {}), dict)
            ):
                raise ValueError("not a message")
        except ValueError:
            yield "text", text[pos : start + len(MARK)]
            pos = start + len(MARK)
            continue
        yield "text", text[pos:start]
        yield "msg", obj
        pos = end + len(END)


def split(text: str) -> tuple[str, list[dict]]:
    """The text without its messages, and the messages in order."""
    pieces = list(_scan(text))
    return ("".join(v for k, v in pieces if k == "text"), [v for k, v in pieces if k == "msg"])


def render(message: dict, cat: Catalog) -> str:
    args = {str(k): str(v) for k, v in message.get("args", {}).items()}
    text = cat.text("unit", message["id"], **args)
    if text is None:  # a message the files lack: its id and values, rather than nothing
        return message["id"] + "".join(f" {k}={v}" for k, v in args.items())
    return text


def localize(text: str, cat: Catalog) -> str:
    """Every message inside `text` replaced by its rendering (a crashed test program's output)."""
    return "".join(v if k == "text" else render(v, cat) for k, v in _scan(text))


def localize_tail(text: str, cat: Catalog) -> str:
    """The end of a crashed test program's output, its messages rendered."""
    text = localize(text, cat)
    return text if len(text) <= FAILURE_CHARS else "… " + text[-FAILURE_CHARS:]


def failure(test: str, text: str, cat: Catalog, hidden: bool) -> str:
    return _rendered(test, *split(text), cat, hidden)


def _rendered(test: str, plain: str, found: list[dict], cat: Catalog, hidden: bool) -> str:
    if found:
        return f"{test}: " + "\n".join(render(m, cat) for m in found)
    # No message: GoogleTest's own words. Where the test is, only when the student has it.
    m = _LOCATION.match(plain)
    where = ""
    if m:
        if m.group("path") and not hidden:
            where = f"{m.group('path').rsplit('/', 1)[-1]}:{m.group('line')}\n"
        plain = plain[m.end() :]
    for pattern, msg_id in GTEST_SENTENCES:
        known = pattern.match(plain.strip())
        if known:
            return f"{test}: " + render({"id": msg_id, "args": known.groupdict()}, cat)
    return f"{test}: {where}{plain.strip()}"


def details(failures: list, cat: Catalog, hidden: bool) -> str:
    """One line (or a few) per failed assertion, whole ones only, up to FAILURE_CHARS. In a
    test where some failure carries a message, its bare assertions (ASSERT_NE(id, -1) after a
    fixture already said why) only echo it in GoogleTest's English: they are left out."""
    parsed = [(test, *split(raw)) for test, raw in failures]
    explained = {test for test, _, found in parsed if found}
    shown = [
        (test, plain, found) for test, plain, found in parsed if test not in explained or found
    ]
    lines, used = [], 0
    for i, (test, plain, found) in enumerate(shown):
        line = _rendered(test, plain, found, cat, hidden)
        if lines and used + len(line) > FAILURE_CHARS:
            lines.append(f"… (+{len(shown) - i})")
            break
        lines.append(line[:FAILURE_CHARS] + (" …" if len(line) > FAILURE_CHARS else ""))
        used += len(line) + 1
    return "\n".join(lines)
