"""The GitHub Classroom workflow (packaging/github/classroom.yml): valid YAML that GitHub
accepts, wired to Classroom's reporter, and its grading step run as GitHub would run it on a
fixture student repository (a bundle reduced to one exercise, with that exercise solved)."""
import base64
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT

yaml = pytest.importorskip("yaml", reason="python3-yaml (scripts/install-deps.sh installs it)")

WORKFLOW = ROOT / "packaging" / "github" / "classroom.yml"
EX = "01-ftok"


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def run_grade_step(workflow, repo, tmp_path, timeout):
    """The workflow's grading step run in `repo` as GitHub runs it: its env, and the files
    GitHub gives for the job's summary and outputs. Returns the run and those two files."""
    (job,) = workflow["jobs"].values()
    grade = next(s for s in job["steps"] if s.get("id") == "grade")
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    env = {
        **os.environ,
        **grade.get("env", {}),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
    }
    r = subprocess.run(
        ["bash", "-e", "-c", grade["run"]],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return r, summary, output


def test_workflow_is_valid_and_reports_to_classroom(workflow):
    assert set(workflow["on"]) >= {"push"}
    assert workflow["permissions"]["checks"] == "write"
    (job,) = workflow["jobs"].values()
    assert job["runs-on"].startswith("ubuntu")
    steps = job["steps"]
    for s in steps:
        assert ("uses" in s) != ("run" in s), s  # GitHub: one of the two, never both
        assert set(s) <= {
            "name",
            "id",
            "uses",
            "run",
            "with",
            "env",
            "if",
            "shell",
            "timeout-minutes",
            "continue-on-error",
            "working-directory",
        }
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert any("scripts/install-deps.sh" in s.get("run", "") for s in steps)
    reporter = next(s for s in steps if "autograding-grading-reporter" in s.get("uses", ""))
    runner = reporter["with"]["runners"]
    grade = next(s for s in steps if s.get("id") == "grade")
    assert reporter["env"][f"{runner.upper()}_RESULTS"] == "${{ steps.grade.outputs.result }}"
    assert "always()" in reporter["if"], "a grade that failed still reports its zero"
    assert "--zero-on-failure" in grade["run"]
    assert "GITHUB_STEP_SUMMARY" in grade["run"] and "--format junit" in grade["run"]


def test_the_grading_step_works_on_a_student_repository(workflow, tmp_path, open_tmp):
    repo = open_tmp / "repo"
    r = subprocess.run(
        [str(ROOT / "ipclab"), "bundle", "-o", str(repo)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert (repo / ".github" / "workflows" / "classroom.yml").read_text() == WORKFLOW.read_text()
    for d in (repo / "exercises").iterdir():  # a course of one exercise keeps it quick
        if d.is_dir() and d.name != EX:
            shutil.rmtree(d)
    shutil.copy(ROOT / "solutions" / EX / "ftok_key.cpp", repo / "exercises" / EX)
    r, summary, output = run_grade_step(workflow, repo, tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "no hidden checks" in r.stderr  # said plainly, once, not a crash
    result = json.loads((repo / "ipclab-result.json").read_text())
    assert result["score"] == result["max_score"] > 0
    md = summary.read_text()
    assert md.startswith(f"## ipclab: {result['score']}/{result['max_score']}")
    assert "| ✅ |" in md
    suites = ET.parse(repo / "ipclab-junit.xml").getroot()
    assert suites.find("testsuite").get("name") == EX
    key, value = output.read_text().strip().split("=", 1)
    assert key == "result"
    doc = json.loads(base64.b64decode(value))
    assert doc["version"] == 1 and doc["status"] == "pass"
    assert doc["max_score"] == result["max_score"] == sum(t["score"] for t in doc["tests"])
    assert all(t["status"] == "pass" and t["name"] for t in doc["tests"])


def test_a_repository_that_cannot_be_graded_reports_a_zero_with_the_reason(
    workflow, tmp_path, open_tmp
):
    """No exercises/ folder: grade exits 2, and the step still leaves the reporter a document
    with the course's maximum and the reason (the reporter notices nothing when max_score is
    0, and a skipped reporter records nothing at all)."""
    repo = open_tmp / "empty-repo"
    repo.mkdir()
    (repo / "README.md").write_text("nothing here\n")
    (repo / "ipclab").symlink_to(ROOT / "ipclab")
    r, summary, output = run_grade_step(workflow, repo, tmp_path, timeout=120)
    assert r.returncode == 2, r.stderr
    doc = json.loads(base64.b64decode(output.read_text().strip().split("=", 1)[1]))
    assert doc["status"] == "error" and doc["max_score"] > 0
    assert sum(t["score"] for t in doc["tests"]) == 0
    assert any("exercises" in t["message"] for t in doc["tests"]), doc["tests"][0]["message"]
    assert summary.read_text().startswith("## ipclab: 0/")
