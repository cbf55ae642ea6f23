"""Builds on the real Docker Engine reach the host's local pip sources through the local pip
mirror, and CPU builds get the local CPU torch wheel.

Needs this host's kind of pip configuration: local sources (``file://`` indexes or wheel
folders) and, for the torch tests, a local ``torch-*+cpu-cp311-*.whl``; skipped elsewhere.
Space images made here belong to spaces named ``m<run id>/...`` and are removed at the end.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from spacehost.builder import DockerBuilder
from spacehost.builder.cputorch import CpuTorch, find_cpu_torch
from spacehost.builder.mirror import MIRROR_HOSTNAME, probe
from spacehost.domain import Sdk, SpaceId
from spacehost.errors import BuildFailed
from spacehost.manifest.model import Manifest, SpaceSource
from spacehost.settings import Settings

RUN_ID = secrets.token_hex(3)
APP = b'import gradio as gr\n\ngr.Interface(lambda s: s[::-1], "text", "text").launch()\n'

pytestmark = pytest.mark.docker


def source(requirements: str, *, hardware: str | None = None, app: bytes = APP) -> SpaceSource:
    lines = tuple(line.strip() for line in requirements.splitlines() if line.strip())
    files = {"app.py": app}
    if requirements:
        files["requirements.txt"] = requirements.encode()
    return SpaceSource(
        manifest=Manifest(title="T", sdk=Sdk.GRADIO, python_version="3.11", hardware=hardware),
        files=files,
        requirements=lines,
    )


@pytest.fixture(scope="module")
def client() -> Iterator[docker.DockerClient]:
    c = docker.from_env(timeout=900)
    yield c
    for image in c.images.list(filters={"label": "spacehost.kind=space"}):
        for tag in image.tags:
            if tag.startswith(f"spacehost-space/m{RUN_ID}--"):
                c.images.remove(tag, force=True)
    c.close()


@pytest.fixture
def builder(client: docker.DockerClient, tmp_path: Path) -> DockerBuilder:
    return DockerBuilder(client, Settings.from_env({}, data_dir=tmp_path))


@pytest.fixture
def cpu_wheel(builder: DockerBuilder) -> CpuTorch:
    plan = builder._pip_plan()
    if not plan.served:
        pytest.skip("this host's pip configuration has no local sources")
    wheel = find_cpu_torch(plan.served, "3.11")
    if wheel is None:
        pytest.skip("no local CPU torch wheel for Python 3.11 on this host")
    return wheel


def space(name: str) -> SpaceId:
    return SpaceId(f"m{RUN_ID}", name)


def run_in(client: docker.DockerClient, image: str, *cmd: str) -> str:
    out = client.containers.run(image, list(cmd), remove=True, network_mode="none")
    return bytes(out).decode().strip()


def env_of(client: docker.DockerClient, image: str) -> dict[str, str]:
    pairs = client.images.get(image).attrs["Config"]["Env"]
    return dict(str(p).split("=", 1) for p in pairs)


def test_a_cpu_space_with_torch_installs_the_cpu_wheel_from_the_mirror(
    client: docker.DockerClient, builder: DockerBuilder, cpu_wheel: CpuTorch
) -> None:
    log: list[str] = []
    # nocache: pip must really run (an earlier run's layer would hide where torch came from).
    result = builder.build(
        source("torch\n"), space("torch"), "1" * 40, on_log=log.append, nocache=True
    )
    print(f"\ntorch space built in {result.duration_s:.1f} s")

    assert not [line for line in log if line.startswith("WARNING: skipping local")]
    note = next(line for line in log if line.startswith("--> torch:"))
    assert f"torch=={cpu_wheel.version}" in note and cpu_wheel.filename in note
    # pip looked in the mirror and fetched the wheel that only this host's folders hold (not a
    # multi-GB download from an index).
    assert f"Looking in links: http://{MIRROR_HOSTNAME}:7871/" in "\n".join(log)
    wheel = cpu_wheel.filename.replace("+", "%2B")
    assert any(line.strip().startswith(f"Downloading {wheel}") for line in log), log[-40:]
    version = run_in(client, result.image, "python", "-c", "import torch; print(torch.__version__)")
    assert version == cpu_wheel.version and version.endswith("+cpu")
    env = env_of(client, result.image)
    assert env["PIP_CONSTRAINT"].split() == [
        "/etc/spacehost/constraints.txt",
        "/etc/spacehost/cpu-torch.txt",
    ]
    assert run_in(client, result.image, "cat", "/etc/spacehost/cpu-torch.txt") == (
        f"torch=={cpu_wheel.version}"
    )
    # The host's constraints file reached the image, and the mirror answers on its port.
    assert "torch<=" in run_in(client, result.image, "cat", "/etc/spacehost/constraints.txt")
    status = builder.mirror.ensure(())
    assert status.how == ""
    kind, _ = probe(builder._bridge_gateway(), builder._settings.pip.mirror_port)
    assert kind == "mirror"


def test_a_gpu_space_is_not_pinned_to_the_cpu_build(
    client: docker.DockerClient, builder: DockerBuilder, cpu_wheel: CpuTorch
) -> None:
    gpu = builder.build(source("", hardware="gpu"), space("gpu"), "2" * 40, on_log=print)
    cpu = builder.build(source(""), space("cpu"), "3" * 40, on_log=print)
    assert "PIP_CONSTRAINT" not in env_of(client, gpu.image)
    assert "cpu-torch.txt" in env_of(client, cpu.image)["PIP_CONSTRAINT"]
    # Both build on the same runtime images, whose pip.conf names the mirror.
    conf = run_in(client, gpu.image, "cat", "/etc/pip.conf")
    assert f"find-links = http://{MIRROR_HOSTNAME}:7871/" in conf
    assert f"trusted-host = {MIRROR_HOSTNAME}:7871" in conf


def test_a_space_that_pins_another_torch_fails_before_building(
    builder: DockerBuilder, cpu_wheel: CpuTorch
) -> None:
    log: list[str] = []
    with pytest.raises(BuildFailed) as info:
        builder.build(source("torch==2.14.1\n"), space("pinned"), "4" * 40, on_log=log.append)
    assert "requirements.txt asks for torch==2.14.1" in info.value.message
    assert f"torch=={cpu_wheel.version}" in info.value.message
    assert "SPACEHOST_CPU_TORCH=off" in info.value.hint
    assert not any(line.startswith("--> building") for line in log)


def test_cpu_torch_off_leaves_pip_alone(
    client: docker.DockerClient, tmp_path: Path, cpu_wheel: CpuTorch
) -> None:
    settings = Settings.from_env({"SPACEHOST_CPU_TORCH": "off"}, data_dir=tmp_path)
    builder = DockerBuilder(client, settings)
    log: list[str] = []
    # Only the plan is checked: installing pip's own torch choice is a multi-GB download.
    result = builder.build(source(""), space("off"), "5" * 40, on_log=log.append)
    assert "PIP_CONSTRAINT" not in env_of(client, result.image)
    with pytest.raises(BuildFailed, match="requirements"):
        # With the pin off, a pinned torch is pip's business: pip, not spacehost, refuses 9.9.
        builder.build(source("torch==9.9\n"), space("off"), "6" * 40, on_log=log.append)
    assert not any("asks for torch==9.9" in line for line in log)
