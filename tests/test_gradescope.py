"""`./ipclab gradescope`: the zip Gradescope expects, and its run_autograder run against a
simulated /autograder tree (IPCLAB_AUTOGRADER_ROOT) for a correct, a broken, a non-compiling,
a loose-file and an empty upload; every results.json matches Gradescope's schema."""
import json
import os
import shutil
import stat
import subprocess
import zipfile

import pytest

from conftest import ROOT

EX = "01-ftok"
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def assert_gradescope_schema(doc):
    """Gradescope's results.json (shared/reference.md, "Formats ipclab should speak")."""
    top = {
        "score",
        "execution_time",
        "output",
        "output_format",
        "visibility",
        "stdout_visibility",
        "tests",
        "leaderboard",
        "extra_data",
    }
    assert isinstance(doc, dict) and set(doc) <= top, set(doc) - top
    assert isinstance(doc["tests"], list)
    if "score" in doc:
        assert isinstance(doc["score"], (int, float))
    for key in ("output", "output_format"):
        assert isinstance(doc.get(key, ""), str)
    assert doc.get("output_format", "text") in ("text", "html", "simple_format", "md", "ansi")
    assert doc.get("visibility", "visible") in VISIBILITY
    assert doc.get("stdout_visibility", "visible") in VISIBILITY
    for t in doc["tests"]:
        assert {"name", "score", "max_score", "status", "visibility"} <= set(t), t
        assert set(t) <= {
            "name",
            "score",
            "max_score",
            "status",
            "number",
            "output",
            "output_format",
            "tags",
            "visibility",
            "extra_data",
            "name_format",
        }
        assert isinstance(t["name"], str) and isinstance(t["score"], (int, float))
        assert isinstance(t["max_score"], (int, float)) and 0 <= t["score"] <= t["max_score"]
        assert t["status"] in ("passed", "failed") and t["visibility"] in VISIBILITY
        assert isinstance(t.get("tags", []), list) and isinstance(t.get("output", ""), str)
    if "score" in doc and doc["tests"]:
        assert doc["score"] == sum(t["score"] for t in doc["tests"])


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    d = tmp_path_factory.mktemp("gs")
    zpath = d / "autograder.zip"
    r = subprocess.run(
        [str(ROOT / "ipclab"), "gradescope", "-o", str(zpath), "--exercise", EX, "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    return zpath


def test_the_zip_has_gradescope_layout_and_no_solutions(autograder):
    with zipfile.ZipFile(autograder) as z:
        infos = {i.filename: i for i in z.infolist()}
        for name in ("setup.sh", "run_autograder", "ipclab"):
            assert name in infos and (infos[name].external_attr >> 16) & stat.S_IXUSR, name
        assert any(n.startswith("grader/hidden/") for n in infos), "hidden checks are graded"
        assert not any(n.startswith(("solutions/", "build/", ".git/", "tests/")) for n in infos)
        cfg = json.loads(z.read("ipclab-autograder.json"))
        assert cfg["exercises"] == [EX] and cfg["lang"] == "en"
    for script in ("setup.sh", "run_autograder"):
        assert (
            subprocess.run(
                ["bash", "-n", str(ROOT / "packaging" / "gradescope" / script)]
            ).returncode
            == 0
        )


def run_autograder(autograder, root, upload):
    """Unpacks the zip as Gradescope does and runs run_autograder on `upload`."""
    if not (root / "source").exists():
        with zipfile.ZipFile(autograder) as z:
            z.extractall(root / "source")
        for i in zipfile.ZipFile(autograder).infolist():  # zipfile drops the modes
            (root / "source" / i.filename).chmod((i.external_attr >> 16) & 0o777)
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    shutil.copytree(upload, root / "submission")
    (root / "results").mkdir()
    env = {**os.environ, "IPCLAB_AUTOGRADER_ROOT": str(root)}
    r = subprocess.run(
        [str(root / "source" / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads((root / "results" / "results.json").read_text())
    assert_gradescope_schema(doc)
    return doc


def uploads(tmp_path):
    good = (ROOT / "solutions" / EX / "ftok_key.cpp").read_text()
    made = {}
    for name, text, nested in (
        ("correct", good, "exercises"),
        ("broken", good.replace("c_str(), proj_id)", "c_str(), proj_id + 1)", 1), ""),
        ("not_compiling", "this is not C++\n", ""),
    ):
        d = tmp_path / name / nested / EX
        d.mkdir(parents=True)
        (d / "ftok_key.cpp").write_text(text)
        made[name] = tmp_path / name
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "ftok_key.cpp").write_text(good)  # drag-and-drop of the file alone
    made["loose"] = tmp_path / "loose"
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("nothing here\n")
    made["empty"] = tmp_path / "empty"
    return made


def test_run_autograder_on_simulated_tree(autograder, tmp_path):
    root = tmp_path / "autograder"
    up = uploads(tmp_path)
    correct = run_autograder(autograder, root, up["correct"])
    full = sum(t["max_score"] for t in correct["tests"])
    assert correct["score"] == full > 0
    assert {t["visibility"] for t in correct["tests"]} == {"visible", "after_due_date"}
    assert all(t["status"] == "passed" for t in correct["tests"])

    broken = run_autograder(autograder, root, up["broken"])
    assert 0 < broken["score"] < full
    failed = [t for t in broken["tests"] if t["status"] == "failed"]
    assert failed and all(t["output"] for t in failed), "failed checks say why"

    nc = run_autograder(autograder, root, up["not_compiling"])
    assert nc["score"] == 0 and len(nc["tests"]) == len(correct["tests"])
    assert "error" in nc["tests"][0]["output"]

    assert run_autograder(autograder, root, up["loose"])["score"] == full

    empty = run_autograder(autograder, root, up["empty"])
    assert empty["score"] == 0 and empty["tests"] == [] and "No exercises" in empty["output"]
