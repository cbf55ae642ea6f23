"""The registry spacehost starts itself: the real Debian ``docker-registry`` binary, a generated
configuration, storage under the folder it is given."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from spacehost.errors import EngineUnavailable, PortUnavailable
from spacehost.runtime.registry_server import (
    DEFAULT_BINARY,
    RegistryServer,
    registry_answers,
    render_config,
)
from tests.support.ports import free_port

needs_binary = pytest.mark.skipif(
    not os.path.exists(DEFAULT_BINARY) and not os.environ.get("CI"),
    reason=f"{DEFAULT_BINARY} missing (package docker-registry; scripts/setup.sh installs it)",
)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[RegistryServer]:
    server = RegistryServer(tmp_path / "registry", port=free_port())
    server.start()
    yield server
    server.stop()


def test_config_names_storage_address_and_secret() -> None:
    config = yaml.safe_load(render_config(Path("/srv/reg/storage"), ":5123", "s3cret"))

    assert config["storage"]["filesystem"]["rootdirectory"] == "/srv/reg/storage"
    assert config["http"] == {"addr": ":5123", "secret": "s3cret"}
    assert "auth" not in config


@needs_binary
def test_a_blob_pushed_is_stored_under_its_folder(registry: RegistryServer) -> None:
    blob = b"layer bytes"
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()

    started = requests.post(f"{registry.url}/v2/shsw/blob/blobs/uploads/", timeout=5)
    assert started.status_code == 202
    location = started.headers["Location"]
    location = location if location.startswith("http") else registry.url + location
    put = requests.put(location, params={"digest": digest}, data=blob, timeout=5)

    assert put.status_code == 201
    stored = list((registry.root / "storage").rglob("data"))
    assert any(path.read_bytes() == blob for path in stored)
    assert requests.head(f"{registry.url}/v2/shsw/blob/blobs/{digest}", timeout=5).ok


@needs_binary
def test_stop_ends_it_and_start_again_serves_the_same_storage(registry: RegistryServer) -> None:
    registry.stop()
    assert not registry_answers(registry.url)
    registry.stop()  # twice is fine

    registry.start()
    assert registry_answers(registry.url)


@needs_binary
def test_a_taken_port_is_refused_with_a_hint(registry: RegistryServer, tmp_path: Path) -> None:
    second = RegistryServer(tmp_path / "second", port=registry.port)

    with pytest.raises(PortUnavailable) as caught:
        second.start()

    assert str(registry.port) in caught.value.message
    assert "another port" in caught.value.hint


def test_a_missing_binary_says_which_package_to_install(tmp_path: Path) -> None:
    server = RegistryServer(tmp_path, port=free_port(), binary="/nonexistent/docker-registry")

    with pytest.raises(EngineUnavailable) as caught:
        server.start()

    assert "docker-registry package" in caught.value.hint


def test_a_registry_that_exits_reports_its_log(tmp_path: Path) -> None:
    (tmp_path / "registry.log").write_text("listen: address already in use\n")
    server = RegistryServer(tmp_path, port=free_port(), binary="false")

    with pytest.raises(EngineUnavailable) as caught:
        server.start(timeout=10)

    assert "exited" in caught.value.message
    assert "address already in use" in caught.value.details["log_tail"]
    assert not server.running
