"""The Docker daemon restarting: every container stops with it (no live-restore), and the
platform brings the space back by itself once the daemon answers again, through the router, at
stage RUNNING, without rebuilding it.

This test stops and starts the real daemon (as scripts/setup.sh starts it), which stops every
container on the engine: it runs only when selected by its marker, and scripts/test.sh runs it
last, on its own (``-m daemon_restart``). To
try it without disturbing anything else, point it at a private daemon:
``SPACEHOST_TEST_DOCKERD`` (the dockerd command line, default ``dockerd``),
``SPACEHOST_TEST_DOCKERD_PIDFILE`` (default /var/run/docker.pid),
``SPACEHOST_TEST_DOCKERD_LOG`` and ``DOCKER_HOST`` (its socket; the platform under test uses it
too).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from gradio_client import Client

from tests.e2e.conftest import ROOT, Running, remove_containers, start_platform, stop_platform
from tests.support.polling import wait_for
from tests.support.ports import free_port

pytestmark = [pytest.mark.docker, pytest.mark.daemon_restart]

SPACE = "e2e/through-restart"
DOCKERD = os.environ.get("SPACEHOST_TEST_DOCKERD", "dockerd")
PIDFILE = Path(os.environ.get("SPACEHOST_TEST_DOCKERD_PIDFILE", "/var/run/docker.pid"))
DOCKERD_LOG = os.environ.get("SPACEHOST_TEST_DOCKERD_LOG", "/var/log/spacehost-dockerd.log")
SUDO = "" if os.geteuid() == 0 else "sudo -n "  # as scripts/setup.sh: root, or sudo


def docker_answers() -> bool:
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


def restart_dockerd() -> float:
    """Stop the daemon (SIGTERM: it stops its containers first), start it again as
    scripts/setup.sh does; returns the monotonic time at which it answers again."""
    pid = int(PIDFILE.read_text().strip())
    subprocess.run(f"{SUDO}kill -{int(signal.SIGTERM)} {pid}", shell=True, check=True)
    wait_for(lambda: not Path(f"/proc/{pid}").exists(), timeout=120, what="dockerd to exit")
    subprocess.run(f"({SUDO}setsid {DOCKERD} >{DOCKERD_LOG} 2>&1 &)", shell=True, check=True)
    wait_for(docker_answers, timeout=120, interval=0.2, what="dockerd to answer again")
    return time.monotonic()


def space(running: Running) -> dict[str, Any]:
    resp = requests.get(f"{running.url}/api/spaces/{SPACE}", timeout=10)
    resp.raise_for_status()
    result: dict[str, Any] = resp.json()
    return result


def greets(running: Running) -> bool:
    """The space answers a gradio_client call through the router."""
    try:
        client = Client(running.space_url(SPACE, "path"), verbose=False)
        return bool(client.predict("again", api_name="/greet") == "Hello, again!")
    except Exception:  # not back yet: any failure of the client is a "no"
        return False


@pytest.fixture(autouse=True)
def asked_for(request: pytest.FixtureRequest) -> None:
    """Only when selected by its marker: a plain `pytest tests/` must not stop every container
    on the engine under other work."""
    if "daemon_restart" not in str(request.config.getoption("markexpr")):
        pytest.skip(
            "restarts the Docker daemon: run it alone with -m daemon_restart "
            "(scripts/test.sh does, last)"
        )


def test_spaces_serve_again_after_the_docker_daemon_restarts(tmp_path: Path) -> None:
    extra = (
        {"SPACEHOST_DOCKER_URL": os.environ["DOCKER_HOST"]} if "DOCKER_HOST" in os.environ else {}
    )
    proc, running = start_platform(tmp_path, free_port(), extra)
    try:
        running.cli("push", str(ROOT / "spaces" / "hello"), "--name", SPACE, check=True)
        assert greets(running)
        before = space(running)
        back = restart_dockerd()
        wait_for(
            lambda: greets(running),
            timeout=180,
            interval=0.2,
            what="the space to answer through the router again",
        )
        serving_after_s = time.monotonic() - back
        after = space(running)
        assert after["stage"] == "RUNNING", after
        assert after["sha"] == before["sha"] and after["builds"] == before["builds"]  # no rebuild
        runtime = requests.get(f"{running.url}/api/spaces/{SPACE}/runtime", timeout=10).json()
        assert runtime["stage"] == "RUNNING" and runtime["errorMessage"] is None, runtime
        artifacts = ROOT / "artifacts"
        artifacts.mkdir(exist_ok=True)
        (artifacts / "daemon-restart.json").write_text(
            json.dumps({"daemon_back_to_space_serving_s": round(serving_after_s, 2)})
        )
        print(
            f"daemon restart: the space serves again {serving_after_s:.2f} s after dockerd answers"
        )
    finally:
        stop_platform(proc, running, "daemon-restart")
        remove_containers(tmp_path)
