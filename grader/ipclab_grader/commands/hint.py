"""`./ipclab hint EXERCISE`: hints are revealed one at a time; the count lives in .ipclab/."""
from __future__ import annotations

import json

from .. import paths
from .common import add_lang, error, lang, load

NAME = "hint"
HELP = "the next hint of an exercise (one at a time)"
ORDER = 30


def register(p) -> None:
    p.add_argument("exercise")
    add_lang(p)


def run(args) -> int:
    from ..manifest import ManifestError
    try:
        ex = load([args.exercise])[0]
    except ManifestError as e:
        return error(str(e))
    language = lang(args.lang)
    state_file = paths.ROOT / ".ipclab" / "hints.json"
    try:
        seen = json.loads(state_file.read_text())
    except (OSError, ValueError):
        seen = {}
    n = min(seen.get(ex.id, 0) + 1, len(ex.hints))
    seen[ex.id] = n
    state_file.parent.mkdir(exist_ok=True)
    state_file.write_text(json.dumps(seen))
    label = "Pista" if language == "es" else "Hint"
    print(f"{ex.id} — {label} {n}/{len(ex.hints)}:\n{ex.hints[n - 1][language]}")
    return 0
