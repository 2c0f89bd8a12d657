"""The class files of a batch, computed from the per-student results only (never from memory
of a run), so they are the same after a resume as after one uninterrupted run:
gradebook.csv (one row per student, one column per exercise) and summary.md. Nothing in them
depends on time or order of grading; everything is sorted."""
from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .. import i18n
from ..manifest import Exercise


def labels(lang: str) -> dict[str, str]:
    """The class files' words (grader/messages/class.LANG.toml, [summary])."""
    return i18n.table("class", "summary", lang)


@dataclass
class Row:
    student: str
    status: str  # graded | error
    scores: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    total: int = 0
    max_score: int = 0
    error: str = ""
    # (exercise, rule, file:line) for each rule a file broke: an attempt to tamper.
    integrity: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class CheckStat:
    exercise: str
    name: str
    title: str
    max_score: int
    visibility: str
    full: int = 0
    zero: int = 0
    feedback: Counter = field(default_factory=Counter)

    @property
    def failed(self) -> int:
        return sum(self.feedback.values())


@dataclass
class ClassData:
    lang: str
    exercises: list[tuple[str, str, int]]  # id, title, max score
    rows: list[Row]
    checks: list[CheckStat]

    @property
    def graded(self) -> list[Row]:
        return [r for r in self.rows if r.status == "graded"]

    @property
    def errors(self) -> list[Row]:
        return [r for r in self.rows if r.status != "graded"]

    @property
    def max_total(self) -> int:
        return sum(m for _, _, m in self.exercises)

    def exercise_scores(self, ex_id: str) -> list[int]:
        return [r.scores[ex_id] for r in self.graded if ex_id in r.scores]

    def top_failures(self, n: int = 10) -> list[CheckStat]:
        failing = [c for c in self.checks if c.failed]
        return sorted(failing, key=lambda c: (-c.failed, c.exercise, c.name))[:n]


def first_line(feedback: str) -> str:
    return next((line.strip() for line in feedback.splitlines() if line.strip()), "")


def collect(out: Path, exercises: list[Exercise], lang: str, state: dict[str, dict]) -> ClassData:
    """Reads OUT_DIR/students/*/result.json for the students in `state` (name -> record)."""
    exs = [(e.id, e.title_in(lang), e.max_score) for e in exercises]
    rows: list[Row] = []
    checks: dict[tuple[str, str], CheckStat] = {}
    for name in sorted(state):
        rec = state[name]
        result = out / "students" / name / "result.json"
        if rec.get("status") != "graded" or not result.exists():
            rows.append(Row(name, "error", error=rec.get("error") or "no result"))
            continue
        data = json.loads(result.read_text(encoding="utf-8"))
        row = Row(name, "graded", total=data["score"], max_score=data["max_score"])
        for ex in data["exercises"]:
            row.scores[ex["id"]] = ex["score"]
            row.statuses[ex["id"]] = ex["status"]
            for f in ex.get("integrity", []):
                row.integrity.append((ex["id"], f["rule"], f"{f['file']}:{f['line'] or '?'}"))
            for c in ex["checks"]:
                st = checks.setdefault(
                    (ex["id"], c["name"]),
                    CheckStat(ex["id"], c["name"], c["title"], c["max_score"], c["visibility"]),
                )
                if c["score"] == c["max_score"]:
                    st.full += 1
                if c["score"] == 0 and c["max_score"]:
                    st.zero += 1
                if c["status"] != "passed":
                    st.feedback[first_line(c["feedback"]) or c["status"]] += 1
        rows.append(row)
    order = {e.id: i for i, e in enumerate(exercises)}
    ordered = sorted(checks.values(), key=lambda c: (order.get(c.exercise, 99), c.exercise))
    return ClassData(lang, exs, rows, ordered)


def _cell(value: str) -> str:
    # A name that starts like a formula must stay text in a spreadsheet (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def gradebook_csv(data: ClassData) -> str:
    """UTF-8 with a byte-order mark (so spreadsheets read accents right), comma-separated,
    one header row; error rows have empty scores and the reason in `error`."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    ids = [i for i, _, _ in data.exercises]
    w.writerow(["student", "status", *ids, "total", "max_score", "error", "integrity"])
    for r in data.rows:
        # integrity: "03-shmat:raw_syscall ..." for a student whose file broke a rule.
        flags = " ".join(sorted({f"{ex}:{rule}" for ex, rule, _ in r.integrity}))
        if r.status == "graded":
            w.writerow(
                [
                    _cell(r.student),
                    r.status,
                    *[r.scores.get(i, 0) for i in ids],
                    r.total,
                    r.max_score,
                    "",
                    flags,
                ]
            )
        else:
            w.writerow(
                [
                    _cell(r.student),
                    r.status,
                    *["" for _ in ids],
                    "",
                    data.max_total,
                    _cell(" ".join(r.error.split())),
                    "",
                ]
            )
    return "\ufeff" + buf.getvalue()


def buckets(scores: list[int], max_score: int) -> list[int]:
    """Counts in five bands of the maximum: [0,20%), [20,40%), [40,60%), [60,80%), [80,100%),
    and full marks apart: six numbers."""
    out = [0] * 6
    for s in scores:
        if max_score and s >= max_score:
            out[5] += 1
        else:
            out[min(4, int(5 * s / max_score)) if max_score else 0] += 1
    return out


def _stats(values: list[int]) -> tuple[str, str, str, str]:
    if not values:
        return ("–",) * 4
    return (
        f"{statistics.fmean(values):.1f}",
        f"{statistics.median(values):g}",
        str(min(values)),
        str(max(values)),
    )


def _md(s: str) -> str:
    return " ".join(str(s).split()).replace("|", "\\|")


def summary_md(data: ClassData) -> str:
    L = labels(data.lang)
    totals = [r.total for r in data.graded]
    mean, median, lo, hi = _stats(totals)
    out = [
        f"# {L['title']}",
        "",
        f"| {L['subs']} | {L['graded']} | {L['errors']} | {L['mean']} | {L['median']} | "
        f"{L['min']} | {L['max']} | {L['full']} |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {len(data.rows)} | {len(data.graded)} | {len(data.errors)} | {mean} | {median} | "
        f"{lo} | {hi} | {sum(1 for r in data.graded if r.total == data.max_total)} |",
        "",
        f"{L['total']}: /{data.max_total}",
        "",
        f"## {L['per_exercise']}",
        "",
        f"| {L['exercise']} | {L['points']} | {L['mean']} | {L['median']} | {L['full']} | "
        f"{L['zero']} | {L['no_compile']} | {L['not_sub']} | {L['distribution']} |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for ex_id, title, mx in data.exercises:
        sc = data.exercise_scores(ex_id)
        st = [r.statuses.get(ex_id) for r in data.graded]
        m, med, _, _ = _stats(sc)
        out.append(
            f"| {ex_id} · {_md(title)} | {mx} | {m} | {med} | "
            f"{sum(s == mx for s in sc)} | {sum(s == 0 for s in sc)} | "
            f"{st.count('build_failed')} | {st.count('not_submitted')} | "
            f"{' · '.join(str(b) for b in buckets(sc, mx))} |"
        )
    out += [
        "",
        f"## {L['per_check']}",
        "",
        f"| {L['exercise']} | {L['check']} | {L['points']} | {L['full']} | {L['zero']} | "
        f"{L['pass_rate']} |",
        "|---|---|---:|---:|---:|---:|",
    ]
    n = len(data.graded)
    for c in data.checks:
        tag = f" ({L['hidden']})" if c.visibility == "hidden" else ""
        rate = f"{100 * c.full / n:.0f} %" if n else "–"
        out.append(
            f"| {c.exercise} | {_md(c.title)}{tag} | {c.max_score} | {c.full} | {c.zero} | "
            f"{rate} |"
        )
    out += [
        "",
        f"## {L['failures']}",
        "",
        f"| {L['exercise']} | {L['check']} | {L['failed']} | {L['feedback']} |",
        "|---|---|---:|---|",
    ]
    for c in data.top_failures():
        msg, count = sorted(c.feedback.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        out.append(f"| {c.exercise} | {_md(c.title)} | {c.failed} | {_md(msg)[:200]} ({count}) |")
    flagged = [r for r in data.graded if r.integrity]
    if flagged:
        out += [
            "",
            f"## {L['integrity']}",
            "",
            L["integrity_note"],
            "",
            f"| {L['student']} | {L['exercise']} | {L['rule']} | {L['where']} |",
            "|---|---|---|---|",
        ]
        out += [
            f"| {_md(r.student)} | {ex} | {rule} | {_md(where)} |"
            for r in flagged
            for ex, rule, where in r.integrity
        ]
    out += ["", f"## {L['errors']}", ""]
    if data.errors:
        out += [f"| {L['student']} | {L['reason']} |", "|---|---|"]
        out += [f"| {_md(r.student)} | {_md(r.error)} |" for r in data.errors]
    else:
        out.append(f"*{L['none']}*")
    return "\n".join(out) + "\n"
