"""What the benchmarks share: where the repository is, free ports, and a `spacehost up` of
their own (a subprocess on loopback with its own data dir). Imported by the bench scripts,
which run as ``.venv/bin/python bench/NAME.py`` (so this folder is on ``sys.path``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "spacehost.cli.main"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def platform_env(data: Path, port: int, extra_env: dict[str, str]) -> dict[str, str]:
    """The environment of a platform on *port* with data dir *data*, and of the CLI that talks
    to it: this process's, *extra_env* over it, never an inherited SPACEHOST_TOKEN."""
    env = {
        **os.environ,
        "SPACEHOST_DATA_DIR": str(data),
        "SPACEHOST_URL": f"http://127.0.0.1:{port}",
        **extra_env,
    }
    env.pop("SPACEHOST_TOKEN", None)
    return env


def launch_platform(data: Path, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start `spacehost up` on *port* with *env* (see :func:`platform_env`), its log in
    ``data/platform.log``; the caller waits for it to answer and stops it."""
    with open(data / "platform.log", "ab") as log:
        return subprocess.Popen(
            [*CLI, "up", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
