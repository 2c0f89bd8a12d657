"""`./ipclab bundle`: what students receive builds, runs its visible checks, and holds no
solution and no hidden check, compared by content, not only by name."""
import shutil
import subprocess
import tarfile

import pytest

from conftest import ROOT

EX = "01-ftok"


@pytest.fixture
def bundle(open_tmp):
    out = open_tmp / "student-repo"
    r = subprocess.run(
        [str(ROOT / "ipclab"), "bundle", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    return out


def lines(data):
    return {line.strip() for line in data.splitlines() if len(line.strip()) >= 24}


def test_no_solution_or_hidden_check_leaked(bundle):
    files = [p for p in bundle.rglob("*") if p.is_file()]
    names = {p.relative_to(bundle).as_posix() for p in files}
    assert not any(
        n.startswith(("solutions/", "grader/hidden/", "build/", ".git/", "tests/")) for n in names
    )
    assert ".github/workflows/classroom.yml" in names
    contents = {p: p.read_bytes() for p in files}
    secrets = [
        p
        for p in (ROOT / "grader" / "hidden").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    secrets += [p for p in (ROOT / "solutions").rglob("*") if p.is_file()]
    assert secrets
    every = set(contents.values())
    for s in secrets:
        data = s.read_bytes()
        assert data not in every, f"{s} is in the bundle under another name"
        skeleton = (
            ROOT / "exercises" / s.relative_to(ROOT / "solutions")
            if s.is_relative_to(ROOT / "solutions")
            else None
        )
        own = lines(data) - (
            lines(skeleton.read_bytes()) if skeleton and skeleton.exists() else set()
        )
        own = {line for line in own if not line.startswith((b"//", b"#"))}
        for p, c in contents.items():
            shared = own & lines(c)
            assert len(shared) < max(2, 0.6 * len(own)), f"{p} holds {len(shared)} lines of {s}"


def test_the_bundle_builds_and_runs_its_visible_checks(bundle, tmp_path):
    b = tmp_path / "build"
    r = subprocess.run(
        ["cmake", "-S", str(bundle), "-B", str(b), "-G", "Ninja", "-Wno-dev"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    r = subprocess.run(
        ["cmake", "--build", str(b), "--target", f"ex-{EX}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout[-3000:]
    # The untouched skeleton: the visible checks run and fail (status 1), nothing crashes.
    r = subprocess.run(
        [str(bundle / "ipclab"), "check", EX, "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert EX in r.stdout and "[hidden]" not in r.stdout
    # With the reference file in place every visible check passes.
    shutil.copy(ROOT / "solutions" / EX / "ftok_key.cpp", bundle / "exercises" / EX)
    r = subprocess.run(
        [str(bundle / "ipclab"), "check", EX, "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    # `grade` in a bundle says plainly that hidden checks are not there, and grades the rest.
    r = subprocess.run(
        [str(bundle / "ipclab"), "grade", str(bundle), "--exercise", EX, "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0 and "no hidden checks" in r.stderr and "Traceback" not in r.stderr
    assert "[hidden]" not in r.stdout


def test_archive_bundle_is_reproducible(tmp_path):
    outs = []
    for i in (1, 2):
        out = tmp_path / f"{i}" / "lab.tar.gz"
        out.parent.mkdir()
        r = subprocess.run(
            [str(ROOT / "ipclab"), "bundle", "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        outs.append(out)
    with tarfile.open(outs[0]) as t:
        names = t.getnames()
    assert all(n.startswith("lab/") for n in names) and "lab/ipclab" in names
    assert not any("/solutions/" in n or "/grader/hidden/" in n for n in names)


def test_bundle_into_a_used_folder_is_one_line(tmp_path):
    (tmp_path / "x").write_text("mine")
    r = subprocess.run(
        [str(ROOT / "ipclab"), "bundle", "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "not an empty folder" in r.stderr
