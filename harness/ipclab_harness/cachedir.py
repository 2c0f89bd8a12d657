"""Where ipclab keeps what it builds (submissions' programs, the sandbox agent, ccache).

$IPCLAB_CACHE if set; for root /var/cache/ipclab (the sandbox's user, nobody, must be able
to reach the programs, and root's ~/.cache is private); else ~/.cache/ipclab."""
from __future__ import annotations

import os
from pathlib import Path


def cache_base() -> Path:
    if os.environ.get("IPCLAB_CACHE"):
        return Path(os.environ["IPCLAB_CACHE"]).absolute()  # the checks run elsewhere
    if os.geteuid() == 0:
        return Path("/var/cache/ipclab")
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "ipclab"
