"""What hub mounts need from DockerBackend, on the real engine: volume mounts owned by the app's
user, read-only binds, and short no-network tasks (run_task) sharing them with the app."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from docker import DockerClient

from spacehost.domain import SpaceId
from spacehost.runtime.base import ContainerSpec, Mount
from spacehost.runtime.docker_backend import DockerBackend
from spacehost.runtime.gpu import GpuHost

pytestmark = pytest.mark.docker

BASE_IMAGE = "spacehost/base:bookworm"
TEST_IMAGE = "spacehost-test/hubmounts:latest"
# as the python runtime layer: home and the huggingface cache folders belong to uid 1000
DOCKERFILE = f"""\
FROM {BASE_IMAGE}
RUN mkdir -p /home/user/app /home/user/.cache/huggingface/hub \
    /home/user/.cache/huggingface/datasets && chown -R 1000:1000 /home/user
"""
INSTANCE = f"hubtest-{secrets.token_hex(3)}"
CACHE = "/home/user/.cache/huggingface"


@pytest.fixture(scope="module")
def client() -> Iterator[DockerClient]:
    try:
        c = docker.from_env()
        c.ping()
        c.images.get(BASE_IMAGE)
    except docker.errors.DockerException as exc:
        pytest.skip(f"no Docker engine or no {BASE_IMAGE}: {exc}")
    c.images.build(fileobj=io.BytesIO(DOCKERFILE.encode()), tag=TEST_IMAGE, rm=True)
    yield c
    for ctr in c.containers.list(all=True, filters={"label": f"spacehost.instance={INSTANCE}"}):
        ctr.remove(force=True)
    for vol in c.volumes.list(filters={"label": f"spacehost.instance={INSTANCE}"}):
        vol.remove(force=True)
    c.close()


@pytest.fixture()
def backend(client: DockerClient) -> DockerBackend:
    return DockerBackend(client, gpu_host=GpuHost(), instance=INSTANCE)


def spec(repo: Path, volume: str, command: tuple[str, ...] | None = None) -> ContainerSpec:
    return ContainerSpec(
        space=SpaceId("hubtest", "search"),
        revision="r1",
        image=TEST_IMAGE,
        command=command,
        mounts=(
            Mount(str(repo), f"{CACHE}/hub/models--acme--m"),
            Mount(volume, f"{CACHE}/datasets", read_only=False, volume=True),
        ),
        memory_limit=256 << 20,
        cpus=1.0,
    )


def test_a_task_writes_the_volume_reads_the_bind_and_has_no_network(
    backend: DockerBackend, client: DockerClient, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "config.json").write_text('{"ok": true}')
    volume = f"spacehost-hfds-{INSTANCE}"
    script = (
        "import os, socket\n"
        f"print(open('{CACHE}/hub/models--acme--m/config.json').read())\n"
        f"open('{CACHE}/datasets/prepared', 'w').write('yes')\n"
        f"print('uid', os.getuid(), 'hub writable', os.access('{CACHE}/hub/models--acme--m', "
        "os.W_OK), 'cache writable', os.access(os.path.expanduser('~/.cache/huggingface'), "
        "os.W_OK))\n"
        "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n    print('online')\n"
        "except OSError:\n    print('offline')\n"
    )
    result = backend.run_task(spec(repo, volume, ("python3", "-c", script)), timeout=60)
    assert result.ok, result.lines
    assert result.lines == (
        '{"ok": true}',
        "uid 1000 hub writable False cache writable True",
        "offline",
    )
    vol = client.volumes.get(volume)
    assert vol.attrs["Labels"]["spacehost.instance"] == INSTANCE
    # the task's container is gone; the app sees what the task left in the volume
    assert not client.containers.list(
        all=True, filters={"label": [f"spacehost.instance={INSTANCE}", "spacehost.role=helper"]}
    )
    app = backend.start(spec(repo, volume, ("sleep", "60")))
    try:
        out = client.containers.get(app.id).exec_run(["cat", f"{CACHE}/datasets/prepared"])
        assert out.output == b"yes"
    finally:
        backend.remove(app.id)


def test_a_task_past_its_time_limit_is_killed(backend: DockerBackend, tmp_path: Path) -> None:
    result = backend.run_task(
        spec(tmp_path, f"spacehost-hfds-{INSTANCE}-2", ("sh", "-c", "echo started; sleep 60")),
        timeout=2,
    )
    assert result.exit_code is None and result.lines == ("started",) and not result.ok
