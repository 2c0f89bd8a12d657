"""Where ipclab keeps what it builds (submissions' programs, the sandbox agent, ccache).

$IPCLAB_CACHE if set; for root /var/cache/ipclab; else ~/.cache/ipclab. The folders above it
may be private: the sandbox is handed what it needs of the cache as open descriptors
(sandbox.prepare), never by path."""
from __future__ import annotations

import os
from pathlib import Path


def cache_base() -> Path:
    if os.environ.get("IPCLAB_CACHE"):
        base = Path(os.environ["IPCLAB_CACHE"]).absolute()  # the checks run elsewhere
    elif os.geteuid() == 0:
        base = Path("/var/cache/ipclab")
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "ipclab"
    return base
