"""DockerBuilder on the real Engine with ``sdk: docker`` Dockerfiles whose bases the host lacks:
the stand-ins go into the build context's Dockerfile only (ARG-substituted, multi-stage), a
Python this host cannot make is the nearest with a warning, and an image the Engine has is used
as it is (issue 13). The stand-in ``spacehost/compat-python:3.11-slim-bookworm`` is made on first
use (about 30 s on a host with the bookworm runtime base) and reused."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from spacehost.builder import DockerBuilder
from spacehost.domain import Sdk, SpaceId
from spacehost.manifest.model import Manifest, SpaceSource
from spacehost.settings import Settings

pytestmark = pytest.mark.docker
RUN_ID = secrets.token_hex(3)
STAND_IN = "spacehost/compat-python:3.11-slim-bookworm"


def docker_source(dockerfile: str) -> SpaceSource:
    return SpaceSource(
        manifest=Manifest(title="Test", sdk=Sdk.DOCKER, app_port=7860),
        files={"Dockerfile": dockerfile.encode()},
    )


def steps(lines: list[str], instruction: str) -> list[str]:
    """The build's steps of *instruction* (``Step N/M : `` cut off)."""
    found = (re.sub(r"^Step \d+/\d+ : ", "", line) for line in lines if line.startswith("Step "))
    return [step for step in found if step.startswith(f"{instruction} ")]


@pytest.fixture(scope="module")
def client() -> Iterator[docker.DockerClient]:
    c = docker.from_env(timeout=600)
    yield c
    for image in c.images.list(filters={"label": f"spacehost.space=t{RUN_ID}/bases"}):
        for tag in image.tags:
            c.images.remove(tag, force=True)
    c.close()


def test_multi_stage_arg_from_with_a_python_not_made_here(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    for ref in ("python:3.10-slim", "python:3.11-slim"):
        with pytest.raises(docker.errors.ImageNotFound):  # else the real one would be used
            client.images.get(ref)
    dockerfile = (
        "ARG PY=3.10\n"
        "FROM --platform=linux/amd64 python:${PY}-slim AS build\n"
        "RUN python -c 'import sys; print(sys.version_info[:2])' > /version\n"
        "FROM build\n"
        "FROM python:3.11-slim\n"
        "COPY --from=build /version /version\n"
        'CMD ["python3"]\n'
    )
    source = docker_source(dockerfile)
    lines: list[str] = []
    result = DockerBuilder(client, Settings(data_dir=tmp_path)).build(
        source, SpaceId(f"t{RUN_ID}", "bases"), "2" * 40, on_log=lines.append
    )
    warning = (
        f"python:3.10-slim: Python 3.10 is not available here; using {STAND_IN} (Python 3.11 "
        "from Debian bookworm"
    )
    assert any(line.startswith(f"WARNING: {warning}") for line in lines), lines
    assert result.warnings and result.warnings[0].startswith(warning)
    for ref in ("python:3.10-slim", "python:3.11-slim"):
        assert (
            f"--> FROM {ref}: not available here (no registry); using {STAND_IN}, made from "
            "Debian bookworm"
        ) in lines
    assert steps(lines, "FROM") == [
        f"FROM --platform=linux/amd64 {STAND_IN} AS build",
        "FROM build",
        f"FROM {STAND_IN}",
    ]
    out = client.containers.run(result.image, ["cat", "/version"], remove=True)
    assert bytes(out).decode().strip() == "(3, 11)"
    assert source.files["Dockerfile"] == dockerfile.encode()  # the space's own file unchanged


def test_an_image_the_engine_has_is_used_as_it_is(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    # A tag that only this test makes, in the python repository: present, so never replaced.
    ref = f"python:3.11-slim-t{RUN_ID}"
    client.images.get("spacehost/base:bookworm").tag("python", f"3.11-slim-t{RUN_ID}")
    try:
        lines: list[str] = []
        DockerBuilder(client, Settings(data_dir=tmp_path)).build(
            docker_source(f"FROM {ref}\nRUN true\n"),
            SpaceId(f"t{RUN_ID}", "bases"),
            "3" * 40,
            on_log=lines.append,
        )
    finally:
        client.images.remove(ref)
    assert steps(lines, "FROM") == [f"FROM {ref}"]
    assert not any(line.startswith("--> FROM") for line in lines), lines
