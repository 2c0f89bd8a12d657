"""`./ipclab similarity` and its section in batch's class files, on a class made here: in every
exercise a disguised copy of the reference solution (names changed, comments deleted,
re-indented; scripts/disguise.py) is found, and nothing else is flagged: not the untouched
skeletons, not the independent solutions written in other styles (tests/styles/), not the
students who could not be read. No grading: sim_c++ only, a few seconds."""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

from conftest import ROOT

sys.path[:0] = [str(ROOT / "scripts")]
from disguise import disguise, header_names  # noqa: E402

IPCLAB = str(ROOT / "ipclab")
PYTHON = "/usr/bin/python3"
STYLES = ("c-style", "raii")

pytestmark = pytest.mark.skipif(
    shutil.which("sim_c++") is None, reason="sim_c++ (similarity-tester; scripts/install-deps.sh)"
)


def lab_names(ex):
    return header_names(*ex.dir.glob("*.hpp"), *(ROOT / "lab" / "include").rglob("*.hpp"))


def write(dest, ex, text):
    (dest / ex.id).mkdir(parents=True, exist_ok=True)
    (dest / ex.id / ex.files[0]).write_text(text)


def reference(ex, base="solutions"):
    p = ROOT / base / ex.id / ex.files[0]
    return p.read_text() if p.exists() else None


@pytest.fixture(scope="module")
def klass(tmp_path_factory, exercises):
    """orig: the reference solutions; copy (a .zip): their disguised copies; c-style (a
    .tar.gz) and raii: the other styles where they exist, the skeleton elsewhere; skel-1 and
    skel-2: untouched; and four that cannot be compared."""
    base = tmp_path_factory.mktemp("simclass")
    c = base / "class"
    c.mkdir()
    for ex in exercises:
        sol = reference(ex)
        write(c / "orig", ex, sol)
        write(base / "copy", ex, disguise(sol, seed=7, keep=lab_names(ex)))
        for style in STYLES:
            write(
                base / style if style == "c-style" else c / style,
                ex,
                reference(ex, f"tests/styles/{style}") or (ex.dir / ex.files[0]).read_text(),
            )
        for skel in ("skel-1", "skel-2"):
            shutil.copytree(ex.dir, c / skel / "exercises" / ex.id, dirs_exist_ok=True)
    with zipfile.ZipFile(c / "copy.zip", "w") as z:
        for f in sorted((base / "copy").rglob("*.cpp")):
            z.write(f, f"copy/{f.relative_to(base / 'copy')}")
    with tarfile.open(c / "c-style.tar.gz", "w:gz") as t:
        t.add(base / "c-style", arcname="c-style")
    (c / "empty").mkdir()
    for ex in exercises:  # every file there, but blank
        write(c / "blank", ex, "\n\n")
    (c / "broken.zip").write_bytes(b"PK\x03\x04 not a zip")
    (c / "notes.rar").write_bytes(b"Rar!")
    return c


def similarity(*args, env=None):
    return subprocess.run(
        [PYTHON, IPCLAB, "similarity", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.fixture(scope="module")
def found(klass):
    r = similarity(klass, "--format", "json", "--lang", "en")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), r.stderr


def test_the_disguised_copy_is_found_in_every_exercise_and_nothing_else(found, exercises):
    pairs, _ = found
    assert all(set(p) == {"a", "b", "exercise", "percent", "similar"} for p in pairs)
    flagged = sorted((p["exercise"], p["a"], p["b"]) for p in pairs if p["similar"])
    assert flagged == sorted((ex.id, "copy", "orig") for ex in exercises)
    assert all(p["percent"] >= 90 for p in pairs if p["similar"]), pairs


def test_submissions_that_cannot_be_read_are_listed_not_a_crash(found, klass):
    _, stderr = found
    for name in ("empty", "blank", "broken", "notes.rar"):
        assert f"not compared: {name}:" in stderr, stderr
    text = similarity(klass, "--lang", "en")
    assert text.returncode == 0, text.stderr
    tail = text.stdout.split("Could not be compared", 1)[1]
    assert "broken: the archive cannot be read" in tail and "empty: no exercise folders" in tail
    assert "blank: no edited file" in tail and "notes.rar: not a folder" in tail
    es = similarity(klass, "--lang", "es").stdout
    assert "Similitud entre entregas" in es and "No se pudieron comparar" in es


def test_the_threshold_has_a_margin_on_both_sides(klass, exercises):
    """What the instructor guide says: independent styles stay well under the threshold
    (at most 47 % measured, 05-shmctl, whose statement dictates ten field copies), a
    disguised copy is at 100 %."""
    sys.path[:0] = [str(ROOT / "grader"), str(ROOT / "harness")]
    from ipclab_grader.course import similarity as sim

    report = sim.analyse(sim.read_class(klass, exercises), exercises, floor=1)
    for p in report.pairs:
        if {p.a, p.b} == {"copy", "orig"}:
            assert p.percent == 100, p
        else:
            assert p.percent <= sim.THRESHOLD - 10, p
    assert report.compared["01-ftok"] == 4, "skeletons and blank files are not compared"


def test_csv_and_output_file(klass, tmp_path):
    out = tmp_path / "sim.csv"
    r = similarity(klass, "--format", "csv", "-o", out, "--exercise", "03", "--lang", "en")
    assert r.returncode == 0 and "1 similar pairs among 10 submissions" in r.stderr, r.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [(x["exercise"], x["a"], x["b"], x["similar"]) for x in rows] == [
        ("03-shmat", "copy", "orig", "true")
    ]


@pytest.mark.parametrize(
    "args,needle",
    [
        (["/no/such/class"], "not a folder"),
        ([str(ROOT / "exercises"), "--threshold", "0"], "percentages"),
        ([str(ROOT / "exercises"), "--exercise", "42"], "42"),
    ],
)
def test_bad_input_is_one_line(args, needle):
    r = similarity(*args, "--lang", "en")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and needle in r.stderr, r.stderr


def test_without_sim_one_line_says_what_to_install(klass):
    r = similarity(klass, "--lang", "en", env={**os.environ, "PATH": "/nonexistent"})
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "similarity-tester" in r.stderr


def test_batch_class_files_hold_the_section(klass, exercises, tmp_path):
    """The class files of a batch, made from fabricated results (no grading), hold the
    similarity section: the pair in summary.md, side by side in report.html, similarity.csv."""
    from test_class_report import fake_result
    from ipclab_grader.course import batch, similarity as sim
    from ipclab_grader.course.classfiles import write_class_files

    out = tmp_path / "out"
    subs = batch.discover(klass)
    state = batch.State(out, {"lang": "en"})
    for s in subs:
        if s.problem:
            state.students[s.name] = {"status": "error", "error": s.problem}
            continue
        d = batch.student_dir(out, s.name)
        d.mkdir(parents=True)
        (d / "result.json").write_text(json.dumps(fake_result(exercises[0], lambda n, p: p)))
        state.students[s.name] = {"status": "graded"}
    sim.store_sources(out, subs, exercises)
    write_class_files(out, exercises[:1], "en", state, [s.name for s in subs])
    summary = (out / "summary.md").read_text()
    assert "## Similarity between submissions" in summary
    assert "| 01-ftok | copy | orig | 100 % |" in summary
    assert "| notes.rar |" in summary.split("## Similarity")[1]
    html = (out / "report.html").read_text()
    assert 'data-exercise="01-ftok" data-a="copy" data-b="orig" data-percent="100"' in html
    side = html.split('data-a="copy" data-b="orig"')[1].split("</details>")[0]
    assert side.count("<pre>") == 2 and "ftok" in side
    assert (out / "similarity.csv").read_text(encoding="utf-8-sig").splitlines()[
        1
    ] == "01-ftok,copy,orig,100,true,100,100"
    stamp = batch.student_dir(out, "orig").joinpath("sources.json").stat().st_mtime_ns
    sim.store_sources(out, subs, exercises)  # unchanged: not read again
    assert batch.student_dir(out, "orig").joinpath("sources.json").stat().st_mtime_ns == stamp
