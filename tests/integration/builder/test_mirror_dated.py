"""A dated pip (``--uploaded-prior-to``, pip >= 26, as in the python runtime image) against the
local pip mirror: files of a local index count from the time they reached this disk, files of a
find-links folder (the CPU torch) are admitted by every cut-off.

pip runs in the python runtime image on the host's network, so it reaches a mirror on
127.0.0.1 (a free port; the platform's own mirror is never touched). Skipped when that image
has not been made on this host.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from spacehost.builder.mirror import MirrorServer
from spacehost.builder.runtime_images import python_image_tag
from tests.support.wheels import make_wheel

pytestmark = pytest.mark.docker
IMAGE = python_image_tag("3.11", "debian:bookworm")  # what `spacehost prepare` makes
JAN_2020 = 1_577_836_800  # 2020-01-01T00:00:00Z


@pytest.fixture(scope="module")
def client() -> Iterator[docker.DockerClient]:
    c = docker.from_env(timeout=300)
    try:
        c.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        pytest.skip(f"{IMAGE} has not been made on this host")
    yield c
    c.close()


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[MirrorServer]:
    index = tmp_path / "pypi"
    (index / "simple" / "oldpkg").mkdir(parents=True)
    (index / "files").mkdir()
    wheel = index / "files" / "oldpkg-1.0-py3-none-any.whl"
    make_wheel(wheel, "oldpkg", "1.0")
    os.utime(wheel, (JAN_2020, JAN_2020))
    (index / "simple" / "oldpkg" / "index.html").write_text(
        f'<a href="../../files/{wheel.name}">{wheel.name}</a>\n'
    )
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels / "localpkg-2.0-py3-none-any.whl", "localpkg", "2.0")  # mtime: now
    server = MirrorServer("127.0.0.1", 0, [str(index), str(wheels)]).start()
    yield server
    server.close()


def pip(client: docker.DockerClient, mirror: MirrorServer, before: str, *args: str) -> str:
    command = [
        "pip",
        "download",
        "--no-deps",
        "--no-cache-dir",
        "-d",
        "/tmp/d",
        "--trusted-host",
        f"127.0.0.1:{mirror.port}",
        f"--uploaded-prior-to={before}",
        *[a.replace("MIRROR", f"http://127.0.0.1:{mirror.port}") for a in args],
    ]
    # no pip.conf: only the mirror this test serves (the image's names spacehost-mirror)
    env = {"PIP_CONFIG_FILE": "/dev/null"}
    container = client.containers.run(
        IMAGE, command, network_mode="host", detach=True, environment=env
    )
    try:
        status = container.wait(timeout=120)["StatusCode"]
        return f"exit {status}\n" + container.logs().decode()
    finally:
        container.remove(force=True)


def test_a_local_index_file_counts_from_the_time_it_reached_this_disk(
    client: docker.DockerClient, mirror: MirrorServer
) -> None:
    args = ("--index-url", "MIRROR/0/simple/", "oldpkg")
    after = pip(client, mirror, "2021-01-01T00:00:00Z", *args)
    assert after.startswith("exit 0") and "Saved /tmp/d/oldpkg-1.0" in after, after
    before = pip(client, mirror, "2019-01-01T00:00:00Z", *args)
    assert before.startswith("exit 1") and "No matching distribution" in before, before
    assert "does not provide upload-time" not in before


def test_a_find_links_file_is_admitted_by_every_cutoff(
    client: docker.DockerClient, mirror: MirrorServer
) -> None:
    out = pip(
        client,
        mirror,
        "2000-01-01T00:00:00Z",
        "--no-index",
        "--find-links",
        "MIRROR/1/",
        "localpkg",
    )
    assert out.startswith("exit 0") and "Saved /tmp/d/localpkg-2.0" in out, out


def test_the_mirror_says_it_gives_upload_times(mirror: MirrorServer) -> None:
    import json
    import urllib.request

    url = f"http://127.0.0.1:{mirror.port}/_spacehost/mirror"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert json.loads(response.read())["upload_times"] is True
