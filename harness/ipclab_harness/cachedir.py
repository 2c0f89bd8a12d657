"""Where ipclab keeps what it builds (submissions' programs, the sandbox agent, ccache).

$IPCLAB_CACHE if set; for root /var/cache/ipclab (the sandbox's user, nobody, must be able
to reach the programs, and root's ~/.cache is private); else ~/.cache/ipclab."""
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
    if os.geteuid() == 0:
        _let_nobody_through(base)
    return base


def _let_nobody_through(base: Path) -> None:
    """As root, student programs run as nobody and are started from this cache: a cache made
    with mkdtemp (0700) would shut them out. Opening the way (o+x, not o+r) is enough."""
    base.mkdir(parents=True, exist_ok=True)
    st = base.stat()
    if st.st_uid == 0 and not st.st_mode & 0o001:
        base.chmod(st.st_mode | 0o001)
