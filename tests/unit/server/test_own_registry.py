"""The registry `spacehost up` starts itself on a Swarm with no SPACEHOST_REGISTRY
(server/registry.py): the real Debian ``docker-registry``, storage under DATA_DIR/registry, kept
across restarts on the same port; one a killed control plane left is stopped; a taken port
stops `spacehost up` with what to do."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from spacehost.errors import EngineUnavailable
from spacehost.runtime.registry_server import DEFAULT_BINARY, RegistryServer, registry_answers
from spacehost.server.down import down
from spacehost.server.registry import registry_pidfile, start_own_registry, stop_own_registry
from spacehost.server.supervisor import alive
from spacehost.settings import Settings
from tests.support.ports import free_port

pytestmark = pytest.mark.skipif(
    not os.path.exists(DEFAULT_BINARY) and not os.environ.get("CI"),
    reason=f"{DEFAULT_BINARY} missing (package docker-registry; scripts/setup.sh installs it)",
)
BLOB = b"a layer"
DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        runtime="swarm",
        swarm_url="unix:///nonexistent.sock",
        swarm_hub_url="http://10.0.0.1:8000",
        registry_port=free_port(),
    )


@pytest.fixture
def started(settings: Settings) -> Iterator[list[RegistryServer]]:
    servers: list[RegistryServer] = []
    yield servers
    for server in servers:
        server.stop()


def push_blob(url: str) -> None:
    begun = requests.post(f"{url}/v2/spacehost/blob/blobs/uploads/", timeout=5)
    location = begun.headers["Location"]
    location = location if location.startswith("http") else url + location
    put = requests.put(location, params={"digest": DIGEST}, data=BLOB, timeout=5)
    assert put.status_code == 201


def has_blob(url: str) -> bool:
    return requests.head(f"{url}/v2/spacehost/blob/blobs/{DIGEST}", timeout=5).ok


def test_it_stores_under_the_data_dir_and_a_restart_serves_the_same_images_on_the_same_port(
    settings: Settings, started: list[RegistryServer]
) -> None:
    first = start_own_registry(settings)
    assert first is not None
    started.append(first)
    url = f"http://{settings.push_registry}"
    push_blob(url)
    assert any((settings.registry_dir / "storage").rglob("data"))

    stop_own_registry(settings, first)
    assert not registry_answers(url)
    assert not registry_pidfile(settings).exists()
    again = start_own_registry(settings)
    assert again is not None
    started.append(again)

    assert again.port == first.port == settings.registry_port
    assert has_blob(url)


def test_one_a_killed_control_plane_left_is_stopped_by_the_next_start_and_by_down(
    settings: Settings, started: list[RegistryServer]
) -> None:
    left = start_own_registry(settings)  # its control plane "dies": nobody calls stop
    assert left is not None and left.pid is not None
    started.append(left)

    again = start_own_registry(settings)  # would find the port taken without the sweep
    assert again is not None and again.pid != left.pid
    started.append(again)
    assert not alive(left.pid)
    assert registry_answers(f"http://{settings.push_registry}")

    assert down(settings) == [f"stopped the registry (pid {again.pid})"]
    assert not registry_answers(f"http://{settings.push_registry}")


def test_no_registry_is_started_for_an_operators_registry_or_the_docker_backend(
    settings: Settings,
) -> None:
    assert start_own_registry(settings.with_(registry="registry.example.com")) is None
    assert start_own_registry(settings.with_(runtime="docker")) is None


def test_spacehost_up_stops_with_what_to_do_when_the_registry_port_is_taken(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **os.environ,
            "SPACEHOST_RUNTIME": "swarm",
            "SPACEHOST_SWARM_URL": "unix:///nonexistent.sock",
            "SPACEHOST_REGISTRY_PORT": str(port),
            "SPACEHOST_BUILTIN_CONTENT": "0",
        }
        for name in ("SPACEHOST_REGISTRY", "SPACEHOST_REGISTRY_PULL", "SPACEHOST_SWARM_HUB_URL"):
            env.pop(name, None)
        done = subprocess.run(
            [sys.executable, "-m", "spacehost.cli.main", "up", "--data-dir", str(tmp_path / "d"),
             "--port", str(free_port())],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    assert done.returncode != 0
    assert f"port {port}" in done.stderr and "the registry cannot listen" in done.stderr
    assert "SPACEHOST_REGISTRY_PORT" in done.stderr


def test_a_missing_registry_binary_says_what_to_install_or_configure(settings: Settings) -> None:
    with pytest.raises(EngineUnavailable) as caught:
        start_own_registry(settings, binary="/nonexistent/docker-registry")

    assert "/nonexistent/docker-registry is missing" in caught.value.message
    assert "docker-registry package" in caught.value.hint
    assert "SPACEHOST_REGISTRY" in caught.value.hint
    assert not registry_pidfile(settings).exists()
