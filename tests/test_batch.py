"""`./ipclab batch`: a small class (one exercise, so builds are few) graded with -j 2, killed
after its first result and resumed; nothing finished is graded again; the same input gives
the same files; archives cannot climb out; a hang is an error row. The 40-submission scenario
is scripts/class-demo.py."""
import csv
import io
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

from conftest import ROOT

IPCLAB = str(ROOT / "ipclab")
EX = "01-ftok"
NAMES = {"ana", "bea", "carlos", "dani", "'=SUM(1,1) eva", "fran", "gema", "hugo", "ines.rar"}


def solution(dest, text=None):
    (dest / EX).mkdir(parents=True, exist_ok=True)
    src = (ROOT / "solutions" / EX / "ftok_key.cpp").read_text()
    (dest / EX / "ftok_key.cpp").write_text(text if text is not None else src)
    return dest


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    c = base / "class"
    c.mkdir()
    good = (ROOT / "solutions" / EX / "ftok_key.cpp").read_text()
    solution(c / "ana")
    solution(c / "bea", good.replace("c_str(), proj_id)", "c_str(), proj_id + 1)", 1))  # buggy
    solution(c / "carlos", "this is not C++\n")  # does not compile
    (c / "dani").mkdir()  # empty
    solution(c / "=SUM(1,1) eva")  # formula name
    s = solution(base / "f" / "exercises")
    with tarfile.open(c / "fran.tar.gz", "w:gz") as t:
        t.add(s.parent, arcname="fran")
    with zipfile.ZipFile(c / "gema.zip", "w") as z:
        z.writestr("gema/01-ftok/ftok_key.cpp", good)
    with zipfile.ZipFile(c / "hugo.zip", "w") as z:  # hostile
        z.writestr("../../escaped.txt", "x")
    (c / "ines.rar").write_bytes(b"Rar!")  # not an archive we read
    return c


def batch(c, out, *extra):
    return [
        IPCLAB,
        "batch",
        str(c),
        "-o",
        str(out),
        "-j",
        "2",
        "--exercise",
        EX,
        "--lang",
        "en",
        *extra,
    ]


def rows(out):
    return list(
        csv.DictReader(io.StringIO((out / "gradebook.csv").read_text(encoding="utf-8-sig")))
    )


@pytest.fixture(scope="module")
def resumed(klass, tmp_path_factory):
    """Kill -9 the batch once its first submission is done, then run it again to the end."""
    out = tmp_path_factory.mktemp("out")
    p = subprocess.Popen(
        batch(klass, out), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    first = p.stderr.readline()  # non-tty progress: one line per finished submission
    p.kill()
    p.wait()
    p.stderr.close()
    state = json.loads((out / "state.json").read_text())["students"]
    stamps = {
        n: (out / "students" / n / "result.json").stat().st_mtime_ns
        for n, r in state.items()
        if r["status"] == "graded"
    }
    r = subprocess.run(batch(klass, out), capture_output=True, text=True, timeout=600)
    return out, first, state, stamps, r


def test_killed_batch_resumes_without_regrading(resumed, klass):
    out, first, before, stamps, r = resumed
    assert first.startswith("[1/9]"), first
    assert before, "the first finished submission was recorded before the kill"
    assert r.returncode == 0, r.stderr
    assert f"[{len(before)}/9] already graded" in r.stderr
    for name, t in stamps.items():
        assert (out / "students" / name / "result.json").stat().st_mtime_ns == t, name
    assert not list(out.glob(".work/*")), "the scratch folder is cleaned"
    assert not (klass.parent / "escaped.txt").exists() and not (out.parent / "escaped.txt").exists()


def test_every_submission_has_a_row_with_the_right_score(resumed):
    out = resumed[0]
    table = rows(out)
    got = {r["student"]: r for r in table}
    assert [r["student"] for r in table] == sorted(r["student"] for r in table), "sorted rows"
    assert set(got) == NAMES
    full = got["ana"]["max_score"]
    for name in ("ana", "'=SUM(1,1) eva", "fran", "gema"):
        assert got[name]["status"] == "graded" and got[name][EX] == got[name]["total"] == full, name
    assert 0 < int(got["bea"]["total"]) < int(full)
    assert got["carlos"]["status"] == "graded" and got["carlos"]["total"] == "0"
    for name, needle in (
        ("dani", "no exercise folders"),
        ("hugo", "outside its folder"),
        ("ines.rar", "not a folder nor a .zip"),
    ):
        assert got[name]["status"] == "error" and needle in got[name]["error"], got[name]
        assert got[name][EX] == "" and got[name]["total"] == ""
    carlos = json.loads((out / "students" / "carlos" / "result.json").read_text())
    assert carlos["exercises"][0]["status"] == "build_failed"
    assert "does not compile" in (out / "students" / "carlos" / "report.txt").read_text()
    summary = (out / "summary.md").read_text()
    assert "## Could not be graded" in summary and "| hugo |" in summary
    assert "## Most frequent failures" in summary


def test_same_input_same_output_and_a_change_is_regraded(resumed, klass):
    out = resumed[0]
    files = {n: (out / n).read_bytes() for n in ("gradebook.csv", "summary.md", "report.html")}
    stamps = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("students/*/result.json")}
    r = subprocess.run(batch(klass, out), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "[9/9] already graded" in r.stderr, r.stderr
    assert {n: (out / n).read_bytes() for n in files} == files
    shutil.copy(ROOT / "solutions" / EX / "ftok_key.cpp", klass / "bea" / EX / "ftok_key.cpp")
    r = subprocess.run(batch(klass, out), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "[8/9] already graded" in r.stderr and "bea" in r.stderr
    after = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("students/*/result.json")}
    assert [n for n in after if after[n] != stamps[n]] == ["bea"]
    bea = next(r for r in rows(out) if r["student"] == "bea")
    assert bea["total"] == bea["max_score"]


def test_a_hang_is_an_error_row_and_the_batch_goes_on(tmp_path):
    c = tmp_path / "c"
    good = (ROOT / "solutions" / EX / "ftok_key.cpp").read_text()
    solution(c / "loop", good.replace("key_t key = ftok", "for (;;) {}\n    key_t key = ftok", 1))
    solution(c / "ok")
    r = subprocess.run(
        batch(c, tmp_path / "o", "--timeout", "4"), capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr
    got = {x["student"]: x for x in rows(tmp_path / "o")}
    assert got["loop"]["status"] == "error" and "longer than 4 s" in got["loop"]["error"]
    assert got["ok"]["status"] == "graded" and got["ok"]["total"] == got["ok"]["max_score"]


@pytest.mark.parametrize(
    "args,needle",
    [
        (["/no/such/class", "-o", "/tmp/x"], "not a folder"),
        (
            [str(ROOT / "exercises"), "-o", str(ROOT / "exercises" / "out")],
            "inside the class folder",
        ),
        ([str(ROOT / "exercises"), "-o", "/tmp/ipclab-batch-bad", "-j", "0"], "positive"),
    ],
)
def test_bad_input_is_one_line(args, needle):
    r = subprocess.run([IPCLAB, "batch", *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and needle in r.stderr, r.stderr


def test_archives_are_unpacked_safely(tmp_path):
    sys.path[:0] = [str(ROOT / "grader")]
    from ipclab_grader.course import safe_extract

    cases = {}
    with zipfile.ZipFile(tmp_path / "abs.zip", "w") as z:
        z.writestr("/etc/evil", "x")
    cases["abs.zip"] = "outside its folder"
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("01-ftok/big.txt", bytes(safe_extract.MAX_BYTES + 1))
    cases["bomb.zip"] = "more than"
    with tarfile.open(tmp_path / "link.tar.gz", "w:gz") as t:
        info = tarfile.TarInfo("01-ftok/ftok_key.cpp")
        info.type, info.linkname = tarfile.LNKTYPE, "/etc/passwd"
        t.addfile(info)
    cases["link.tar.gz"] = "link"
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    cases["bad.zip"] = "cannot be read"
    for name, needle in cases.items():
        with pytest.raises(safe_extract.ArchiveError, match=needle):
            safe_extract.extract(tmp_path / name, tmp_path / f"x-{name}")
        assert not (tmp_path / f"x-{name}").exists()
