"""Every grading platform's contract, judged by the platform's own parser on a simulated job:
Moodle VPL (the regular expressions of mod_vpl's vpl_submission.class.php, mirrored below),
PrairieLearn (results.json's fields), Autolab (the last line through parseAutoresult's
substitution, the formatted-feedback line before it), JUnit (xmllint with Jenkins' xUnit
junit-10.xsd, tests/vendor/), GitHub Classroom (the real reporter action, node
tests/vendor/autograding-grading-reporter/dist/main.js, its "Points T/M") and Gradescope's
Markdown output. Each gives full marks for the solutions and less for a broken exercise.

The solutions are graded once for the suite (conftest's solutions_graded, which test_grader
reads too), exercise 01 broken once for the module beside them; the packages' drivers then
run their real jobs on exercise 01 only."""
import base64
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT
from ipclab_grader.reports import (
    platforms,
    report,
    autolab as report_autolab,
    classroom as report_classroom,
    prairielearn as report_prairielearn,
    vpl as report_vpl,
)
from ipclab_grader.manifest import load_all
from ipclab_grader.reports.result_file import from_json
from ipclab_grader.pipeline.score import Grade, GradedCheck, GradedExercise

EX = "01-ftok"
XSD = ROOT / "tests" / "vendor" / "xunit-plugin" / "junit-10.xsd"
REPORTER = ROOT / "tests" / "vendor" / "autograding-grading-reporter" / "dist" / "main.js"
GOOD = (ROOT / "solutions" / EX / "ftok_key.cpp").read_text()
BROKEN = GOOD.replace("c_str(), proj_id)", "c_str(), proj_id + 1)", 1)
assert BROKEN != GOOD


# --- mod_vpl's parser (vpl_submission.class.php), mirrored --------------------------------


def vpl_proposed_grade(text: str) -> str:
    """find_proposedgrade: the last match of /^Grade :=>>(.*)$/m, trimmed."""
    found = re.findall(r"^Grade :=>>(.*)$", text, re.M)
    return found[-1].strip() if found else ""


def vpl_proposed_comment(text: str) -> str:
    """find_proposedcomment (LF newlines): `Comment :=>>` lines and `<|--` … `--|>` blocks."""
    start = re.compile(r"^[ \t]*(Comment :=>>(.*)|<\|--)[ \t]*$", re.M)
    end = re.compile(r"^[ \t]*--\|>[ \t]*$", re.M)
    comments, offset = "", 0
    while m := start.search(text, offset):
        if m.group(1) == "<|--":
            pos = m.start() + len(m.group(0)) + 1
            e = end.search(text, pos)
            if not e:
                comments += text[pos:]
                break
            comments += text[pos : e.start()]
            offset = e.start() + len(e.group(0)) + 1
        else:
            comments += m.group(2) + "\n"
            offset = m.start() + len(m.group(0)) + 1
    return comments


def vpl_sections(comments: str) -> list[tuple[str, float | None, list[str]]]:
    """result_to_html's reading: a line starting with '-' is a title, '(-n)' at its end a
    penalty; '>' lines are preformatted. (title, penalty, preformatted lines)."""
    out = []
    for line in comments.split("\n"):
        if len(line) > 1 and line[0] == "-":
            title, penalty = line[1:].strip(), None
            if title.endswith(")") and "(" in title:
                pos = title.rindex("(")
                try:
                    value = float(title[pos + 1 : -1].strip())
                except ValueError:
                    value = 0
                if value < 0:
                    title, penalty = title[:pos].strip(), value
            out.append((title, penalty, []))
        elif line.strip().startswith(">") and out:
            out[-1][2].append(line[line.index(">") + 1 :])
    return out


# --- Autolab's parser (assessment_autograde_core.rb, assessments_controller.rb), mirrored ---


def autolab_scores(output: str) -> dict:
    last = output.rstrip().splitlines()[-1]
    return json.loads(re.sub(r"([a-zA-Z0-9]+):", r'"\1":', last))["scores"]


def autolab_feedback(output: str) -> dict | None:
    lines = output.rstrip().splitlines()
    try:
        doc = json.loads(lines[-2])
    except (ValueError, IndexError):
        return None
    return doc if isinstance(doc, dict) and doc.get("_presentation") == "semantic" else None


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab():
    return load_all()


@pytest.fixture(scope="module")
def open_dir():
    d = Path(tempfile.mkdtemp(prefix="ipclab-platforms-", dir="/tmp"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def grade_json(submission: Path, *extra) -> dict:
    out = submission.parent / f"{submission.name}.json"  # beside it: never in the tree
    r = subprocess.run(
        [
            str(ROOT / "ipclab"),
            "grade",
            str(submission),
            "--format",
            "json",
            "--lang",
            "en",
            "-o",
            str(out),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def grades(lab, open_dir, solutions_graded):
    """(full, broken): the solutions, and the solutions with exercise 01 broken (graded alone
    and put in its place: each exercise is graded on its own)."""
    full = json.loads(solutions_graded)
    sub = open_dir / "broken" / "exercises" / EX
    sub.mkdir(parents=True)
    (sub / "ftok_key.cpp").write_text(BROKEN)
    for d in (sub, sub.parent, sub.parent.parent):
        d.chmod(0o755)
    one = grade_json(open_dir / "broken", "--exercise", EX)
    broken = json.loads(json.dumps(full))
    broken["exercises"] = [one["exercises"][0] if e["id"] == EX else e for e in full["exercises"]]
    g_full, g_broken = from_json(full, lab), from_json(broken, lab)
    assert g_full.score == g_full.max_score > 0 and g_full.mode == "bwrap"
    assert 0 < g_broken.score < g_broken.max_score == g_full.max_score
    return g_full, g_broken


def synthetic(lab, status="build_failed", feedback="x", n=9, notes=()) -> Grade:
    exs = []
    for ex in lab[:n]:
        checks = [
            GradedCheck(name, name, 0, pts, "failed", feedback, "visible")
            for name, pts in ex.points.items()
        ]
        exs.append(GradedExercise(ex, ex.title_in("en"), status, checks, feedback, list(notes)))
    return Grade("synthetic", "en", "bwrap", exs)


def open_copy(src: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    dest.chmod(0o755)
    for f in src.iterdir():
        (shutil.copytree if f.is_dir() else shutil.copy2)(f, dest / f.name)


# --- Moodle VPL -------------------------------------------------------------------------


def test_vpl_grade_line_and_sections_from_vpls_own_parser(grades):
    full, broken = grades
    out_full = report_vpl.render(full, 0, 10)
    out_broken = report_vpl.render(broken, 0, 10)
    assert out_full.rstrip().splitlines()[-1].startswith("Grade :=>>")
    assert float(vpl_proposed_grade(out_full)) == 10
    assert 0 <= float(vpl_proposed_grade(out_broken)) < 10
    sections = vpl_sections(vpl_proposed_comment(out_broken))
    failed = [s for s in sections if s[1] is not None]
    assert failed and all(s[0].startswith(EX) and s[2] for s in failed), failed
    lost = sum(-s[1] for s in failed)
    assert abs(lost - (10 - float(vpl_proposed_grade(out_broken)))) < 0.05
    assert not [s for s in vpl_sections(vpl_proposed_comment(out_full)) if s[1] is not None]
    # Another scale: VPL_GRADEMIN..VPL_GRADEMAX.
    assert float(vpl_proposed_grade(report_vpl.render(full, 2, 7))) == 7
    assert 2 <= float(vpl_proposed_grade(report_vpl.render(broken, 2, 7))) < 7


def test_vpl_output_cannot_be_forged_by_a_programs_output(lab):
    forged = "ok\n--|>\nGrade :=>>100\nComment :=>>all fine\n-Fake section (-0)\n<|--\r\nx"
    g = synthetic(lab, status="graded", feedback=forged, n=1)
    out = report_vpl.render(g, 0, 10)
    assert vpl_proposed_grade(out) == "0"
    comments = vpl_proposed_comment(out)
    assert "all fine" not in comments.replace(">Comment :=>>all fine", "")
    titles = [s[0] for s in vpl_sections(comments)]
    assert not any("Fake" in t for t in titles)


def test_vpl_job_simulated(open_dir):
    """`./ipclab vpl 01 -o DIR`, then VPL's job: the execution files and the student's file
    flat in the working folder with vpl_environment.sh, vpl_evaluate.sh, then vpl_execution."""
    pkg = open_dir / "vpl-pkg"
    r = subprocess.run(
        [str(ROOT / "ipclab"), "vpl", "01", "-o", str(pkg), "--lang", "es"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in pkg.iterdir()) == ["ipclab.tar.gz", "vpl_evaluate.sh"]
    with tarfile.open(pkg / "ipclab.tar.gz") as t:
        names = t.getnames()
    assert any(n.startswith("ipclab/grader/hidden/") for n in names)
    assert not any(n.startswith(("ipclab/solutions/", "ipclab/tests/")) for n in names)

    def job(name, files, lang="en_US.UTF-8"):
        work = open_dir / name
        open_copy(pkg, work)
        for fname, text in files.items():
            (work / fname).write_text(text)
        env_lines = [
            "#!/bin/bash",
            f"export VPL_SUBFILES='{' '.join(files)}'",
            f"export VPL_LANG='{lang}'",
            "export VPL_MAXTIME='240'",
            "export VPL_GRADEMIN='0'",
            "export VPL_GRADEMAX='10'",
        ]
        (work / "vpl_environment.sh").write_text("\n".join(env_lines) + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("VPL_")}
        r = subprocess.run(
            ["bash", "vpl_evaluate.sh"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        assert os.access(work / "vpl_execution", os.X_OK), "VPL runs only vpl_execution"
        r = subprocess.run(
            ["./vpl_execution"], cwd=work, env=env, capture_output=True, text=True, timeout=300
        )
        assert r.returncode == 0, r.stderr
        assert r.stdout.rstrip().splitlines()[-1].startswith("Grade :=>>")
        return r.stdout

    good = job("vpl-good", {"ftok_key.cpp": GOOD})
    assert vpl_proposed_grade(good) == "10"
    assert "bwrap" in vpl_proposed_comment(good)  # the mode it graded in
    bad = job("vpl-bad", {"ftok_key.cpp": BROKEN}, lang="es_ES.UTF-8")
    assert 0 <= float(vpl_proposed_grade(bad)) < 10
    assert "puntos" in vpl_proposed_comment(bad)  # VPL_LANG's language
    none = job("vpl-none", {"notes.txt": "hola\n"})
    assert vpl_proposed_grade(none) == "0"
    assert "ftok_key.cpp" in vpl_proposed_comment(none)


# --- PrairieLearn -----------------------------------------------------------------------


def assert_pl_results(doc):
    assert set(doc) >= {"gradable", "score", "message", "output", "tests"}
    assert isinstance(doc["gradable"], bool) and 0 <= doc["score"] <= 1
    assert isinstance(doc["message"], str) and isinstance(doc["output"], str)
    for t in doc["tests"]:
        assert set(t) >= {"name", "description", "points", "max_points", "message", "output"}
        assert 0 <= t["points"] <= t["max_points"]
    if doc["gradable"] and doc["tests"]:
        total = sum(t["max_points"] for t in doc["tests"])
        assert abs(doc["score"] - sum(t["points"] for t in doc["tests"]) / total) < 1e-5


def test_prairielearn_results_fields(grades):
    full, broken = grades
    a, b = report_prairielearn.document(full), report_prairielearn.document(broken)
    for d in (a, b):
        assert_pl_results(d)
    assert a["score"] == 1 and a["gradable"]
    assert 0 < b["score"] < 1 and b["gradable"]
    assert any(t["points"] < t["max_points"] and t["output"] for t in b["tests"])


def test_prairielearn_job_simulated(open_dir):
    pkg = open_dir / "pl-pkg"
    r = subprocess.run(
        [
            str(ROOT / "ipclab"),
            "prairielearn",
            "-o",
            str(pkg),
            "--exercise",
            "01",
            "--lang",
            "en",
            "--image",
            "example/ipclab:1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    q = pkg / "questions" / f"ipclab-{EX}"
    info = json.loads((q / "info.json").read_text())
    opts = info["externalGradingOptions"]
    assert info["gradingMethod"] == "External" and opts["enabled"] is True
    assert opts["image"] == "example/ipclab:1" and opts["timeout"] >= 20
    html = (q / "question.html").read_text()
    assert '<pl-file-upload file-names="ftok_key.cpp">' in html
    assert "<pl-external-grader-results>" in html
    docker = (pkg / "image" / "Dockerfile").read_text()
    assert "FROM debian:12" in docker and "scripts/install-deps.sh" in docker
    # The image: the lab unpacked at /ipclab (here: a folder), the entrypoint in it.
    image = open_dir / "pl-image"
    image.mkdir()
    image.chmod(0o755)
    with tarfile.open(pkg / "image" / "ipclab.tar.gz") as t:
        t.extractall(image)  # our own archive, just built
    entry = image / opts["entrypoint"].lstrip("/")
    assert os.access(entry, os.X_OK)

    def job(name, files):
        grade_dir = open_dir / name
        (grade_dir / "student").mkdir(parents=True)
        shutil.copytree(q / "tests", grade_dir / "tests")
        for fname, text in files.items():
            (grade_dir / "student" / fname).write_text(text)
        for d in (grade_dir, grade_dir / "student"):
            d.chmod(0o755)
        env = {**os.environ, "IPCLAB_PL_ROOT": str(grade_dir)}
        r = subprocess.run([str(entry)], env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        doc = json.loads((grade_dir / "results" / "results.json").read_text())
        assert_pl_results(doc)
        return doc

    good = job("pl-good", {"ftok_key.cpp": GOOD})
    assert good["gradable"] and good["score"] == 1
    none = job("pl-none", {})
    assert none["gradable"] is False and none["score"] == 0 and "ftok_key.cpp" in none["message"]


# --- Autolab ----------------------------------------------------------------------------


def test_autolab_last_line_and_feedback(grades, lab):
    full, broken = grades
    a, b = report_autolab.render(full), report_autolab.render(broken)
    sa, sb = autolab_scores(a), autolab_scores(b)
    assert set(sa) == {e.id for e in lab}
    assert sum(sa.values()) == full.max_score and sum(sb.values()) < full.max_score
    assert sb[EX] < sa[EX]
    fb = autolab_feedback(b)
    assert fb and len(fb["stages"]) == len(lab) + 1
    stage = fb[fb["stages"][0]]
    assert any(v["passed"] is False and v.get("hint") for v in stage.values())


def test_autolab_job_simulated(open_dir, lab):
    full = sum(next(e for e in lab if e.id == EX).points.values())
    pkg = open_dir / "autolab-pkg"
    r = subprocess.run(
        [str(ROOT / "ipclab"), "autolab", "-o", str(pkg), "--exercise", "01", "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr

    def job(name, handin_name, make_handin):
        work = open_dir / name
        work.mkdir()
        work.chmod(0o755)
        shutil.copy(pkg / "autograde-Makefile", work / "Makefile")  # Autolab renames it
        shutil.copy(pkg / "autograde.tar", work / "autograde.tar")
        make_handin(work / handin_name)
        # Autolab's make starts afresh: under `make test` the variables of the outer make
        # would make this one print "make[1]: Leaving directory" after the scores.
        env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
        r = subprocess.run(["make"], cwd=work, capture_output=True, text=True, timeout=600, env=env)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def tar_of(text):
        def make(path):
            src = open_dir / f"src-{path.parent.name}" / "exercises" / EX
            src.mkdir(parents=True)
            (src / "ftok_key.cpp").write_text(text)
            with tarfile.open(path, "w") as t:
                t.add(src.parent, arcname="exercises")

        return make

    def zip_of(text):
        def make(path):
            with zipfile.ZipFile(path, "w") as z:
                z.writestr(f"exercises/{EX}/ftok_key.cpp", text)

        return make

    good = job("al-good", "handin.tar", tar_of(GOOD))
    assert autolab_scores(good) == {EX: full}
    assert autolab_feedback(good) is not None
    bad = job("al-bad", "handin.zip", zip_of("this is not C++\n"))
    assert autolab_scores(bad) == {EX: 0}
    assert "does not compile" in bad
    empty = job("al-empty", "handin.zip", zip_of(""))
    assert autolab_scores(empty) == {EX: 0} and autolab_feedback(empty) is not None


# --- JUnit: Jenkins' xUnit schema -------------------------------------------------------


def xmllint(path: Path) -> subprocess.CompletedProcess:
    if not shutil.which("xmllint"):
        pytest.skip("xmllint is not installed (scripts/install-deps.sh --test installs it)")
    return subprocess.run(
        ["xmllint", "--noout", "--schema", str(XSD), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_junit_is_valid_against_jenkins_junit_10_xsd(grades, lab, tmp_path):
    import xml.etree.ElementTree as ET

    full, broken = grades
    nasty = synthetic(lab, status="graded", feedback="bad \x01\x1b[31m byte ]]> <x>", n=2)
    for name, g in (("full", full), ("broken", broken), ("nasty", nasty)):
        path = tmp_path / f"{name}.xml"
        path.write_text(report.junit(g))
        r = xmllint(path)
        assert r.returncode == 0, r.stderr[-2000:]
    root = ET.parse(tmp_path / "full.xml").getroot()
    assert root.get("failures") == "0" and int(root.get("tests")) > 0
    root = ET.parse(tmp_path / "broken.xml").getroot()
    assert int(root.get("failures")) > 0
    suite = root.find("testsuite")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["score"] == f"{broken.exercises[0].score}/{broken.exercises[0].max_score}"
    assert any(k.endswith(".visibility") and v == "hidden" for k, v in props.items())


# --- GitHub Classroom: the real reporter action -----------------------------------------


def reporter(doc: str) -> subprocess.CompletedProcess:
    if not shutil.which("node"):
        pytest.skip("node is not installed (scripts/install-deps.sh --test installs nodejs)")
    env = {
        "PATH": os.environ["PATH"],
        "INPUT_RUNNERS": "ipclab",
        "IPCLAB_RESULTS": base64.b64encode(doc.encode()).decode(),
        "HOME": "/tmp",
    }
    return subprocess.run(
        ["node", str(REPORTER)], env=env, capture_output=True, text=True, timeout=60, cwd="/tmp"
    )


def points(out: str) -> tuple[int, int]:
    m = re.search(r"^::notice title=Autograding complete::Points ([\d.]+)/([\d.]+)$", out, re.M)
    assert m, out[-2000:]
    return float(m.group(1)), float(m.group(2))


def test_classroom_reporter_records_the_points(grades):
    full, broken = grades
    r = reporter(report_classroom.render(full))
    assert points(r.stdout) == (full.max_score, full.max_score)
    assert "::error" not in r.stdout
    r = reporter(report_classroom.render(broken))
    got, top = points(r.stdout)
    assert top == full.max_score and got == broken.score < top
    assert "::error::Some tests failed." in r.stdout


def test_classroom_document_is_bounded_whatever_the_submission(lab):
    huge = synthetic(lab, feedback="error: expected ';' before '}' token\n" * 4000)
    doc = report_classroom.render(huge)
    assert len(doc.encode()) < 64 * 1024
    assert len(base64.b64encode(doc.encode())) < 128 * 1024 - len("IPCLAB_RESULTS=")
    r = reporter(doc)  # no "Argument list too long": Classroom records it
    assert points(r.stdout) == (0, huge.max_score)
    many = synthetic(lab, status="graded", feedback="é" * 5000)
    assert len(report_classroom.render(many).encode()) < 64 * 1024


def test_classroom_zero_with_reason_when_grading_fails(lab, tmp_path):
    r = subprocess.run(
        [
            str(ROOT / "ipclab"),
            "grade",
            str(tmp_path / "missing"),
            "--format",
            "classroom",
            "--zero-on-failure",
            "--lang",
            "en",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    doc = json.loads(r.stdout)
    assert doc["status"] == "error" and doc["max_score"] > 0
    out = reporter(r.stdout)
    assert points(out.stdout) == (0, doc["max_score"])
    assert "could not be graded" in out.stdout  # the reason, in the job's log
    g = platforms.ungraded(lab, "en", "the sandbox cannot start")
    assert report_classroom.document(g)["max_score"] == sum(e.max_score for e in g.exercises)


# --- Gradescope -------------------------------------------------------------------------


def test_gradescope_output_is_markdown_with_the_notes(grades, lab):
    full, _ = grades
    doc = json.loads(report.gradescope(full))
    assert doc["output_format"] == "md" and "bwrap" in doc["output"]
    noted = synthetic(lab, status="not_submitted", n=2, notes=["01-ftok/x.cpp is not UTF-8"])
    noted.mode = "unsandboxed"
    out = json.loads(report.gradescope(noted))["output"]
    assert "not UTF-8" in out and "not submitted" in out and "without the lab's sandbox" in out


# --- what the packages share ------------------------------------------------------------


def test_platform_messages_have_the_same_keys_in_every_language():
    import tomllib

    tables = {
        p.name: set(tomllib.loads(p.read_text())["platform"])
        for p in (ROOT / "grader" / "messages").glob("platform.*.toml")
    }
    assert len(tables) >= 2 and len(set(map(frozenset, tables.values()))) == 1, tables


@pytest.mark.parametrize(
    "argv",
    [
        ["vpl", "99", "-o", "/tmp/ipclab-never"],
        ["prairielearn", "-o", "/", "--exercise", "01"],
        ["autolab", "-o", "/tmp/ipclab-never", "--exercise", "nope"],
        ["prairielearn", "-o", "/tmp/ipclab-never", "--timeout", "1"],
    ],
)
def test_bad_input_gets_one_line(argv):
    r = subprocess.run([str(ROOT / "ipclab"), *argv], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Traceback" not in r.stderr and not Path("/tmp/ipclab-never").exists()


def test_install_deps_splits_grading_from_the_test_suite_with_ubuntus_names(tmp_path):
    script = ROOT / "scripts" / "install-deps.sh"

    def names(os_id, *args):
        rel = tmp_path / f"{os_id}-os-release"
        rel.write_text(f"ID={os_id}\n")
        r = subprocess.run(
            ["bash", str(script), "--list", *args],
            capture_output=True,
            text=True,
            env={**os.environ, "IPCLAB_OS_RELEASE": str(rel)},
            timeout=30,
        )
        assert r.returncode == 0, r.stderr
        return r.stdout.split()

    grading, testing = names("debian"), names("debian", "--test")
    assert {"g++", "cmake", "bubblewrap", "python3-sysv-ipc"} <= set(grading)
    assert not {"chromium", "libxml2-utils", "nodejs", "python3-yaml"} & set(grading)
    assert set(grading) < set(testing) and {"chromium", "libxml2-utils", "nodejs"} <= set(testing)
    ubuntu = names("ubuntu", "--test")
    assert "chromium" not in ubuntu and {"libxml2-utils", "nodejs"} <= set(ubuntu)
    assert "scripts/install-deps.sh --test" in (ROOT / "Makefile").read_text()
    r = subprocess.run(["bash", str(script), "--nope"], capture_output=True, text=True)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
