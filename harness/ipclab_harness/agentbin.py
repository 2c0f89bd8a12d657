"""The sandbox agent's binary: compiled from agent.cpp on first use, cached by its content.

The grader needs g++ anyway (it builds submissions), so the agent is built where it runs
rather than shipped as a binary; the cache key is the source's hash, so an edit rebuilds it.
"""
from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import subprocess
from pathlib import Path

from .atomic import replacing
from .cachedir import cache_base

SOURCE = Path(__file__).with_name("agent.cpp")


class AgentBuildError(RuntimeError):
    pass


def cache_dir() -> Path:
    return cache_base() / "agent"


@functools.lru_cache(maxsize=1)
def agent_binary() -> Path:
    """The path of the compiled agent, building it (once, under a lock) if needed. Asked for
    by every sandbox: the source is hashed once per process."""
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    d = cache_dir()
    d.mkdir(parents=True, exist_ok=True)
    d.chmod(0o755)
    target = d / f"agent-{digest}"
    if not target.exists():
        with open(d / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # parallel graders build it once
            if not target.exists():
                _compile(target)
    return target


def _compile(target: Path) -> None:
    with replacing(target) as tmp:
        cmd = ["g++", "-std=c++17", "-O2", "-Wall", "-Wextra", "-o", str(tmp), str(SOURCE)]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise AgentBuildError(f"cannot build the sandbox agent: {e}") from e
        if r.returncode != 0:
            first = (r.stderr.strip().splitlines() or ["?"])[0]
            raise AgentBuildError(f"cannot build the sandbox agent ({first}); run `make setup`")
        os.chmod(tmp, 0o755)
