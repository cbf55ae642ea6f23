"""The git CLI as a user runs it in the tests: a home of its own, never prompting, a fixed
author."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def git(
    cwd: Path, *args: str, home: Path, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``git ARGS`` in *cwd* with HOME=*home*; asserts success unless *check* is False."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "bob",
        "GIT_AUTHOR_EMAIL": "bob@example.com",
        "GIT_COMMITTER_NAME": "bob",
        "GIT_COMMITTER_EMAIL": "bob@example.com",
    }
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check:
        assert proc.returncode == 0, f"git {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc
