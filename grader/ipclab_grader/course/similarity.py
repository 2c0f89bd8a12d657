"""Similarity across a class: per exercise, the pairs of students whose edited files share more
of their own code than independent work does. The comparing is Debian's similarity-tester
(`sim_c++`), which reduces C++ to tokens (every identifier the same token, comments and layout
ignored), so renaming variables, deleting comments and re-indenting change nothing.

The starter code never counts. sim's "old" files (after `/`) are never compared with each
other, but two students who both kept the same starter lines still match each other before
they match the starter; so each student file is first compared with the exercise's starter
file alone (`sim_c++ -S`), the lines of the runs found there are blanked (line numbers stay),
and only what is left — the student's own code — is compared between students, every pair in
isolation (`-e -a -p`). A pair's percentage is the larger of "how much of A's own code is
found in B" and the reverse. The matching lines of each flagged pair come from one more run
of sim (`-e -a -n`) over the flagged files only.

The sources come from the class folder through batch's own discovery, archive unpacking and
staging (only the manifest's [student] files are read); in a batch they are kept beside each
result (students/NAME/sources.json), so a merge of shards computes the same report."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ipclab_harness.atomic import write_atomic

from .. import i18n
from . import safe_extract
from ..pipeline import stage as staging
from ..manifest import Exercise

SIM = "sim_c++"
# Minimum run, in tokens (sim's default): shorter common runs are idioms any two people write.
MIN_RUN = 24
# Flagged from this percentage (docs/instructor-guide.en.md, section 8: measured on disguised
# copies and on independent solutions in different styles, tests/test_similarity.py).
THRESHOLD = 60
SOURCES_SCHEMA = "ipclab-sources/1"
MAX_LINES_SHOWN = 40  # per matching run in the report
SHOWN = 30  # flagged pairs per exercise shown line by line


class SimMissing(Exception):
    """sim_c++ (Debian's similarity-tester) is not installed."""


@dataclass
class Source:
    """What one student wrote: per exercise the text of its edited files (None: none), or why
    nothing could be read."""

    name: str
    digest: str = ""
    files: dict[str, str] = field(default_factory=dict)
    problem: str = ""

    def to_json(self) -> str:
        return (
            json.dumps(
                {
                    "schema": SOURCES_SCHEMA,
                    "hash": self.digest,
                    "problem": self.problem,
                    "files": dict(sorted(self.files.items())),
                },
                ensure_ascii=False,
                indent=1,
            )
            + "\n"
        )

    @classmethod
    def from_json(cls, name: str, text: str) -> "Source":
        data = json.loads(text)
        if data.get("schema") != SOURCES_SCHEMA:
            raise ValueError("not an ipclab sources file")
        return cls(name, data.get("hash", ""), dict(data.get("files", {})), data.get("problem", ""))


@dataclass
class Match:
    a_lines: tuple[int, int]
    b_lines: tuple[int, int]
    tokens: int
    a_text: str = ""
    b_text: str = ""


@dataclass
class Pair:
    a: str
    b: str
    exercise: str
    percent: int
    similar: bool
    a_in_b: int = 0
    b_in_a: int = 0
    matches: list[Match] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "a": self.a,
            "b": self.b,
            "exercise": self.exercise,
            "percent": self.percent,
            "similar": self.similar,
        }


@dataclass
class Report:
    threshold: int
    students: int
    exercises: list[tuple[str, str]]  # id, title
    pairs: list[Pair]
    problems: list[tuple[str, str]]  # student, why nothing of it was compared
    compared: dict[str, int] = field(default_factory=dict)  # exercise -> files compared

    @property
    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.similar]


# ---------------------------------------------------------------- reading what students wrote


def starter_text(ex: Exercise) -> str:
    return "".join(_text((ex.dir / f).read_bytes()) for f in ex.files)


def _text(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    return text if text.endswith("\n") or not text else text + "\n"


def read_folder(name: str, folder: Path, exercises: list[Exercise], digest: str = "") -> Source:
    """The edited files of a submission folder (a copy of exercises/ or a repository holding
    one), read exactly as a grade reads them (locate + stage)."""
    from ..pipeline.locate import SubmissionError, locate

    src = Source(name, digest)
    try:
        root = locate(folder, exercises)
    except SubmissionError as e:
        src.problem = str(e).split(": ", 1)[-1] if str(e).startswith(str(folder)) else str(e)
        return src
    notes = []
    with tempfile.TemporaryDirectory(prefix="ipclab-sim-stage-") as tmp:
        for ex in exercises:
            try:
                st = staging.stage(root, [ex], Path(tmp))[0]
            except OSError as e:
                notes.append(f"{ex.id}: cannot be read ({e.strerror or e})")
                continue
            if st.problem:
                if not st.missing:
                    notes.append(st.problem)
                continue
            text = "".join(_text(st.files[f]) for f in ex.files)
            if text.strip():
                src.files[ex.id] = text
    if not src.files:
        src.problem = "; ".join(notes) or "no edited file in it (every one missing or empty)"
    return src


def read_submission(sub, exercises: list[Exercise], work: Path) -> Source:
    """A batch.Submission (folder or archive) as a Source; never raises for bad input."""
    if sub.problem:
        return Source(sub.name, sub.digest, problem=sub.problem)
    target = sub.path
    unpacked = Path(tempfile.mkdtemp(dir=work, prefix="unpack-"))
    try:
        if sub.is_archive:
            try:
                target = safe_extract.extract(sub.path, unpacked / "x")
            except safe_extract.ArchiveError as e:
                return Source(sub.name, sub.digest, problem=str(e))
        return read_folder(sub.name, target, exercises, sub.digest)
    except OSError as e:
        return Source(sub.name, sub.digest, problem=f"cannot be read ({e.strerror or e})")
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)


def read_class(class_dir: Path, exercises: list[Exercise]) -> list[Source]:
    from .batch import discover

    with tempfile.TemporaryDirectory(prefix="ipclab-sim-") as work:
        return [read_submission(s, exercises, Path(work)) for s in discover(class_dir)]


# ---------------------------------------------------------------- sim_c++


def require_sim() -> str:
    exe = shutil.which(SIM)
    if not exe:
        raise SimMissing(
            "sim_c++ is not installed; install Debian's similarity-tester package "
            "(sudo apt-get install similarity-tester, or scripts/install-deps.sh)"
        )
    return exe


def _sim(cwd: Path, *args: str) -> str:
    r = subprocess.run(
        [require_sim(), "-T", "-w", "200", "-r", str(MIN_RUN), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="replace",
    )
    if r.returncode != 0:
        raise RuntimeError(f"sim_c++ failed: {r.stderr.strip()[-300:]}")
    return r.stdout


_RUN = re.compile(r"^(\S+): line (\d+)-(\d+)\s*\|(\S+): line (\d+)-(\d+)\s*\[(\d+)\]")
_PCT = re.compile(r"^(\S+) consists for (\d+) % of (\S+) material")


def _runs(output: str):
    for line in output.splitlines():
        m = _RUN.match(line)
        if m:
            yield (m[1], int(m[2]), int(m[3]), m[4], int(m[5]), int(m[6]), int(m[7]))


def _own_code(work: Path, names: list[str], starter: str) -> None:
    """Blanks, in each file of `names` (in `work`), the lines sim finds in the starter file."""
    (work / "starter.cpp").write_text(starter, encoding="utf-8")
    blank: dict[str, set[int]] = {}
    for f, a0, a1, g, *_ in _runs(_sim(work, "-S", *names, "/", "starter.cpp")):
        if g == "starter.cpp":
            blank.setdefault(f, set()).update(range(a0, a1 + 1))
    for f, lines in blank.items():
        text = (work / f).read_text(encoding="utf-8").splitlines()
        kept = ["" if i + 1 in lines else line for i, line in enumerate(text)]
        (work / f).write_text("\n".join(kept) + "\n", encoding="utf-8")


class _Exercise:
    """One exercise's files in a scratch folder, s00000.cpp... in the order of the names."""

    def __init__(self, ex_id: str, texts: dict[str, str], tmp: Path):
        self.id = ex_id
        self.work = tmp / ex_id
        self.work.mkdir()
        self.texts = texts
        self.file = {s: f"s{i:05d}.cpp" for i, s in enumerate(sorted(texts))}
        self.student = {f: s for s, f in self.file.items()}
        for s, f in self.file.items():
            (self.work / f).write_text(texts[s], encoding="utf-8")
        self.names = [self.file[s] for s in sorted(texts)]
        self.candidates: list[str] = []


def _percentages(output: str, known: dict[str, str]):
    for line in output.splitlines():
        m = _PCT.match(line)
        if m and m[1] in known and m[3] in known:
            yield m[1], m[3], int(m[2])


def _prepare(ex: _Exercise, starter: str, floor: int) -> None:
    """Starter lines blanked; then a quick pass (each file's text attributed to its longest
    matches only, `-a -p`) keeps as candidates the files of which at least half the floor is
    found anywhere else; only those are compared pair by pair."""
    _own_code(ex.work, ex.names, starter)
    found: dict[str, int] = {}
    for fa, _, p in _percentages(_sim(ex.work, "-a", "-p", "-t", "1", *ex.names), ex.student):
        found[fa] = found.get(fa, 0) + p
    ex.candidates = [f for f in ex.names if 2 * found.get(f, 0) >= floor]


def _exact(ex: _Exercise, block: list[str]) -> list[tuple[str, str, int]]:
    """Every file of `block` against every file of the exercise, in isolation (`-e -a -p`):
    "how much of A is found in B" for A in the block. Blocks share the work between CPUs."""
    others = [f for f in ex.names if f not in set(block)]
    args = ["-e", "-a", "-p", "-t", "1", *block] + (["/", *others] if others else [])
    return list(_percentages(_sim(ex.work, *args), ex.student))


def _details(ex: _Exercise, pair: "Pair") -> None:
    """The matching lines of one flagged pair, from the original files."""
    fa, fb = ex.file[pair.a], ex.file[pair.b]
    lines = {fa: ex.texts[pair.a].splitlines(), fb: ex.texts[pair.b].splitlines()}
    seen = set()
    for f1, a0, a1, f2, b0, b1, tokens in _runs(_sim(ex.work, "-n", fa, fb)):
        if (f1, f2) == (fb, fa):
            a0, a1, b0, b1 = b0, b1, a0, a1
        elif (f1, f2) != (fa, fb):
            continue
        if (a0, a1, b0, b1) not in seen:
            seen.add((a0, a1, b0, b1))
            pair.matches.append(
                Match(
                    (a0, a1),
                    (b0, b1),
                    tokens,
                    _excerpt(lines[fa], a0, a1),
                    _excerpt(lines[fb], b0, b1),
                )
            )
    pair.matches.sort(key=lambda m: (-m.tokens, m.a_lines, m.b_lines))


def _excerpt(lines: list[str], first: int, last: int) -> str:
    chosen = lines[first - 1 : min(last, first - 1 + MAX_LINES_SHOWN)]
    more = last - first + 1 - len(chosen)
    return "\n".join(chosen) + (f"\n… (+{more})" if more > 0 else "")


def analyse(
    sources: list[Source],
    exercises: list[Exercise],
    lang: str = "en",
    threshold: int = THRESHOLD,
    floor: int | None = None,
    jobs: int | None = None,
) -> Report:
    """Every pair at or above `floor` (default: the threshold), flagged from `threshold`; the
    matching lines of the first SHOWN flagged pairs of each exercise. sim runs `jobs` at once
    (default: the CPUs)."""
    from concurrent.futures import ThreadPoolExecutor

    require_sim()
    floor = threshold if floor is None else min(floor, threshold)
    problems = sorted((s.name, s.problem) for s in sources if s.problem)
    pairs: list[Pair] = []
    compared = {}
    jobs = jobs or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="ipclab-sim-") as tmp, ThreadPoolExecutor(jobs) as pool:
        todo = []
        for ex in exercises:
            starter = starter_text(ex)
            texts = {
                s.name: s.files[ex.id]
                for s in sources
                if not s.problem and s.files.get(ex.id) and s.files[ex.id] != starter
            }
            compared[ex.id] = len(texts)
            if len(texts) >= 2:
                todo.append((_Exercise(ex.id, texts, Path(tmp)), starter))
        list(pool.map(lambda t: _prepare(t[0], t[1], floor), todo))
        blocks = []
        for ex, _ in todo:
            size = max(8, -(-len(ex.candidates) // (2 * jobs)))
            blocks += [
                (ex, ex.candidates[i : i + size]) for i in range(0, len(ex.candidates), size)
            ]
        found: dict[tuple[str, str, str], Pair] = {}
        for (ex, _), result in zip(blocks, pool.map(lambda b: _exact(*b), blocks)):
            for fa, fb, p in result:
                a, b = sorted((ex.student[fa], ex.student[fb]))
                pair = found.setdefault((ex.id, a, b), Pair(a, b, ex.id, 0, False))
                if ex.student[fa] == a:
                    pair.a_in_b = max(pair.a_in_b, p)
                else:
                    pair.b_in_a = max(pair.b_in_a, p)
        for pair in found.values():
            pair.percent = max(pair.a_in_b, pair.b_in_a)
            pair.similar = pair.percent >= threshold
        order = {e.id: i for i, e in enumerate(exercises)}
        pairs = sorted(
            (p for p in found.values() if p.percent >= floor),
            key=lambda p: (order[p.exercise], -p.percent, p.a, p.b),
        )
        by_id = {ex.id: ex for ex, _ in todo}
        shown = []
        for ex_id in by_id:
            shown += [(by_id[ex_id], p) for p in pairs if p.exercise == ex_id and p.similar][:SHOWN]
        list(pool.map(lambda t: _details(*t), shown))
    return Report(
        threshold,
        len(sources),
        [(e.id, e.title_in(lang)) for e in exercises],
        pairs,
        problems,
        compared,
    )


# ---------------------------------------------------------------- a batch's sources


def sources_path(out: Path, name: str) -> Path:
    return out / "students" / name / "sources.json"


def store_sources(out: Path, subs, exercises: list[Exercise]) -> None:
    """Keeps each submission's edited files beside its result (only when its content changed),
    so the report can be made again from OUT_DIR alone: after a resume, and by `merge`."""
    work = out / ".work-sources"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        for sub in subs:
            path = sources_path(out, sub.name)
            try:
                if (
                    Source.from_json(sub.name, path.read_text(encoding="utf-8")).digest
                    == sub.digest
                ):
                    continue
            except (OSError, ValueError):
                pass
            write_atomic(path, read_submission(sub, exercises, work).to_json(), parents=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def load_sources(out: Path, names) -> list[Source]:
    found = []
    for name in sorted(names):
        try:
            found.append(
                Source.from_json(name, sources_path(out, name).read_text(encoding="utf-8"))
            )
        except (OSError, ValueError):
            found.append(Source(name, problem="its files were not kept by the batch; run it again"))
    return found


# ---------------------------------------------------------------- output


def labels(lang: str) -> dict[str, str]:
    """The similarity section's words (grader/messages/class.LANG.toml, [similarity])."""
    return i18n.table("class", "similarity", lang)


def to_json(report: Report) -> str:
    return json.dumps([p.as_dict() for p in report.pairs], ensure_ascii=False, indent=1) + "\n"


def to_csv(report: Report) -> str:
    from .gradebook import _cell

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["exercise", "a", "b", "percent", "similar", "a_in_b", "b_in_a"])
    for p in report.pairs:
        w.writerow(
            [
                p.exercise,
                _cell(p.a),
                _cell(p.b),
                p.percent,
                str(p.similar).lower(),
                p.a_in_b,
                p.b_in_a,
            ]
        )
    return "\ufeff" + buf.getvalue()


def to_text(report: Report, lang: str) -> str:
    L = labels(lang)
    out = [L["title"], L["threshold"].format(t=report.threshold, n=report.students), ""]
    titles = dict(report.exercises)
    for ex_id, _ in report.exercises:
        pairs = [p for p in report.pairs if p.exercise == ex_id]
        out.append(
            f"{ex_id} · {titles[ex_id]}  ({report.compared.get(ex_id, 0)} " f"{L['compared']})"
        )
        if not pairs:
            out.append(f"  {L['none']}")
        for p in pairs:
            mark = "!" if p.similar else " "
            out.append(f" {mark} {p.percent:3d} %  {p.a} — {p.b}")
            for m in p.matches:
                out.append(
                    f"        {L['lines']} {m.a_lines[0]}-{m.a_lines[1]} ⇄ "
                    f"{m.b_lines[0]}-{m.b_lines[1]}  [{m.tokens} {L['tokens']}]"
                )
    if report.problems:
        out += ["", L["unread"]]
        out += [f"  {name}: {why}" for name, why in report.problems]
    return "\n".join(out) + "\n"


def _md(s: str) -> str:
    return " ".join(str(s).split()).replace("|", "\\|")


def summary_md(report: Report, lang: str) -> str:
    """The section of summary.md (starts with its own `## ` heading)."""
    L = labels(lang)
    out = [f"## {L['title']}", "", L["threshold"].format(t=report.threshold, n=report.students), ""]
    flagged = report.flagged
    if flagged:
        out += [f"| {L['exercise']} | {L['a']} | {L['b']} | {L['percent']} |", "|---|---|---|---:|"]
        out += [f"| {p.exercise} | {_md(p.a)} | {_md(p.b)} | {p.percent} % |" for p in flagged]
    else:
        out.append(f"*{L['none']}*")
    if report.problems:
        out += ["", f"### {L['unread']}", "", f"| {L['student']} | {L['reason']} |", "|---|---|"]
        out += [f"| {_md(n)} | {_md(why)} |" for n, why in report.problems]
    return "\n".join(out) + "\n"


CSS = """
.simpair{margin:.4rem 0}.sbs{display:grid;grid-template-columns:1fr 1fr;gap:.6rem}
.sbs pre{font-size:12px;overflow-x:auto;white-space:pre}.sbs h4{margin:.2rem 0;font-size:.9rem}
"""


def html_section(report: Report, lang: str) -> str:
    from html import escape

    L = labels(lang)
    h = [
        f'<h2 id="similarity">{escape(L["title"])}</h2>',
        '<p class="muted">'
        + escape(L["threshold"].format(t=report.threshold, n=report.students))
        + "</p>",
    ]
    flagged = report.flagged
    if not flagged:
        h.append(f'<p class="muted" id="similar-pairs">{escape(L["none"])}</p>')
    else:
        h.append('<div id="similar-pairs">')
        for p in flagged:
            h.append(
                f'<details class="simpair" data-exercise="{escape(p.exercise)}" '
                f'data-a="{escape(p.a)}" data-b="{escape(p.b)}" data-percent="{p.percent}">'
                f"<summary><b>{escape(p.exercise)}</b> · {escape(p.a)} — {escape(p.b)}: "
                f"<b>{p.percent} %</b></summary>"
            )
            for m in p.matches:
                h.append(
                    '<div class="sbs">'
                    f'<div><h4>{escape(p.a)} · {escape(L["lines"])} {m.a_lines[0]}–{m.a_lines[1]}'
                    f"</h4><pre>{escape(m.a_text)}</pre></div>"
                    f'<div><h4>{escape(p.b)} · {escape(L["lines"])} {m.b_lines[0]}–{m.b_lines[1]}'
                    f' · {m.tokens} {escape(L["tokens"])}</h4><pre>{escape(m.b_text)}</pre></div>'
                    "</div>"
                )
            h.append("</details>")
        h.append("</div>")
    if report.problems:
        h.append(
            f'<h3>{escape(L["unread"])}</h3><table id="similarity-unread"><tr>'
            f'<th>{escape(L["student"])}</th><th>{escape(L["reason"])}</th></tr>'
        )
        h += [f"<tr><td>{escape(n)}</td><td>{escape(why)}</td></tr>" for n, why in report.problems]
        h.append("</table>")
    return "\n".join(h)


def class_files(out: Path, names, exercises: list[Exercise], lang: str):
    """What a batch adds to its class files, from OUT_DIR alone: (the summary.md section, the
    report.html (css, html) section, similarity.csv). Never raises: without sim_c++ the
    sections say so."""
    from html import escape

    try:
        report = analyse(load_sources(out, names), exercises, lang)
    except (SimMissing, RuntimeError, OSError) as e:
        L = labels(lang)
        why = str(e)
        return (
            f"## {L['title']}\n\n*{_md(why)}*\n",
            (
                "",
                f'<h2 id="similarity">{escape(L["title"])}</h2>'
                f'<p class="muted" id="similar-pairs">{escape(why)}</p>',
            ),
            to_csv(Report(THRESHOLD, 0, [], [], [])),
        )
    return summary_md(report, lang), (CSS, html_section(report, lang)), to_csv(report)
