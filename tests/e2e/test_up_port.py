"""`spacehost up` on a port another program holds: a clear error and a non-zero exit at once,
not a router restarted in a loop."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from tests.e2e.conftest import ROOT, SPACEHOST


def test_up_on_a_taken_port_exits_with_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {**os.environ, "SPACEHOST_DATA_DIR": str(tmp_path / "data")}
        done = subprocess.run(
            [*SPACEHOST, "up", "--port", str(port)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 11, done.stdout + done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "--port" in done.stderr  # the hint says what to do
    # nothing was started: no router pidfile, no control socket
    assert not list((tmp_path / "data").rglob("router.pid"))
    assert not list((tmp_path / "data").rglob("*.sock"))
