"""The integrity step (grader/ipclab_grader/pipeline/integrity.py): a file that reaches for what no
solution needs is refused and named -- rule, file, line, in the student's language -- and
costs no other exercise a point; correct code of any style is never refused."""
import json
import shutil
import subprocess

import pytest

from conftest import ROOT

# One reference solution each, with a line appended that breaks one rule.
BROKEN = {
    "01-ftok": (
        "test_framework",
        "namespace testing { struct UnitTest { static UnitTest* GetInstance(); }; }\n"
        "static void* probe = reinterpret_cast<void*>(&testing::UnitTest::GetInstance);\n",
    ),
    "02-shmget": (
        "replaces_library",
        '#include <unistd.h>\nextern "C" int fsync(int) { return 0; }\n',
    ),
    "05-shmctl": (
        "raw_syscall",
        "static long raw_getpid() {\n    long r;\n"
        '    asm volatile("syscall" : "=a"(r) : "a"(39L) : "rcx", "r11", "memory");\n'
        "    return r;\n}\nstatic const long pid_at_load = raw_getpid();\n",
    ),
    "09-ipcs": (
        "other_process",
        "#include <sys/ptrace.h>\n"
        "static const long traced = ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);\n",
    ),
}

# What honest code does that a careless rule would catch: debugging output, static helper
# objects, containers, lambdas, exceptions of its own, a helper in a namespace of its own.
HONEST_EXTRAS = r"""
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>
namespace {
struct Trace {
    std::vector<std::string> seen;
    Trace() { std::fprintf(stderr, "debug: loaded\n"); }
    ~Trace() { std::cerr << "debug: " << seen.size() << " calls\n"; }
} trace;
struct MyError : std::runtime_error { using std::runtime_error::runtime_error; };
[[maybe_unused]] int checked(int v) {
    auto bad = [](int x) { return x < 0; };
    if (bad(v)) throw MyError("negative");
    return v;
}
}  // namespace
namespace helpers { int twice(int x) { return 2 * x; } }
int helper_counter = 0;
"""


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, exercises):
    sub = tmp_path_factory.mktemp("integrity") / "exercises"
    shutil.copytree(ROOT / "solutions", sub)
    for ex_id, (_, extra) in BROKEN.items():
        f = next((sub / ex_id).iterdir())
        f.write_text(f.read_text() + extra)
    f = sub / "04-shmdt" / "shm_attach.cpp"
    f.write_text(f.read_text() + HONEST_EXTRAS)
    sub.parent.chmod(0o755)
    out = {}
    for lang in ("en", "es"):
        r = subprocess.run(
            [str(ROOT / "ipclab"), "grade", str(sub), "--format", "json", "--lang", lang],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert r.returncode == 0, r.stderr
        out[lang] = json.loads(r.stdout)
    return sub, out


# Each rule is caught in its own exercise, named with its file and line, and scores 0.
@pytest.mark.parametrize("ex_id", sorted(BROKEN))
def test_each_rule_is_refused_with_file_and_line(graded, ex_id):
    sub, out = graded
    rule, extra = BROKEN[ex_id]
    ex = next(e for e in out["en"]["exercises"] if e["id"] == ex_id)
    assert ex["status"] == "refused" and ex["score"] == 0
    assert {f["rule"] for f in ex["integrity"]} == {rule}, ex["integrity"]
    source = next((sub / ex_id).iterdir())
    text = source.read_text()
    finding = ex["integrity"][0]
    assert finding["file"] == source.name
    wanted = {
        "test_framework": "testing::UnitTest::GetInstance",
        "replaces_library": "fsync",
        "raw_syscall": "asm volatile",
        "other_process": "ptrace(PTRACE_TRACEME",
    }[rule]
    assert finding["line"] == line_of(text, wanted), finding
    feedback = ex["checks"][0]["feedback"]
    assert f"{source.name}, line {finding['line']}" in feedback
    es = next(e for e in out["es"]["exercises"] if e["id"] == ex_id)
    assert f"{source.name}, línea {finding['line']}" in es["checks"][0]["feedback"]


# The document says a rule was broken; honest exercises beside the broken ones keep every
# point, the one with debugging output, static objects and lambdas included.
def test_others_keep_full_marks_and_the_document_is_flagged(graded):
    _, out = graded
    doc = out["en"]
    assert doc["schema"] == "ipclab-result/2" and doc["integrity_flagged"] is True
    for ex in doc["exercises"]:
        if ex["id"] not in BROKEN:
            assert ex["integrity"] == [] and ex["score"] == ex["max_score"], ex["id"]
