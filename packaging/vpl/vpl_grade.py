#!/usr/bin/python3
"""The body of VPL's vpl_execution: grades the student's files (flat in the working folder,
as VPL places them) for the activity's exercise and prints what VPL reads: comments between
`<|--` and `--|>` (a `-Title (-penalty)` section per failed check, `>` lines for details) and,
last, `Grade :=>>N` on VPL_GRADEMIN..VPL_GRADEMAX, in VPL_LANG's language.

VPL's jail runs programs as uids 10000-12000 without user namespaces under its chroot, so
bubblewrap usually cannot start: the package then grades unsandboxed (built with
--allow-unsandboxed, the default of `./ipclab vpl`) and says so in the comments."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

LAB = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(LAB / "grader"), str(LAB / "harness")]

from ipclab_grader.reports import platforms, vpl  # noqa: E402
from ipclab_grader.manifest import by_id, load_all  # noqa: E402


def main() -> int:
    cfg = json.loads((LAB / "ipclab-platform.json").read_text(encoding="utf-8"))
    lang = platforms.lang_of(os.environ.get("VPL_LANG"), cfg.get("lang", "es"))
    ex = by_id(load_all(), cfg["exercises"][0])
    # VPL stops the evaluation at the activity's maximum time; stop a little before it.
    maxtime = os.environ.get("VPL_MAXTIME", "").strip()
    timeout = max(10, int(maxtime) - 5) if maxtime.isdigit() else 300
    grade = platforms.grade_flat(Path.cwd(), ex, lang, timeout, cfg.get("allow_unsandboxed", True),
                                 "ipclab-vpl-")
    sys.stdout.write(vpl.render(grade, ipc_private=platforms.ipc_namespace_private()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
