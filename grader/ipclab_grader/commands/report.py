"""`./ipclab report RESULT.json`: a saved grade (`grade --format json`) in another format,
without grading again: CI grades once and writes the job summary, JUnit and Classroom's points
from the same result."""
from __future__ import annotations

import os
import sys

from .common import error

NAME = "report"
HELP = (
    "render a saved JSON result (grade --format json) as text, markdown, junit, gradescope "
    "or classroom"
)
ORDER = 55


def register(p) -> None:
    from ..reports.report import FORMATS

    p.add_argument("result", help="a file written by ./ipclab grade --format json")
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("-o", "--output", help="write the report to this file instead of stdout")


def run(args) -> int:
    from ..reports import report, result_file
    from ..manifest import ManifestError, load_all

    try:
        grade = result_file.load(args.result, load_all())
    except (result_file.ResultError, ManifestError) as e:
        return error(str(e))
    text = report.render(
        grade,
        args.format,
        color=args.output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR"),
    )
    if args.output:
        from ipclab_harness.atomic import write_atomic

        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    return 0
