"""What `spacehost up` does on each signal, on a real platform: SIGTERM stops the control plane
and leaves the router serving, so a service manager's stop-and-start (SIGTERM, then a new `up`,
which adopts the router) fails no request to a running space; `spacehost down` stops the
router too, and so does Ctrl-C (SIGINT)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import ROOT, remove_containers, start_platform, stop_platform
from tests.e2e.loops import RequestLoop
from tests.support.polling import wait_for
from tests.support.ports import free_port

pytestmark = pytest.mark.docker
SPACE = "e2e/steady-term"


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def refused(url: str) -> bool:
    try:
        requests.get(url, timeout=2)
    except requests.ConnectionError:
        return True
    return False


def test_sigterm_then_up_fails_no_request_and_down_stops_everything(tmp_path: Path) -> None:
    port = free_port()
    proc, running = start_platform(tmp_path, port)
    try:
        running.cli("push", str(ROOT / "spaces" / "docker-app"), "--name", SPACE, check=True)
        url = running.space_url(SPACE, "path") + "api/hello"
        router = int((tmp_path / "run" / "router.pid").read_text())
        with RequestLoop(url, timeout=10) as loop:
            wait_for(lambda: loop.served > 20, what="the space to be served")
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
            assert alive(router)  # the data path stays up without its control plane
            during = loop.served
            wait_for(lambda: loop.served > during + 20, what="requests without a control plane")
            proc, running = start_platform(tmp_path, port)  # a service manager's restart
            assert int((tmp_path / "run" / "router.pid").read_text()) == router  # adopted
            after = loop.served
            wait_for(lambda: loop.served > after + 20, what="requests after the new `up`")
        assert loop.failures == [], loop.failures[:5]
        assert "keeps serving running spaces" in running.log.read_text()

        down = running.cli("down", "--data-dir", str(tmp_path), check=True)
        assert f"router (pid {router})" in down.stdout + down.stderr, down
        proc.wait(30)
        assert not alive(router) and refused(url)
        assert "nothing" in running.cli("down", "--data-dir", str(tmp_path), check=True).stdout

        proc, running = start_platform(tmp_path, port)  # a new router: none was left
        router = int((tmp_path / "run" / "router.pid").read_text())
        proc.send_signal(signal.SIGINT)  # Ctrl-C: everything stops
        proc.wait(60)
        wait_for(lambda: not alive(router), timeout=10, what="the router to stop with Ctrl-C")
        assert refused(url) and not (tmp_path / "run" / "router.pid").exists()
    finally:
        stop_platform(proc, running, "up-signals")
        pidfile = tmp_path / "run" / "router.pid"
        if pidfile.exists() and alive(int(pidfile.read_text())):
            os.kill(int(pidfile.read_text()), signal.SIGTERM)
        remove_containers(tmp_path)
