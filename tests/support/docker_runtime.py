"""Space containers on the real Docker Engine for the runtime's integration tests: a tiny image
FROM spacehost/base:bookworm, container specs labelled with this run's id (teardown removes by
that label, never another run's objects), and probes of what a container answers.
"""

from __future__ import annotations

import http.client
import io
import secrets
from collections.abc import Callable, Iterator

import docker
import pytest
from docker import DockerClient

from spacehost.domain import SpaceId
from spacehost.runtime.base import ContainerInfo, ContainerSpec, RuntimeBackend

BASE_IMAGE = "spacehost/base:bookworm"
TEST_IMAGE = "spacehost-test/runtime:latest"
# The app dir exists and belongs to uid 1000, as in the python runtime image; /data does not, so
# the backend's own preparation of a new volume is what makes it writable.
DOCKERFILE = f"""\
FROM {BASE_IMAGE}
RUN mkdir -p /home/user/app && chown -R 1000:1000 /home/user
"""
RUN_ID = secrets.token_hex(3)
TEST_LABEL = "spacehost.test-run"
HTTP_SERVER = ("python3", "-m", "http.server", "7860")


def connect() -> Iterator[DockerClient]:
    """A client of the local engine (the body of a session fixture); skips without one."""
    try:
        c = docker.from_env()
        c.ping()
    except docker.errors.DockerException as exc:
        pytest.skip(f"no Docker engine: {exc}")
    yield c
    c.close()


def build_test_image(client: DockerClient) -> str:
    """Build :data:`TEST_IMAGE` (cached by the engine after the first time); its tag."""
    try:
        client.images.get(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        pytest.skip(f"{BASE_IMAGE} missing: run runtime_images/base/bootstrap.sh bookworm")
    client.images.build(fileobj=io.BytesIO(DOCKERFILE.encode()), tag=TEST_IMAGE, rm=True)
    return TEST_IMAGE


def remove_test_objects(client: DockerClient) -> None:
    """Remove this run's containers and volumes (by label and name, nobody else's)."""
    for c in client.containers.list(all=True, filters={"label": f"{TEST_LABEL}={RUN_ID}"}):
        c.remove(force=True)
    for v in client.volumes.list(filters={"label": "spacehost.managed=true"}):
        if v.name.startswith(f"rttest-{RUN_ID}-"):
            v.remove(force=True)


def space(name: str = "demo") -> SpaceId:
    """A space of this run's test owner."""
    return SpaceId(f"rttest-{RUN_ID}", name)


def make_spec(command: tuple[str, ...] = HTTP_SERVER, **changes: object) -> ContainerSpec:
    """A small spec of :data:`TEST_IMAGE` running *command* (by default an HTTP server on the
    app port), labelled with this run's id; *changes* replace any field."""
    fields: dict[str, object] = {
        "space": space(),
        "revision": "0123456789abcdef",
        "image": TEST_IMAGE,
        "command": command,
        "memory_limit": 256 << 20,
        "cpus": 0.5,
        "pids_limit": 64,
        "labels": {TEST_LABEL: RUN_ID},
    }
    fields.update(changes)
    return ContainerSpec(**fields)  # type: ignore[arg-type]


def sh(script: str) -> tuple[str, ...]:
    """A command running *script* in ``sh -c``."""
    return ("sh", "-c", script)


def http_status(host: str, port: int) -> int | None:
    """The status of ``GET /`` at *host*:*port*; None when nothing answers."""
    conn = http.client.HTTPConnection(host, port, timeout=2)
    try:
        conn.request("GET", "/")
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


def exited(backend: RuntimeBackend, container_id: str) -> Callable[[], ContainerInfo | None]:
    """A probe for ``wait_for``: the container's state once it has exited, else None."""

    def probe() -> ContainerInfo | None:
        info = backend.inspect(container_id)
        return info if info is not None and info.status == "exited" else None

    return probe
