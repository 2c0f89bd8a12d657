"""A program's stderr read line by line (harness/README.md, «stderr: the line among the lines»).

The statements ask for *one line* on stderr naming the failing call and the system's reason
(`shmget: File exists`); a student's own debugging output (std::cerr, fprintf(stderr, ...), a
static object's constructor and destructor) may come before and after it and costs nothing
(issue 12). So a check never compares stderr as a whole, nor reads only its first line: it
looks for the line the statement asks for among stderr's lines, with these helpers. stdout
stays exact (`lab.expect_stdout`): it is the program's specified output.

Lines are compared without their surrounding whitespace ("\\r", trailing blanks), and blank
lines are left out: what `p.stderr.strip() == ...` tolerated before, line by line."""
from __future__ import annotations

from typing import Iterable

from .check import excerpt, fail


def _alternatives(text: str | Iterable[str]) -> tuple[str, ...]:
    return (text,) if isinstance(text, str) else tuple(text)


def stderr_lines(p) -> list[str]:
    """The lines of `p`'s stderr so far, each stripped, blank ones left out."""
    return [line.strip() for line in p.stderr.splitlines() if line.strip()]


def stderr_line(p, prefix: str | Iterable[str]) -> str | None:
    """The first stderr line that starts with `prefix` (or with any prefix of a tuple), or
    None: e.g. stderr_line(p, "shm_read: corrupt segment") to compare the whole line after."""
    prefixes = _alternatives(prefix)
    return next((line for line in stderr_lines(p) if line.startswith(prefixes)), None)


def has_stderr_line(p, line: str | Iterable[str]) -> bool:
    """Whether one of `p`'s stderr lines is exactly `line` (or one of a tuple's: where the
    statement allows either, e.g. ("msgrcv: Identifier removed", "msgrcv: Invalid argument"))."""
    wanted = {w.strip() for w in _alternatives(line)}
    return any(got in wanted for got in stderr_lines(p))


def has_stderr_lines(p, lines: Iterable[str]) -> bool:
    """Whether every one of `lines` is a line of `p`'s stderr, in this order, any others
    before, between and after them (e.g. every line of the real ipcrm's stderr among
    mini_ipcrm's). No lines: always true."""
    mine = iter(stderr_lines(p))
    return all(any(got == want.strip() for got in mine) for want in lines if want.strip())


def expect_stderr_line(
    p,
    line: str | Iterable[str],
    msg: str,
    section: str | None = None,
    timeout: float = 5.0,
    **params,
) -> None:
    """Waits for `p` to exit; fails with `msg` unless one of its stderr lines is exactly `line`
    (or one of a tuple's). The message's fields: `got` and `stderr` (an excerpt of the whole
    stderr), `want` (the line) and `params`."""
    p.wait(timeout, section)
    if not has_stderr_line(p, line):
        fields = {
            "got": excerpt(p.stderr),
            "stderr": excerpt(p.stderr),
            "want": " / ".join(_alternatives(line)),
        }
        fields.update(params)
        fail(msg, section, **fields)
