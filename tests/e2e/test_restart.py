"""The platform restarting (or its router dying) loses nothing: spaces keep their state and
running containers are adopted, not rebuilt."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import requests
from gradio_client import Client

from tests.e2e.conftest import ROOT, remove_containers, start_platform, stop_platform
from tests.support.polling import wait_for
from tests.support.ports import free_port

pytestmark = pytest.mark.docker


def test_restart_adopts_running_spaces_and_router_recovers(tmp_path: Path) -> None:
    port = free_port()
    proc, running = start_platform(tmp_path, port)
    try:
        running.cli("push", str(ROOT / "spaces" / "hello"), "--name", "e2e/survivor", check=True)
        running.cli(
            "push", str(ROOT / "spaces" / "static-page"), "--name", "e2e/static", check=True
        )
        before = requests.get(f"{running.url}/api/spaces/e2e/survivor", timeout=10).json()
        stop_platform(proc, running, "restart-1")
        # the containers outlive the platform; the data path is down with the router
        proc, running = start_platform(tmp_path, port)
        after = requests.get(f"{running.url}/api/spaces/e2e/survivor", timeout=10).json()
        assert after["stage"] == "RUNNING" and after["sha"] == before["sha"]
        assert after["builds"] == before["builds"]  # adopted, not rebuilt
        client = Client(running.space_url("e2e/survivor", "path"), verbose=False)
        assert client.predict("again", api_name="/greet") == "Hello, again!"
        assert (
            "A static space"
            in requests.get(running.space_url("e2e/static", "path"), timeout=10).text
        )

        router_pid = _router_pid(proc.pid)
        os.kill(router_pid, signal.SIGKILL)
        wait_for(
            lambda: _answers(running.space_url("e2e/survivor", "path")),
            timeout=5,
            what="the router to serve again after kill -9",
        )
        assert _router_pid(proc.pid) != router_pid
    finally:
        stop_platform(proc, running, "restart-2")
        remove_containers(tmp_path)


def _router_pid(parent: int) -> int:
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    for pid in children:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"spacehost.router" in cmd:
            return int(pid)
    raise AssertionError("no router process under the platform")


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_control_plane_restarts_without_interrupting_running_spaces(tmp_path: Path) -> None:
    port = free_port()
    proc, running = start_platform(tmp_path, port)
    try:
        running.cli("push", str(ROOT / "spaces" / "docker-app"), "--name", "e2e/steady", check=True)
        url = running.space_url("e2e/steady", "path") + "api/hello"
        router_pid = _router_pid(proc.pid)
        failures: list[str] = []
        served = 0
        with requests.Session() as http:

            def hit() -> None:
                nonlocal served
                try:
                    resp = http.get(url, timeout=5)
                    if resp.status_code != 200:
                        failures.append(f"{resp.status_code} {resp.text[:80]}")
                    served += 1
                except requests.RequestException as exc:
                    failures.append(repr(exc))

            # SIGHUP: the control plane re-executes itself; the router keeps serving meanwhile
            os.kill(proc.pid, signal.SIGHUP)
            wait_for(
                lambda: (hit(), not _answers(f"{running.url}/api/health"))[1],
                timeout=10,
                interval=0.01,
                what="the control plane to go down",
            )
            wait_for(
                lambda: (hit(), _answers(f"{running.url}/api/health"))[1],
                timeout=60,
                interval=0.01,
                what="the control plane to come back",
            )
            assert _router_pid(proc.pid) == router_pid  # the same router all along
            # kill -9 of the whole control plane: the router (own session) keeps serving, and
            # the next control plane adopts it instead of starting a second one
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            for _ in range(20):
                hit()
            proc, running = start_platform(tmp_path, port)
            pidfile = tmp_path / "run" / "router.pid"
            assert int(pidfile.read_text()) == router_pid  # adopted, not started again
            hit()
        assert served > 20 and not failures, failures
    finally:
        stop_platform(proc, running, "restart-3")
        remove_containers(tmp_path)
