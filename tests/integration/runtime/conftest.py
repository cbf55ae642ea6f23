"""The engine and the test image for the runtime's integration tests (tests/support/
docker_runtime.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from docker import DockerClient

from tests.support import docker_runtime


@pytest.fixture(scope="session")
def client() -> Iterator[DockerClient]:
    yield from docker_runtime.connect()


@pytest.fixture(scope="session")
def image(client: DockerClient) -> str:
    return docker_runtime.build_test_image(client)
