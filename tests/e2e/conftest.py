"""A real platform (`spacehost up` as a subprocess) on a free port with its own data dir."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest
import requests
from playwright.sync_api import Browser, Page

from spacehost.runtime.isolation import BRIDGE_NAME_OPTION, Firewall
from spacehost.runtime.storage import DISKS_DIR, release_all
from spacehost.settings import Settings
from tests.support.polling import wait_for
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
SPACEHOST = [sys.executable, "-m", "spacehost.cli.main"]


@dataclass
class Running:
    url: str
    port: int
    data_dir: Path
    env: dict[str, str]
    log: Path

    def cli(
        self, *args: str, check: bool = False, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [*SPACEHOST, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"spacehost {' '.join(args)} failed ({proc.returncode}):\n"
                f"{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def space_url(self, space: str, style: str) -> str:
        owner, name = space.split("/")
        if style == "path":
            return f"{self.url}/spaces/{space}/"
        return f"http://{owner}-{name}.localhost:{self.port}/".lower()


def start_platform(
    data: Path,
    port: int,
    extra_env: dict[str, str] | None = None,
) -> tuple[subprocess.Popen[bytes], Running]:
    """`spacehost up` on *port* with data dir *data* (and *extra_env*), once it answers."""
    env = dict(os.environ)
    env.update(
        {
            "SPACEHOST_DATA_DIR": str(data),
            "SPACEHOST_URL": f"http://127.0.0.1:{port}",
            "SPACEHOST_STARTUP_TIMEOUT": "240",
            "SPACEHOST_MAX_UPLOAD": "5m",
            "SPACEHOST_OWNER": "e2e",
        }
    )
    env.pop("SPACEHOST_TOKEN", None)
    env.update(extra_env or {})
    log = data / "platform.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [*SPACEHOST, "up", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    running = Running(f"http://127.0.0.1:{port}", port, data, env, log)
    wait_for(
        lambda: _healthy(running.url) or proc.poll() is not None,
        timeout=60,
        what="the platform to answer",
    )
    assert proc.poll() is None, log.read_text()
    return proc, running


def stop_platform(proc: subprocess.Popen[bytes], running: Running, name: str) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: the router too (SIGTERM would leave it)
        proc.wait(30)
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(running.log, artifacts / f"{name}-platform.log")


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    proc, running = start_platform(tmp_path_factory.mktemp("platform"), free_port())
    try:
        yield running
    finally:
        stop_platform(proc, running, "e2e")
        remove_containers(running.data_dir)


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/api/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def remove_containers(data: Path) -> None:
    """Remove what the platform of *data* left running (spaces outlive `up` by design)."""
    instance = Settings(data_dir=data).instance
    client = docker.from_env()
    for c in client.containers.list(all=True, filters={"label": f"spacehost.instance={instance}"}):
        c.stop(timeout=0)  # its overlay lets go of its layer's disk
    release_all(data / DISKS_DIR)
    for c in client.containers.list(all=True, filters={"label": f"spacehost.instance={instance}"}):
        c.remove(force=True)
    for v in client.volumes.list(filters={"label": f"spacehost.instance={instance}"}):
        v.remove(force=True)
    for n in client.networks.list(filters={"label": f"spacehost.instance={instance}"}):
        n.remove()  # a job network left by a job still running when the platform stopped
        Firewall().remove_rules(n.attrs["Options"][BRIDGE_NAME_OPTION])
    release_all(data / DISKS_DIR)  # the spaces' disk limits (runtime/storage.py)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian chromium for one test module (see tests/e2e/chromium.py)."""
    from tests.e2e.chromium import chromium

    with chromium() as b:
        yield b


@pytest.fixture()
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context and page; a module may set ``VIEWPORT``."""
    viewport = getattr(request.module, "VIEWPORT", {"width": 1200, "height": 900})
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(60_000)  # a loaded 2-core CI machine is slow
    p = context.new_page()
    yield p
    context.close()
