"""A real platform (`spacehost up` as a subprocess) on a free port with its own data dir."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest
import requests

from tests.conftest import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
SPACEHOST = [sys.executable, "-m", "spacehost.cli.main"]


@dataclass
class Running:
    url: str
    port: int
    data_dir: Path
    env: dict[str, str]
    log: Path

    def cli(self, *args: str, check: bool = False,
            timeout: float = 900) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([*SPACEHOST, *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout, cwd=ROOT)
        if check and proc.returncode != 0:
            raise AssertionError(f"spacehost {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stdout}\n{proc.stderr}")
        return proc

    def space_url(self, space: str, style: str) -> str:
        owner, name = space.split("/")
        if style == "path":
            return f"{self.url}/spaces/{space}/"
        return f"http://{owner}-{name}.localhost:{self.port}/".lower()


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    data = tmp_path_factory.mktemp("platform")
    port = free_port()
    env = dict(os.environ)
    env.update({"SPACEHOST_DATA_DIR": str(data), "SPACEHOST_URL": f"http://127.0.0.1:{port}",
                "SPACEHOST_STARTUP_TIMEOUT": "240", "SPACEHOST_MAX_UPLOAD": "5m",
                "SPACEHOST_OWNER": "e2e"})
    env.pop("SPACEHOST_TOKEN", None)
    log = data / "platform.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([*SPACEHOST, "up", "--port", str(port)], env=env, stdout=out,
                                stderr=subprocess.STDOUT, cwd=ROOT)
    running = Running(f"http://127.0.0.1:{port}", port, data, env, log)
    try:
        wait_for(lambda: _healthy(running.url) or proc.poll() is not None, timeout=60,
                 what="the platform to answer")
        assert proc.poll() is None, log.read_text()
        yield running
    finally:
        proc.terminate()
        proc.wait(30)
        _remove_containers(data)
        artifacts = ROOT / "artifacts"
        artifacts.mkdir(exist_ok=True)
        shutil.copy(log, artifacts / "e2e-platform.log")


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/api/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _remove_containers(data: Path) -> None:
    client = docker.from_env()
    for c in client.containers.list(all=True, filters={"label": "spacehost.managed=true"}):
        if c.labels.get("spacehost.space", "").startswith(("e2e/", "examples-e2e/")):
            c.remove(force=True)
