"""Shared test helpers: polling, free ports, Docker availability."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from hypothesis import settings

# Property tests must not fail on timing: a loaded 2-core CI machine can stall any example.
settings.register_profile("spacehost", deadline=None, derandomize=bool(os.environ.get("CI")))
settings.load_profile("spacehost")

T = TypeVar("T")


def wait_for(
    cond: Callable[[], T], timeout: float = 30.0, interval: float = 0.05, what: str = "condition"
) -> T:
    """Poll *cond* until it returns something truthy; fail after *timeout* seconds."""
    end = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
