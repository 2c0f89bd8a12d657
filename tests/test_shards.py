"""`batch --shard K/N` and `./ipclab merge`: a small class (one exercise) graded by one batch and
by three shards run at the same time as separate processes through the Slurm array script
(packaging/slurm/ipclab-batch.sbatch, as Slurm would start its tasks); the merge (through
ipclab-merge.sbatch) is byte for byte the one-machine output, every file of it. The partition
depends on the names only; merge refuses parts that do not make one class; the GitHub Actions
workflow is valid and wired shard → artifact → merge."""
import filecmp
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT

sys.path[:0] = [str(ROOT / "scripts")]
from disguise import disguise, header_names  # noqa: E402

IPCLAB = str(ROOT / "ipclab")
EX = "01-ftok"
N = 3
FIXED = (2, 2, 3, 3, 1, 1, 1)  # ana bea carl dani eva fran gema.rar
SLURM = ROOT / "packaging" / "slurm"
WORKFLOW = ROOT / "packaging" / "github" / "batch-shards.yml"


def put(dest, text):
    (dest / EX).mkdir(parents=True, exist_ok=True)
    (dest / EX / "ftok_key.cpp").write_text(text)


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """Submissions whose reports are the same on every grade (full marks, a build error, error
    rows): a wrong key's feedback names the key of a file made for the check, new each time."""
    c = tmp_path_factory.mktemp("shardclass") / "class"
    sol = (ROOT / "solutions" / EX / "ftok_key.cpp").read_text()
    keep = header_names(
        *(ROOT / "exercises" / EX).glob("*.hpp"), *(ROOT / "lab" / "include").rglob("*.hpp")
    )
    put(c / "ana", sol)
    put(c / "bea", disguise(sol, seed=3, keep=keep))  # a copy: similar
    put(c / "carl", (ROOT / "tests/styles/c-style" / EX / "ftok_key.cpp").read_text())
    put(c / "dani", "this is not C++\n")
    (c / "eva").mkdir()  # empty
    with zipfile.ZipFile(c / "fran.zip", "w") as z:
        z.writestr(
            f"fran/{EX}/ftok_key.cpp",
            (ROOT / "tests/styles/raii" / EX / "ftok_key.cpp").read_text(),
        )
    (c / "gema.rar").write_bytes(b"Rar!")
    return c


def batch_cmd(c, out, *extra):
    return [IPCLAB, "batch", str(c), "-o", str(out), "--exercise", EX, "--lang", "en", *extra]


@pytest.fixture(scope="module")
def graded(klass, tmp_path_factory):
    base = tmp_path_factory.mktemp("shardout")
    one = subprocess.run(
        batch_cmd(klass, base / "one", "-j", "2"), capture_output=True, text=True, timeout=600
    )
    assert one.returncode == 0, one.stderr
    env = {
        **os.environ,
        "IPCLAB_LAB": str(ROOT),
        "IPCLAB_CLASS": str(klass),
        "IPCLAB_OUT": str(base),
        "IPCLAB_SHARDS": str(N),
        "IPCLAB_LANG": "en",
        "SLURM_CPUS_PER_TASK": "1",
    }
    tasks = [
        subprocess.Popen(
            ["bash", str(SLURM / "ipclab-batch.sbatch"), "--exercise", EX],
            env={**env, "SLURM_ARRAY_TASK_ID": str(k)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(1, N + 1)
    ]
    errs = [t.communicate(timeout=600)[1] for t in tasks]
    assert [t.returncode for t in tasks] == [0] * N, errs
    merge = subprocess.run(
        ["bash", str(SLURM / "ipclab-merge.sbatch")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert merge.returncode == 0, merge.stderr
    return base, errs


def tree(d):
    return sorted(str(p.relative_to(d)) for p in d.rglob("*"))


def test_merged_parts_are_byte_identical_to_one_machine(graded):
    base, _ = graded
    one, merged = base / "one", base / "class"
    assert tree(one) == tree(merged)
    different = [
        f
        for f in tree(one)
        if (one / f).is_file() and not filecmp.cmp(one / f, merged / f, shallow=False)
    ]
    assert different == []
    summary = (merged / "summary.md").read_text()
    assert "| 01-ftok | ana | bea | 100 % |" in summary, "similarity across parts"
    assert {p.parent.name for p in merged.glob("students/*/result.json")} == {
        "ana",
        "bea",
        "carl",
        "dani",
        "fran",
    }


def test_the_parts_split_the_class_by_name(graded, klass):
    base, errs = graded
    from ipclab_grader.course.batch import discover, shard_of

    names = [s.name for s in discover(klass)]
    owners = {}
    for k in range(1, N + 1):
        state = json.loads((base / f"part-{k}" / "state.json").read_text())
        assert state["part"] == {"shard": f"{k}/{N}", "class": names}
        for name in state["students"]:
            assert shard_of(name, N) == k and name not in owners
            owners[name] = k
    assert sorted(owners) == sorted(names)
    # The part is the name's alone (SHA-256 of its UTF-8): fixed values, on every machine.
    assert [shard_of(n, 3) for n in names] == [k for k in FIXED]


def test_a_part_run_again_grades_nothing(graded, klass):
    base, _ = graded
    part = base / "part-1"
    before = {f: (part / f).read_bytes() for f in ("gradebook.csv", "summary.md", "report.html")}
    r = subprocess.run(
        batch_cmd(klass, part, "--shard", f"1/{N}"), capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0 and "already graded" in r.stderr, r.stderr
    assert {f: (part / f).read_bytes() for f in before} == before


def test_merge_refuses_what_is_not_one_class(graded, tmp_path):
    base, _ = graded
    parts = [base / f"part-{k}" for k in range(1, N + 1)]

    def merge(*args):
        r = subprocess.run(
            [IPCLAB, "merge", *map(str, args), "-o", str(tmp_path / "m"), "--lang", "en"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
        return r.stderr

    assert f"missing parts: 2/{N}" in merge(parts[0], parts[2])
    assert "given twice" in merge(parts[0], parts[0], parts[1], parts[2])
    assert "not the output of batch --shard" in merge(base / "one", *parts[1:])
    assert "no readable state.json" in merge(tmp_path, *parts)
    odd = tmp_path / "odd"
    shutil.copytree(parts[1], odd)
    state = json.loads((odd / "state.json").read_text())
    state["part"]["class"] = state["part"]["class"][:-1]
    (odd / "state.json").write_text(json.dumps(state))
    assert "another class folder" in merge(parts[0], odd, parts[2])
    unfinished = tmp_path / "unfinished"
    shutil.copytree(parts[0], unfinished)
    state = json.loads((unfinished / "state.json").read_text())
    gone = sorted(state["students"])[0]
    del state["students"][gone]
    (unfinished / "state.json").write_text(json.dumps(state))
    assert f"{gone} is not graded in shard 1/{N}" in merge(unfinished, *parts[1:])


@pytest.mark.parametrize("arg", ["0/2", "3/2", "x", "1/0"])
def test_a_bad_shard_is_one_line(klass, tmp_path, arg):
    r = subprocess.run(
        batch_cmd(klass, tmp_path / "o", "--shard", arg), capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--shard" in r.stderr, r.stderr


def test_the_workflow_grades_in_shards_and_merges():
    yaml = pytest.importorskip("yaml", reason="python3-yaml (scripts/install-deps.sh --test)")
    wf = yaml.safe_load(WORKFLOW.read_text())
    inputs = wf["on"]["workflow_dispatch"]["inputs"]
    assert {"shards", "class_dir", "classroom_org", "assignment_prefix", "lang"} <= set(inputs)
    jobs = wf["jobs"]
    assert list(jobs) == ["class", "grade", "merge"]
    for job in jobs.values():
        assert job["runs-on"].startswith("ubuntu")
        for s in job["steps"]:
            assert ("uses" in s) != ("run" in s), s
    grade, merge = jobs["grade"], jobs["merge"]
    assert grade["needs"] == "class"
    assert grade["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.class.outputs.shards) }}"
    assert grade["strategy"]["fail-fast"] is False
    run = " ".join(s.get("run", "") for s in grade["steps"])
    assert "./ipclab batch ipclab-class" in run and '--shard "$SHARD"' in run
    up = next(s for s in grade["steps"] if "upload-artifact" in s.get("uses", ""))
    assert up["with"]["name"].startswith("ipclab-part-") and up["if"] == "always()"
    assert set(merge["needs"]) == {"class", "grade"} and "always()" in merge["if"]
    down = next(s for s in merge["steps"] if "download-artifact" in s.get("uses", ""))
    assert down["with"]["pattern"] == "ipclab-part-*"
    assert "./ipclab merge parts/*" in " ".join(s.get("run", "") for s in merge["steps"])
    # The matrix step makes the list of parts the grade job expects.
    step = next(s for s in jobs["class"]["steps"] if s.get("id") == "matrix")
    out = subprocess.run(
        ["bash", "-e", "-c", step["run"].replace('"$GITHUB_OUTPUT"', "/dev/stdout")],
        env={**os.environ, "N": "3"},
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == 'shards=["1/3", "2/3", "3/3"]', out.stderr


def test_the_slurm_scripts_are_valid_bash():
    for f in SLURM.iterdir():
        assert subprocess.run(["bash", "-n", str(f)]).returncode == 0, f
    assert '--array="1-$n"' in (SLURM / "submit.sh").read_text()
    r = subprocess.run(["bash", str(SLURM / "submit.sh")], capture_output=True, text=True)
    assert r.returncode == 2 and "CLASS_DIR OUT_DIR" in r.stderr
