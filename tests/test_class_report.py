"""OUT_DIR/report.html, opened in headless Chromium: the charts are there and laid out, their
numbers are the class's, the failures and the submissions that could not be graded are shown,
and the page asks the network for nothing. Built from fabricated results: no grading here."""
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from conftest import ROOT

sys.path[:0] = [str(ROOT / "grader")]


def fake_result(ex, score_of):
    """An ipclab-result/2 document for exercise `ex` where check `name` scores score_of(name)."""
    checks = [
        {
            "name": n,
            "title": f"check {n}",
            "score": score_of(n, p),
            "max_score": p,
            "status": "passed" if score_of(n, p) == p else "failed",
            "feedback": "" if score_of(n, p) == p else f"expected more from {n}\nsecond line",
            "visibility": "visible",
        }
        for n, p in ex.points.items()
    ]
    total = sum(c["score"] for c in checks)
    return {
        "schema": "ipclab-result/2",
        "submission": "x",
        "lang": "en",
        "mode": "bwrap",
        "score": total,
        "max_score": ex.max_score,
        "exercises": [
            {
                "id": ex.id,
                "title": ex.title["en"],
                "status": "graded",
                "score": total,
                "max_score": ex.max_score,
                "build_errors": "",
                "notes": [],
                "checks": checks,
            }
        ],
    }


@pytest.fixture(scope="module")
def page(tmp_path_factory, exercises):
    from ipclab_grader.course import classreport, gradebook

    ex = exercises[0]
    first = next(iter(ex.points))
    out = tmp_path_factory.mktemp("report")
    state = {}
    plan = {
        "full-1": lambda n, p: p,
        "full-2": lambda n, p: p,
        "full-3": lambda n, p: p,
        "zero": lambda n, p: 0,
        "one-miss": lambda n, p: 0 if n == first else p,
    }
    for name, fn in plan.items():
        (out / "students" / name).mkdir(parents=True)
        doc = fake_result(ex, fn)
        (out / "students" / name / "result.json").write_text(json.dumps(doc))
        state[name] = {"status": "graded"}
    state["broken <zip>"] = {"status": "error", "error": "the archive holds a link (a/b)"}
    data = gradebook.collect(out, [ex], "en", state)
    html = classreport.render(data)
    assert html == classreport.render(gradebook.collect(out, [ex], "en", state)), "deterministic"
    (out / "report.html").write_text(html)
    return out / "report.html", html, ex, first


def chromium_dom(path):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.skip("chromium is not installed (scripts/install-deps.sh installs it)")
    try:
        r = subprocess.run(
            [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--virtual-time-budget=3000",
                "--dump-dom",
                path.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        pytest.skip(f"chromium cannot start here: {e}")
    if r.returncode != 0 or "<html" not in r.stdout:
        pytest.skip(f"chromium cannot start here: {r.stderr.strip()[-300:]}")
    return r.stdout


class Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.items = []

    def handle_starttag(self, tag, attrs):
        self.items.append((tag, dict(attrs)))


def test_chromium_renders_the_charts_with_the_class_numbers(page):
    path, _, ex, first = page
    dom = chromium_dom(path)
    els = Elements()
    els.feed(dom)
    charts = [a for t, a in els.items if t == "svg" and "chart" in a.get("class", "")]
    assert [c["id"] for c in charts] == ["chart-total", f"chart-{ex.id}", "chart-failures"]
    bars = [a for t, a in els.items if t == "rect" and a.get("class") == "bar"]
    # The probe script ran after layout: every bar with a count has a height on screen.
    body = next(a for t, a in els.items if t == "body")
    nonzero = [b for b in bars if b["data-count"] != "0"]
    assert int(body["data-bars-rendered"]) == len(nonzero) > 0
    assert all(float(b["data-rendered-height"]) > 0 for b in nonzero)
    total = {b["data-band"]: int(b["data-count"]) for b in bars[:6]}
    # 3 full marks, one zero, one that missed the first check (of its exercise's points).
    miss = 1 - ex.points[first] / ex.max_score
    band = ["0–20%", "20–40%", "40–60%", "60–80%", "80–99%"][min(4, int(5 * miss))]
    want = {"0–20%": 0, "20–40%": 0, "40–60%": 0, "60–80%": 0, "80–99%": 0, "100%": 3}
    want["0–20%"] += 1
    want[band] += 1
    assert total == want
    failures = [b for b in bars if "data-check" in b]
    assert failures[0]["data-check"] == f"{ex.id}/{first}" and failures[0]["data-count"] == "2"
    assert f"expected more from {first}" in dom
    assert "broken &lt;zip&gt;" in dom and "the archive holds a link" in dom


def test_the_page_is_self_contained(page):
    _, html, _, _ = page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert "<script src" not in html


# A student whose file broke a rule of the lab is flagged in every class file, in both
# languages, and an honest one is not.
@pytest.mark.parametrize("lang", ["en", "es"])
def test_tampering_is_flagged_in_every_class_file(tmp_path, exercises, lang):
    from ipclab_grader.course import classreport, gradebook

    ex = exercises[0]
    honest = fake_result(ex, lambda n, p: p)
    caught = fake_result(ex, lambda n, p: 0)
    caught["integrity_flagged"] = True
    caught["exercises"][0].update(
        status="refused",
        integrity=[{"rule": "raw_syscall", "file": ex.files[0], "line": 12, "what": "syscall"}],
    )
    state = {}
    for name, doc in (("honest", honest), ("forger", caught)):
        (tmp_path / "students" / name).mkdir(parents=True)
        (tmp_path / "students" / name / "result.json").write_text(json.dumps(doc))
        state[name] = {"status": "graded"}
    data = gradebook.collect(tmp_path, [ex], lang, state)
    rows = {
        line.split(",")[0].lstrip("\ufeff"): line
        for line in gradebook.gradebook_csv(data).splitlines()
    }
    assert rows["student"].endswith(",integrity")
    assert rows["forger"].endswith(f",{ex.id}:raw_syscall") and rows["honest"].endswith(",")
    summary = gradebook.summary_md(data)
    section = summary.split(f"## {gradebook.labels(lang)['integrity']}")[1]
    assert f"| forger | {ex.id} | raw_syscall | {ex.files[0]}:12 |" in section
    assert "honest" not in section.split("## ")[0]
    html = classreport.render(data)
    assert 'id="integrity"' in html and "<td>forger</td>" in html.split('id="integrity"')[1]
    assert '<tr class="flag"><td>forger ⚑</td>' in html and "<tr><td>honest</td>" in html


def test_the_class_files_words_are_in_message_files_with_the_same_keys():
    """grader/messages/class.{es,en}.toml, as every other word of the grader's outputs."""
    import tomllib
    from ipclab_grader import i18n
    from ipclab_grader.course import gradebook

    es, en = (
        {
            t: tomllib.loads((i18n.DIR / f"class.{lang}.toml").read_text(encoding="utf-8"))[t]
            for t in ("summary", "similarity")
        }
        for lang in ("es", "en")
    )
    for table in es:
        assert set(es[table]) == set(en[table]), table
        for k in es[table]:
            assert set(re.findall(r"\{(\w+)\}", es[table][k])) == set(
                re.findall(r"\{(\w+)\}", en[table][k])
            ), f"[{table}] {k}"
    assert gradebook.labels("en")["title"] == en["summary"]["title"]
    assert gradebook.labels("fr") == gradebook.labels("en")  # a language without a file
