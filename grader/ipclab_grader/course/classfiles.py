"""A batch's class files, gradebook.csv, summary.md, report.html and similarity.csv, written
from OUT_DIR alone (the per-student results and sources): a resumed batch and a merge of
shards write the same."""
from __future__ import annotations

from pathlib import Path

from ipclab_harness.atomic import write_atomic

from ..manifest import Exercise
from . import classreport, gradebook, similarity


def write_class_files(out: Path, exercises: list[Exercise], language: str, state, names) -> None:
    """The class files of the students `names` (batch.State `state` holds their records)."""
    names = set(names)
    data = gradebook.collect(
        out, exercises, language, {k: v for k, v in state.students.items() if k in names}
    )
    sim_md, sim_html, sim_csv = similarity.class_files(out, names, exercises, language)
    write_atomic(out / "gradebook.csv", gradebook.gradebook_csv(data), parents=True)
    write_atomic(out / "summary.md", gradebook.summary_md(data) + "\n" + sim_md, parents=True)
    write_atomic(out / "report.html", classreport.render(data, (sim_html,)), parents=True)
    write_atomic(out / "similarity.csv", sim_csv, parents=True)
