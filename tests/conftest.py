"""Hooks and session fixtures for every test: the hypothesis profile, skipping Docker tests
without an engine, ``*.localhost`` resolving to loopback.

Helpers live in tests/support/; ``wait_for`` and ``free_port`` are re-exported here for the
tests that import them from this module."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from docker import DockerClient
from hypothesis import settings

from tests.support.polling import wait_for as wait_for
from tests.support.ports import free_port as free_port
from tests.support.swarm_cluster import SwarmCluster, cluster_for_tests

# Property tests must not fail on timing: a loaded 2-core CI machine can stall any example.
settings.register_profile("spacehost", deadline=None, derandomize=bool(os.environ.get("CI")))
settings.load_profile("spacehost")


def docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=5).ping()
        return True
    except Exception:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if docker_available() or os.environ.get("CI"):
        return  # in CI a missing engine must fail the Docker tests, not skip them
    skip = pytest.mark.skip(reason="no Docker Engine reachable (scripts/setup.sh starts one)")
    for item in items:
        if "docker" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def localhost_subdomains_resolve() -> Iterator[None]:
    """Resolve ``*.localhost`` to loopback in this process, as browsers do (RFC 6761 §6.3);
    glibc without nss-myhostname does not, and the e2e tests call space hosts directly."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kw: Any) -> Any:
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return real(host, *args, **kw)

    socket.getaddrinfo = getaddrinfo
    yield
    socket.getaddrinfo = real


@pytest.fixture(scope="session")
def swarm_cluster() -> Iterator[SwarmCluster]:
    """The live three-engine Docker Swarm (tests/support/swarm_cluster.py), one per session
    (one cluster per machine at a time); a test that kills, drains or adds a node puts the
    cluster back as it found it. Skips where no cluster can be built (not root, no netns)."""
    yield from cluster_for_tests()


@pytest.fixture(scope="module")
def manager(swarm_cluster: SwarmCluster) -> Iterator[DockerClient]:
    """A client of the live swarm's manager engine (the swarm tests' ``docker`` of it)."""
    c = DockerClient(base_url=swarm_cluster.manager_url)
    yield c
    c.close()
