"""OUT_DIR/report.html: the class at a glance. One self-contained file (inline CSS and SVG, no
network, no external asset) so it can be mailed or opened from a USB stick: the distribution of
totals and of each exercise, the checks most often failed with their feedback, and the
submissions that could not be graded. Built from gradebook.ClassData: same input, same page."""
from __future__ import annotations

from html import escape

from .gradebook import ClassData, buckets, labels

_BANDS = ("0–20%", "20–40%", "40–60%", "60–80%", "80–99%", "100%")
_COLORS = ("#c0392b", "#e67e22", "#f1c40f", "#9acd32", "#27ae60", "#1e8449")

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;
color:#222;padding:0 1rem}
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:2px solid #ddd;padding-bottom:.2rem}
.flag{color:#b00020;font-weight:600}tr.flag td{background:#fdecee}
.cards{display:flex;flex-wrap:wrap;gap:1rem;margin:1rem 0}
.card{background:#f4f6f8;border-radius:8px;padding:.7rem 1.1rem;min-width:7rem}
.card b{display:block;font-size:1.6rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:1.2rem}
figure{margin:0;background:#fafbfc;border:1px solid #e3e6ea;border-radius:8px;padding:.6rem}
figcaption{font-weight:600;margin-bottom:.3rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0}
th,td{border-bottom:1px solid #e3e6ea;padding:.35rem .5rem;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
details{margin:.2rem 0}summary{cursor:pointer}
pre{white-space:pre-wrap;background:#f4f6f8;padding:.5rem;border-radius:6px;margin:.3rem 0}
.muted{color:#666}
"""

# Lets a headless browser prove the charts were laid out (the test reads these attributes
# back from the DOM); the page works the same without it.
_PROBE = """<script>
addEventListener('load',function(){var b=document.querySelectorAll('svg.chart rect.bar'),n=0;
b.forEach(function(r){var h=r.getBoundingClientRect().height;r.setAttribute('data-rendered-height',h.toFixed(1));if(h>0)n++;});
document.body.setAttribute('data-bars-rendered',String(n));});
</script>"""


def _hist_svg(counts: list[int], caption: str, chart_id: str) -> str:
    w, h, pad, top = 320, 170, 28, 16
    bw = (w - 2 * pad) / len(counts)
    peak = max(counts) or 1
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" '
        f'aria-label="{escape(caption)}" viewBox="0 0 {w} {h + 34}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{pad}" y1="{h}" x2="{w - pad}" y2="{h}" stroke="#999"/>',
    ]
    for i, c in enumerate(counts):
        bh = 0 if c == 0 else max(2.0, (h - top - 4) * c / peak)
        x = pad + i * bw + 3
        parts.append(
            f'<rect class="bar" data-band="{_BANDS[i]}" data-count="{c}" x="{x:.1f}" '
            f'y="{h - bh:.1f}" width="{bw - 6:.1f}" height="{bh:.1f}" fill="{_COLORS[i]}">'
            f"<title>{_BANDS[i]}: {c}</title></rect>"
        )
        parts.append(
            f'<text class="count" x="{x + (bw - 6) / 2:.1f}" y="{h - bh - 4:.1f}" '
            f'text-anchor="middle" font-size="12">{c}</text>'
        )
        parts.append(
            f'<text x="{x + (bw - 6) / 2:.1f}" y="{h + 16}" text-anchor="middle" '
            f'font-size="10" fill="#555">{_BANDS[i]}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _failures_svg(data: ClassData) -> str:
    top = data.top_failures()
    if not top:
        return ""
    n = max(1, len(data.graded))
    w, row, left = 700, 24, 260
    parts = [
        f'<svg class="chart" id="chart-failures" viewBox="0 0 {w} {row * len(top) + 10}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, c in enumerate(top):
        y = 5 + i * row
        bw = (w - left - 60) * c.failed / n
        label = f"{c.exercise} · {c.title}"
        label = label if len(label) <= 42 else label[:41] + "…"
        parts.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(label)}</text>"
        )
        parts.append(
            f'<rect class="bar" data-check="{escape(c.exercise + "/" + c.name)}" '
            f'data-count="{c.failed}" x="{left}" y="{y + 3}" width="{max(bw, 2):.1f}" '
            f'height="{row - 8}" fill="#c0392b"><title>{c.failed}/{n}</title></rect>'
        )
        parts.append(
            f'<text x="{left + max(bw, 2) + 6:.1f}" y="{y + 15}" font-size="12">'
            f"{c.failed}/{n}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def render(data: ClassData, sections: tuple[tuple[str, str], ...] = ()) -> str:
    """`sections`: (css, html) of more parts of the page (the similarity report), placed
    before the table of students."""
    L = labels(data.lang)
    g = data.graded
    totals = [r.total for r in g]
    mean = f"{sum(totals) / len(totals):.1f}" if totals else "–"
    cards = [
        (L["subs"], len(data.rows)),
        (L["graded"], len(g)),
        (L["errors"], len(data.errors)),
        (L["mean"], f"{mean} / {data.max_total}"),
        (L["full"], sum(1 for r in g if r.total == data.max_total)),
    ]
    html = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(data.lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f'<title>ipclab · {escape(L["title"])}</title>'
        f'<style>{_CSS}{"".join(css for css, _ in sections)}</style>{_PROBE}</head><body>',
        f'<h1>{escape(L["title"])}</h1>',
        '<div class="cards" id="cards">',
    ]
    for label, value in cards:
        html.append(
            f'<div class="card"><span>{escape(label)}</span><b>{escape(str(value))}</b></div>'
        )
    html.append("</div>")
    html.append(
        f'<h2>{escape(L["total"])}</h2><div class="grid"><figure>'
        f'<figcaption>{escape(L["total"])} (/{data.max_total})</figcaption>'
        f'{_hist_svg(buckets(totals, data.max_total), L["total"], "chart-total")}'
        "</figure></div>"
    )
    html.append(f'<h2>{escape(L["per_exercise"])}</h2><div class="grid">')
    for ex_id, title, mx in data.exercises:
        sc = data.exercise_scores(ex_id)
        st = [r.statuses.get(ex_id) for r in g]
        note = (
            f'{L["no_compile"]}: {st.count("build_failed")} · '
            f'{L["not_sub"]}: {st.count("not_submitted")}'
        )
        html.append(
            f"<figure><figcaption>{escape(ex_id)} · {escape(title)} (/{mx})</figcaption>"
            f'{_hist_svg(buckets(sc, mx), ex_id, "chart-" + ex_id)}'
            f'<div class="muted">{escape(note)}</div></figure>'
        )
    html.append("</div>")
    html.append(f'<h2>{escape(L["failures"])}</h2>')
    top = data.top_failures()
    if top:
        html.append(_failures_svg(data))
        html.append('<div id="failures">')
        for c in top:
            html.append(
                f'<details class="failure" data-count="{c.failed}"><summary>'
                f"<b>{escape(c.exercise)}</b> · {escape(c.title)} — {c.failed} "
                f'{escape(L["failed"].lower())}</summary>'
            )
            for msg, count in sorted(c.feedback.items(), key=lambda kv: (-kv[1], kv[0]))[:5]:
                html.append(f'<pre>{escape(msg)}</pre><div class="muted">× {count}</div>')
            html.append("</details>")
        html.append("</div>")
    else:
        html.append(f'<p class="muted">{escape(L["none"])}</p>')
    html.append(f'<h2>{escape(L["errors"])}</h2>')
    if data.errors:
        html.append(
            f'<table id="errors"><tr><th>{escape(L["student"])}</th>'
            f'<th>{escape(L["reason"])}</th></tr>'
        )
        for r in data.errors:
            html.append(f"<tr><td>{escape(r.student)}</td><td>{escape(r.error)}</td></tr>")
        html.append("</table>")
    else:
        html.append(f'<p class="muted" id="errors">{escape(L["none"])}</p>')
    flagged = [r for r in data.graded if r.integrity]
    if flagged:
        # Attempts to tamper with the score (integrity.py): first, before the students' list.
        html.append(
            f'<h2 class="flag">{escape(L["integrity"])}</h2>'
            f'<p>{escape(L["integrity_note"])}</p><table id="integrity"><tr>'
            f'<th>{escape(L["student"])}</th><th>{escape(L["exercise"])}</th>'
            f'<th>{escape(L["rule"])}</th><th>{escape(L["where"])}</th></tr>'
        )
        for r in flagged:
            for ex, rule, where in r.integrity:
                html.append(
                    f"<tr><td>{escape(r.student)}</td><td>{escape(ex)}</td>"
                    f"<td>{escape(rule)}</td><td>{escape(where)}</td></tr>"
                )
        html.append("</table>")
    html += [part for _, part in sections]
    html.append(
        f'<h2>{escape(L["student"])}</h2><table id="students"><tr>'
        f'<th>{escape(L["student"])}</th>'
        + "".join(f'<th class="n">{escape(i)}</th>' for i, _, _ in data.exercises)
        + f'<th class="n">{escape(L["total"])}</th></tr>'
    )
    for r in data.rows:
        if r.status == "graded":
            bad = {ex for ex, _, _ in r.integrity}
            cells = "".join(
                f'<td class="n{" flag" if i in bad else ""}">{r.scores.get(i, 0)}'
                f'{" ⚑" if i in bad else ""}</td>'
                for i, _, _ in data.exercises
            )
            mark = ' class="flag"' if bad else ""
            html.append(
                f'<tr{mark}><td>{escape(r.student)}{" ⚑" if bad else ""}</td>{cells}'
                f'<td class="n">{r.total}</td></tr>'
            )
        else:
            html.append(
                f"<tr><td>{escape(r.student)}</td>"
                f'<td colspan="{len(data.exercises) + 1}" class="muted">'
                f"{escape(r.error)}</td></tr>"
            )
    html.append("</table></body></html>")
    return "\n".join(html) + "\n"
