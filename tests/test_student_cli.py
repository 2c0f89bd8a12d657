"""The student's commands, as a student meets them: a fresh copy of the lab, `list`, a failing
`check`, a hint, a passing `check`, `watch` moving on, `reset`, `clean` (in a private IPC
namespace, beside another user's objects) and `doctor` on a machine that lacks things."""
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "grader"))
from ipclab_grader import i18n  # noqa: E402

COPIED = ("exercises", "solutions", "grader", "harness", "lab", "cmake", "CMakeLists.txt", "ipclab")
EN = i18n.flat("en")
ES = i18n.flat("es")


def make_lab(dest):
    """A fresh copy of the lab as a student gets it: no .ipclab/, no build/, no git."""
    dest.mkdir(mode=0o755)
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.tmp"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def env_for(**extra):
    env = {k: v for k, v in os.environ.items() if k != "IPCLAB_STATE"}
    env.setdefault("IPCLAB_CACHE", str(ROOT / "build" / "test-cache"))
    env.update(extra)
    return env


def ipclab(lab, *args, lang="en", input=None, env=None, timeout=600):
    argv = [str(lab / "ipclab"), *args] + (["--lang", lang] if lang else [])
    return subprocess.run(
        argv,
        cwd=lab,
        capture_output=True,
        text=True,
        input=input,
        env=env or env_for(),
        timeout=timeout,
    )


def prefix(text):
    """The fixed start of a message, before its first placeholder."""
    return text.split("{")[0].strip()


@pytest.fixture
def tmp_path():
    """Under build/, not pytest's private /tmp folder: the sandbox's user must reach the lab."""
    (ROOT / "build").mkdir(exist_ok=True)
    path = tempfile.mkdtemp(prefix="student-cli-", dir=ROOT / "build")
    os.chmod(path, 0o755)
    yield Path(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def lab(exercises):
    path = tempfile.mkdtemp(prefix="student-cli-", dir=ROOT / "build")
    os.chmod(path, 0o755)
    yield make_lab(Path(path) / "lab")
    shutil.rmtree(path, ignore_errors=True)


# --- messages and language ------------------------------------------------------------------


def test_every_language_file_has_the_same_keys_and_placeholders():
    import re

    langs = i18n.languages()
    assert {"es", "en"} <= set(langs)
    for lang in langs:
        table = i18n.flat(lang)
        assert table.keys() == EN.keys(), f"cli.{lang}.toml: keys differ from cli.en.toml"
        for k, v in table.items():
            if isinstance(v, str):
                assert set(re.findall(r"\{(\w+)\}", v)) == set(
                    re.findall(r"\{(\w+)\}", EN[k])
                ), f"cli.{lang}.toml {k}: other placeholders than in English"


@pytest.mark.parametrize(
    "env, want",
    [
        ({}, "es"),
        ({"LANG": "C.UTF-8"}, "es"),
        ({"LANG": "POSIX"}, "es"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "es_AR.UTF-8"}, "es"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "es_ES.UTF-8"}, "en"),
        ({"LC_MESSAGES": "es_MX.UTF-8", "LANG": "en_US.UTF-8"}, "es"),
    ],
)
def test_the_locale_chooses_the_language_spanish_first(env, want):
    assert i18n.from_locale(env) == want


def test_a_third_language_is_one_more_file(tmp_path, monkeypatch):
    for lang in ("es", "en"):
        shutil.copy(i18n.DIR / f"cli.{lang}.toml", tmp_path)
    (tmp_path / "cli.fr.toml").write_text('[list]\nstatus_passes = "réussi"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "DIR", tmp_path)
    i18n._table.cache_clear()
    try:
        assert i18n.languages() == ["en", "es", "fr"]
        assert i18n.from_locale({"LANG": "fr_FR.UTF-8"}) == "fr"
        fr = i18n.Messages("fr")
        assert fr("list.status_passes") == "réussi"
        assert fr("list.status_fails") == EN["list.status_fails"]  # untranslated: English
    finally:
        i18n._table.cache_clear()


# --- the daily loop ---------------------------------------------------------------------------


def test_list_check_hint_check_again(lab, exercises):
    first, second = exercises[0], exercises[1]
    r = ipclab(lab, "list")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(EN["list.status_not_started"]) == len(exercises)
    assert f"0/{len(exercises)}" in r.stdout and "░" in r.stdout
    assert f"check {first.id}" in r.stdout

    # A skeleton fails, with the grader's feedback and the next step (Spanish by default).
    r = ipclab(lab, "check", lang=None, env=env_for(LANG="C.UTF-8"))
    assert r.returncode == 1, r.stderr
    assert prefix(ES["check.running"]) in r.stdout and first.id in r.stdout
    assert "✘" in r.stdout and "Total: 0/" in r.stdout
    assert f"hint {first.id}" in r.stdout and prefix(ES["check.read_hint"]) in r.stdout

    r = ipclab(lab, "hint", first.id, lang="es")
    assert r.returncode == 0 and first.hints[0]["es"] in r.stdout
    r = ipclab(lab, "hint", lang="en")  # no exercise: the current one, next hint
    assert r.returncode == 0 and first.hints[1]["en"] in r.stdout

    # Unchanged since the last check: answered from .ipclab/, nothing built or run (how fast
    # that is, is make bench's figure, not a test's: a loaded machine would make it flaky).
    saved = (lab / ".ipclab" / "checks.json").read_bytes()
    r = ipclab(lab, "check", first.id, lang="es")
    assert r.returncode == 1 and ES["check.from_cache"] in r.stdout
    assert (lab / ".ipclab" / "checks.json").read_bytes() == saved
    assert (
        ES["check.read_hint"].format(cmd="./ipclab hint " + first.id, n=3, total=len(first.hints))
        in r.stdout
    )

    # A right attempt passes, and the next step is the next exercise.
    for name in first.files:
        shutil.copy(ROOT / "solutions" / first.id / name, lab / "exercises" / first.id / name)
    r = ipclab(lab, "check", first.id)
    assert r.returncode == 0, r.stdout + r.stderr
    assert EN["check.from_cache"] not in r.stdout
    assert f"check {second.id}" in r.stdout
    r = ipclab(lab, "list", lang="es")
    assert f"1/{len(exercises)}" in r.stdout and "█" in r.stdout
    assert ES["list.status_passes"] in r.stdout and f"check {second.id}" in r.stdout


def test_reset_asks_keeps_a_backup_and_restores_the_skeleton(lab, exercises):
    ex = exercises[0]
    target = lab / "exercises" / ex.id / ex.files[0]
    skeleton = (ROOT / "exercises" / ex.id / ex.files[0]).read_bytes()
    target.write_text("// my attempt\n")
    r = ipclab(lab, "reset", ex.id, input="n\n")
    assert r.returncode == 1 and target.read_text() == "// my attempt\n"
    r = ipclab(lab, "reset", ex.id, lang="es", input="s\n")
    assert r.returncode == 0, r.stderr
    assert target.read_bytes() == skeleton
    backups = list((lab / ".ipclab" / "backup" / ex.id).glob("*/" + ex.files[0]))
    assert [b.read_text() for b in backups] == ["// my attempt\n"]
    r = ipclab(lab, "list")
    assert EN["list.status_not_started"] in r.stdout.splitlines()[1]
    r = ipclab(lab, "reset", ex.id, "--yes")
    assert r.returncode == 0 and EN["reset.already"].format(id=ex.id) in r.stdout


def test_bad_input_is_one_line(lab):
    for args in (
        ["check", "99-nothing"],
        ["hint", "nothing"],
        ["reset", "42"],
        ["watch", "--interval", "0"],
        ["clean", "--path", "/no/such/file"],
    ):
        r = ipclab(lab, *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, args


# --- watch -------------------------------------------------------------------------------------


class Lines:
    """A child's stdout read line by line on a thread, so waits can have a deadline."""

    def __init__(self, proc):
        self.q = queue.Queue()
        self.seen = []
        threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True).start()

    def _pump(self, stream):
        for line in stream:
            self.q.put(line)
        self.q.put(None)

    def wait_for(self, needle, deadline):
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no line with {needle!r} in time; output:\n{''.join(self.seen)}"
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                continue
            assert line is not None, f"ended before {needle!r}; output:\n{''.join(self.seen)}"
            self.seen.append(line)
            if needle in line:
                return line


def test_watch_rechecks_on_save_and_moves_on(tmp_path, exercises):
    lab = make_lab(tmp_path / "lab")
    first, second = exercises[0], exercises[1]
    proc = subprocess.Popen(
        [str(lab / "ipclab"), "watch", "--max-rounds", "3", "--interval", "0.2", "--lang", "en"],
        cwd=lab,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(),
    )
    try:
        out = Lines(proc)
        deadline = time.monotonic() + 90
        out.wait_for(prefix(EN["watch.waiting"]), deadline)
        for name in first.files:
            shutil.copy(ROOT / "solutions" / first.id / name, lab / "exercises" / first.id / name)
        out.wait_for(prefix(EN["watch.changed"]), deadline)
        out.wait_for(prefix(EN["watch.moving_on"].format(id=first.id, next=second.id)), deadline)
        out.wait_for(f"{second.id}", deadline)
        out.wait_for(prefix(EN["watch.rounds_done"]), deadline)
        assert proc.wait(timeout=60) == 1  # the third round checked the next skeleton: fails
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_watch_stops_cleanly_on_ctrl_c(tmp_path, exercises):
    lab = make_lab(tmp_path / "lab")
    proc = subprocess.Popen(
        [str(lab / "ipclab"), "watch", "--lang", "en"],
        cwd=lab,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(),
    )
    try:
        out = Lines(proc)
        out.wait_for(prefix(EN["watch.waiting"]), time.monotonic() + 300)
        proc.send_signal(2)
        assert proc.wait(timeout=30) == 0
        out.wait_for(prefix(EN["watch.bye"]), time.monotonic() + 10)
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- clean -------------------------------------------------------------------------------------

CLEAN_SCENARIO = r"""
import ctypes, json, os, subprocess, sys, sysv_ipc
lab = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)
libc.ftok.restype = ctypes.c_int
def ftok(path, n):
    return libc.ftok(path.encode(), n)
readme = os.path.join(lab, "exercises", "02-shmget", "README.md")
datos = os.path.join(lab, "datos")
open(datos, "w").close()
def shm(key, size=4096):
    seg = sysv_ipc.SharedMemory(key, sysv_ipc.IPC_CREX, 0o600, size)
    seg.detach()                                   # as a program that has exited
    return seg
mine = [shm(ftok(readme, 7)).id,
        sysv_ipc.Semaphore(ftok(datos, 200), sysv_ipc.IPC_CREX, 0o600).id,
        sysv_ipc.MessageQueue(ftok(lab, 65), sysv_ipc.IPC_CREX, 0o600).id,
        shm(-1, 64).id]                           # an unchecked ftok failure: key -1
given = shm(ftok(readme, 8))
given.uid = 12345                                  # IPC_SET: now another user's
unrelated = shm(0x1234abcd).id
other_key = ftok(readme, 9)
r, w = os.pipe()
if os.fork() == 0:                                 # another user creates one with a lab key
    try:
        os.setgid(12345); os.setuid(12345)
        os.write(w, str(shm(other_key).id).encode())
    finally:
        os._exit(0)
os.close(w)
os.wait()
other = int(os.read(r, 64))
def ids():
    out = set()
    for kind in ("shm", "sem", "msg"):
        for line in open(f"/proc/sysvipc/{kind}").read().splitlines()[1:]:
            out.add((kind, int(line.split()[1])))
    return out
before = ids()
dry = subprocess.run([os.path.join(lab, "ipclab"), "clean", "--dry-run", "--lang", "en"],
                     cwd=lab, capture_output=True, text=True)
after_dry = ids()
real = subprocess.run([os.path.join(lab, "ipclab"), "clean", "--yes", "--lang", "es"],
                      cwd=lab, capture_output=True, text=True)
print(json.dumps({"mine": [["shm", mine[0]], ["sem", mine[1]], ["msg", mine[2]], ["shm", mine[3]]],
                  "survivors": [["shm", given.id], ["shm", unrelated], ["shm", other]],
                  "before": sorted(before), "after_dry": sorted(after_dry), "after": sorted(ids()),
                  "dry": [dry.returncode, dry.stdout, dry.stderr],
                  "real": [real.returncode, real.stdout, real.stderr]}))
"""


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare"),
    reason="needs root for a private IPC namespace (unshare --ipc)",
)
def test_clean_removes_only_what_the_students_programs_left(lab):
    # Everything happens in a private IPC namespace: the machine's own objects are never seen.
    r = subprocess.run(
        ["unshare", "--ipc", "/usr/bin/python3", "-c", CLEAN_SCENARIO, str(lab)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env_for(),
    )
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    mine = {tuple(x) for x in res["mine"]}
    survivors = {tuple(x) for x in res["survivors"]}
    assert mine | survivors <= {tuple(x) for x in res["before"]}
    dry_code, dry_out, dry_err = res["dry"]
    assert dry_code == 0, dry_err
    assert {tuple(x) for x in res["after_dry"]} == {tuple(x) for x in res["before"]}
    assert EN["clean.before"] in dry_out and "0xffffffff" in dry_out
    assert EN["clean.found"].format(n=4) in dry_out
    code, out, err = res["real"]
    assert code == 0, err
    assert ES["clean.before"] in out and ES["clean.after"] in out
    after = {tuple(x) for x in res["after"]}
    assert not (after & mine), "clean left the student's objects"
    assert survivors <= after, "clean removed an object that was not the student's"


# --- doctor ------------------------------------------------------------------------------------


def fake_machine(tmp_path, *, tools, sysctls, os_id="ubuntu", python=None):
    """A PATH with only `tools` (None: this machine's), a /proc/sys with `sysctls`, an
    /etc/os-release."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in tools or ():
        os.symlink(shutil.which(tool), bin_dir / tool)
    sys_dir = tmp_path / "sys"
    for name, value in sysctls.items():
        p = sys_dir.joinpath(*name.split("."))
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"{value}\n")
    sys_dir.mkdir(exist_ok=True)
    (tmp_path / "os-release").write_text(f"ID={os_id}\n")
    (tmp_path / "apparmor.d").mkdir()
    return env_for(
        PATH=str(bin_dir) if tools else os.environ["PATH"],
        IPCLAB_PROC_SYS=str(sys_dir),
        IPCLAB_OS_RELEASE=str(tmp_path / "os-release"),
        IPCLAB_APPARMOR_DIR=str(tmp_path / "apparmor.d"),
        IPCLAB_PYTHON=python or "/usr/bin/python3",
    )


def test_doctor_all_good(tmp_path):
    env = fake_machine(tmp_path, tools=None, sysctls={"user.max_user_namespaces": 1000})
    r = ipclab(ROOT, "doctor", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert EN["doctor.all_good"] in r.stdout and "✘" not in r.stdout


def test_doctor_names_the_fedora_packages_that_are_missing(tmp_path):
    no_site = tmp_path / "python-without-packages"
    no_site.write_text('#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n')
    no_site.chmod(0o755)
    env = fake_machine(
        tmp_path,
        tools=("g++", "bwrap", "ipcs", "ipcrm"),
        sysctls={},
        os_id="fedora",
        python=str(no_site),
    )
    r = ipclab(ROOT, "doctor", lang="es", env=env)
    assert r.returncode == 1
    assert ES["doctor.install"] in r.stdout
    assert (
        "sudo dnf install -y cmake ninja-build gtest-devel gmock-devel python3-pytest "
        "python3-sysv_ipc python3-pytest-timeout python3-rich"
    ) in r.stdout


def test_doctor_explains_ubuntu_24_04s_user_namespace_restriction(tmp_path):
    env = fake_machine(
        tmp_path,
        tools=None,
        sysctls={
            "kernel.apparmor_restrict_unprivileged_userns": 1,
            "kernel.unprivileged_userns_clone": 0,
        },
    )
    r = ipclab(ROOT, "doctor", env=env)
    assert r.returncode == 1
    assert "profile bwrap /usr/bin/bwrap flags=(unconfined)" in r.stdout
    assert "sudo apparmor_parser -r /etc/apparmor.d/bwrap" in r.stdout
    assert "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" in r.stdout
    assert "sudo sysctl -w kernel.unprivileged_userns_clone=1" in r.stdout
    # With the profile installed, the AppArmor line is fine.
    (tmp_path / "apparmor.d" / "bwrap").write_text(
        "profile bwrap /usr/bin/bwrap flags=(unconfined) {\n  userns,\n}\n"
    )
    r = ipclab(ROOT, "doctor", env=env)
    assert "apparmor_parser" not in r.stdout and "unprivileged_userns_clone=1" in r.stdout
