"""`./ipclab manifest [--cmake|--markdown]`: the exercises as their manifests declare them."""
from __future__ import annotations

from .common import error

NAME = "manifest"
HELP = "list the exercises from their manifests"
ORDER = 90


def register(p) -> None:
    pass


def run(args) -> int:
    from ..manifest import ManifestError, load_all

    try:
        for ex in load_all():
            print(f"{ex.id}  {ex.max_score:3d} pts  {ex.title['en']}")
    except ManifestError as e:
        return error(str(e), 1)
    return 0
