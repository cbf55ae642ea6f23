"""spacehost's `spaces` package in real space images (Docker Engine): installed in every gradio
space, and installed again after requirements.txt when that lists Hugging Face's `spaces`."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from spacehost.builder import DockerBuilder
from spacehost.builder.spaces_wheel import spaces_wheel
from spacehost.domain import Sdk, SpaceId
from spacehost.manifest.model import Manifest, SpaceSource
from spacehost.settings import Settings

pytestmark = pytest.mark.docker
RUN_ID = secrets.token_hex(3)
APP = b"import spaces\n"
PROBE = (
    "import importlib.metadata as m, spaces; "
    "print(spaces.__version__, m.version('spaces'), spaces.GPU(lambda: 41)() + 1)"
)


@pytest.fixture(scope="module")
def client() -> Iterator[docker.DockerClient]:
    c = docker.from_env(timeout=600)
    yield c
    for image in c.images.list(filters={"label": "spacehost.kind=space"}):
        for tag in image.tags:
            if tag.startswith(f"spacehost-space/t{RUN_ID}-"):
                c.images.remove(tag, force=True)
    c.close()


def build(
    client: docker.DockerClient, tmp_path: Path, name: str, requirements: tuple[str, ...]
) -> tuple[str, list[str]]:
    files = {"app.py": APP}
    if requirements:
        files["requirements.txt"] = ("\n".join(requirements) + "\n").encode()
    source = SpaceSource(
        manifest=Manifest(title="T", sdk=Sdk.GRADIO, python_version="3.11", hardware="zero"),
        files=files,
        requirements=requirements,
    )
    lines: list[str] = []
    result = DockerBuilder(client, Settings(data_dir=tmp_path)).build(
        source, SpaceId(f"t{RUN_ID}", name), "a" * 40, on_log=lines.append
    )
    out = client.containers.run(result.image, ["python", "-c", PROBE], remove=True)
    return bytes(out).decode().strip(), lines


def test_every_gradio_space_has_spacehosts_spaces(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    version = spaces_wheel().version
    out, lines = build(client, tmp_path, "plain", ())
    assert out == f"{version} {version} 42"  # no SPACEHOST_GPU_MODE: runs at once
    assert not any("Hugging Face's ZeroGPU package" in line for line in lines)


def test_hugging_faces_spaces_in_requirements_is_replaced(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    version = spaces_wheel().version
    out, lines = build(client, tmp_path, "hf", ("spaces==0.30.2",))
    assert out == f"{version} {version} 42"
    assert any(
        "requirements.txt lists `spaces` (Hugging Face's ZeroGPU package)" in line for line in lines
    )
    assert any(
        line.startswith("Successfully installed") and "spaces-0.30.2" in line for line in lines
    )  # Hugging Face's, from the requirements
    assert any("Successfully uninstalled spaces-0.30.2" in line for line in lines)
