"""Rendering of space Dockerfiles: snapshot tests plus the decisions behind them.

Snapshots live in tests/unit/builder/snapshots/NAME.Dockerfile; regenerate them after an intended
change with ``UPDATE_SNAPSHOTS=1 pytest tests/unit/builder/test_dockerfile.py`` and review the diff.
"""

from __future__ import annotations

import dataclasses
import io
import os
import tarfile
from pathlib import Path

import pytest

from spacehost.builder.context import FIXED_MTIME, make_context
from spacehost.builder.contract import GRADIO_EXTRAS
from spacehost.builder.dockerfile import (
    BuildPlan,
    gradio_pin,
    needs_image,
    plan_build,
    render_dockerfile,
)
from spacehost.builder.pythons import choose_python
from spacehost.builder.runtime_images import gradio_image_tag, has_contract
from spacehost.domain import Sdk
from spacehost.manifest.model import Manifest, SpaceSource

SNAPSHOTS = Path(__file__).parent / "snapshots"
RUNTIME_GRADIO = "6.31.0"
BASES = {"3.11": "debian:bookworm", "3.13": "debian:trixie"}
APP = b'import gradio as gr\n\ngr.Interface(lambda s: s[::-1], "text", "text").launch()\n'


def space(
    *,
    sdk: Sdk = Sdk.GRADIO,
    sdk_version: str | None = None,
    python_version: str | None = "3.11",
    app_file: str = "app.py",
    **files: str,
) -> SpaceSource:
    """A space with *files* (keyword names with ``_`` for ``-`` and ``.``:
    ``requirements_txt="numpy"`` -> requirements.txt)."""
    contents = {app_file: APP}
    contents.update({_file_name(k): v.encode() for k, v in files.items() if k != "Dockerfile"})
    if "Dockerfile" in files:
        contents["Dockerfile"] = files["Dockerfile"].encode()

    def lines(name: str) -> tuple[str, ...]:
        text = contents.get(name, b"").decode()
        return tuple(s for s in (ln.split("#", 1)[0].strip() for ln in text.splitlines()) if s)

    manifest = Manifest(
        title="Demo",
        sdk=sdk,
        sdk_version=sdk_version,
        python_version=python_version,
        app_file=app_file,
    )
    return SpaceSource(
        manifest=manifest,
        files=contents,
        requirements=lines("requirements.txt"),
        pre_requirements=lines("pre-requirements.txt"),
        packages=lines("packages.txt"),
    )


def _file_name(key: str) -> str:
    return {
        "requirements_txt": "requirements.txt",
        "pre_requirements_txt": "pre-requirements.txt",
        "packages_txt": "packages.txt",
    }[key]


def plan_for(source: SpaceSource, default_python: str = "3.10") -> BuildPlan:
    """The plan DockerBuilder makes, without an Engine."""
    choice = choose_python(source.manifest.python_version, default_python, BASES)
    return plan_build(
        source,
        from_image=gradio_image_tag(RUNTIME_GRADIO, choice.version, choice.base),
        python_version=choice.version,
        runtime_gradio=RUNTIME_GRADIO,
        warnings=(choice.warning,) if choice.warning else (),
        gradio_extras=GRADIO_EXTRAS if has_contract(choice.base) else "",
    )


def check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / f"{name}.Dockerfile"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text)
        return
    assert path.exists(), f"no snapshot {path}: run with UPDATE_SNAPSHOTS=1 and review it"
    assert text == path.read_text(), f"{name} differs from {path} (UPDATE_SNAPSHOTS=1 to accept)"


SNAPSHOT_CASES = {
    "minimal_gradio": space(),
    "requirements_gradio_pin": space(
        sdk_version="5.49.1", requirements_txt="numpy==2.1.0\n# a comment\ngradio==4.44.1\n"
    ),
    "pre_requirements": space(
        pre_requirements_txt="pip>=24\nsetuptools\n", requirements_txt="numpy\n"
    ),
    "packages": space(packages_txt="ffmpeg\nlibsndfile1\n", app_file="main.py"),
    "python310_fallback": space(python_version="3.10"),
    "sdk_docker": space(
        sdk=Sdk.DOCKER,
        Dockerfile='FROM spacehost/python:3.11-bookworm\nCOPY . .\nCMD ["python", "app.py"]\n',
    ),
}


@pytest.mark.parametrize("name", sorted(SNAPSHOT_CASES))
def test_rendered_dockerfile_matches_snapshot(name: str) -> None:
    source = SNAPSHOT_CASES[name]
    check_snapshot(name, render_dockerfile(source, plan_for(source)))


def test_cpu_builds_name_the_cpu_torch_pin_before_any_pip_step() -> None:
    source = space(requirements_txt="torch\ntransformers\n")
    plan = dataclasses.replace(
        plan_for(source),
        pip_constraint="/etc/spacehost/constraints.txt /etc/spacehost/cpu-torch.txt",
    )
    text = render_dockerfile(source, plan)
    check_snapshot("cpu_torch", text)
    assert text.index("ENV PIP_CONSTRAINT=") < text.index("RUN pip install")
    # Without a pin (GPU builds, SPACEHOST_CPU_TORCH=off) pip.conf's constraints stand.
    assert "PIP_CONSTRAINT" not in render_dockerfile(source, plan_for(source))


def test_dependency_layers_come_before_the_app_copy_in_hf_order() -> None:
    source = space(
        sdk_version="5.49.1",
        packages_txt="ffmpeg\n",
        pre_requirements_txt="pip>=24\n",
        requirements_txt="numpy\n",
    )
    text = render_dockerfile(source, plan_for(source))
    order = [
        "apt-get install -y --no-install-recommends ffmpeg",
        "RUN pip install --no-cache-dir -r pre-requirements.txt",
        "RUN pip install --no-cache-dir -r requirements.txt",
        "RUN pip install --no-cache-dir 'gradio[oauth,mcp]==5.49.1'",
        "COPY --chown=1000:1000 app/ ./",
        'CMD ["python", "app.py"]',
    ]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)
    # Each dependency step sees only its own file, so app edits cannot invalidate it.
    assert "COPY --chown=1000:1000 app/requirements.txt ./" in text
    assert text.count("COPY --chown=1000:1000 app/ ./") == 1


def test_container_contract_environment_is_set() -> None:
    text = render_dockerfile(space(), plan_for(space()))
    for pair in (
        "HOME=/home/user",
        "GRADIO_SERVER_NAME=0.0.0.0",
        "GRADIO_SERVER_PORT=7860",
        "GRADIO_NUM_PORTS=1",
        "GRADIO_ANALYTICS_ENABLED=False",
        "HF_HUB_OFFLINE=1",
        "PYTHONUNBUFFERED=1",
    ):
        assert pair in text
    assert "EXPOSE 7860" in text
    assert "WORKDIR /home/user/app" in text


def test_package_names_are_shell_quoted() -> None:
    source = space(packages_txt="ffmpeg\n")
    hostile = SpaceSource(
        manifest=source.manifest, files=source.files, packages=("ffmpeg", "x;rm -rf /")
    )
    assert "ffmpeg 'x;rm -rf /'" in render_dockerfile(hostile, plan_for(hostile))


def test_a_comment_only_requirements_file_adds_no_step() -> None:
    source = space(requirements_txt="# nothing yet\n")
    text = render_dockerfile(source, plan_for(source))
    assert "requirements.txt" not in text
    assert "gradio==" not in text


@pytest.mark.parametrize(
    ("sdk_version", "requirements", "pin", "warns"),
    [
        (None, "", None, False),  # runtime gradio stands
        (RUNTIME_GRADIO, "", None, False),
        ("5.49.1", "", "5.49.1", False),  # another gradio asked for
        (None, "numpy\n", RUNTIME_GRADIO, False),  # requirements may move gradio
        ("5.49.1", "gradio==5.49.1\n", "5.49.1", False),
        ("5.49.1", "gradio==4.44.1\n", "5.49.1", True),
        (None, "gradio[oauth] >= 4\n", RUNTIME_GRADIO, True),
        (None, "gradio_client==1.3.0\n", RUNTIME_GRADIO, False),  # not gradio itself
        (None, "gradio-pdf\n", RUNTIME_GRADIO, False),
        (None, "Gradio==4.0 ; python_version >= '3.8'\n", RUNTIME_GRADIO, True),
    ],
)
def test_gradio_pin(
    sdk_version: str | None, requirements: str, pin: str | None, warns: bool
) -> None:
    source = space(sdk_version=sdk_version, requirements_txt=requirements)
    got_pin, warning = gradio_pin(source, RUNTIME_GRADIO)
    assert got_pin == pin
    assert bool(warning) == warns
    if warns:
        assert f"gradio=={pin} is installed after the requirements" in warning


def test_plan_carries_python_fallback_warning_into_the_dockerfile_header() -> None:
    source = space(python_version="3.10")
    plan = plan_for(source)
    assert plan.python_version == "3.11"
    assert plan.from_image == "spacehost/gradio:6.31.0-py3.11-bookworm-hf1"
    assert plan.warnings == (
        "python_version 3.10 is not available here; building on 3.11 "
        "(configure SPACEHOST_PYTHON_BASES to add it)",
    )
    assert render_dockerfile(source, plan).splitlines()[1].startswith("# WARNING: python_version")


def test_sdk_docker_passes_the_spaces_dockerfile_through_unchanged() -> None:
    dockerfile = "FROM scratch\n# keep me exactly\n"
    source = space(sdk=Sdk.DOCKER, Dockerfile=dockerfile)
    assert render_dockerfile(source, BuildPlan(from_image="")) == dockerfile


def test_sdk_docker_without_dockerfile_and_static_cannot_render() -> None:
    with pytest.raises(ValueError, match="needs a Dockerfile"):
        render_dockerfile(space(sdk=Sdk.DOCKER), BuildPlan(from_image=""))
    with pytest.raises(ValueError, match="no image"):
        render_dockerfile(space(sdk=Sdk.STATIC), BuildPlan(from_image=""))


@pytest.mark.parametrize(
    ("sdk", "expected"), [(Sdk.GRADIO, True), (Sdk.DOCKER, True), (Sdk.STATIC, False)]
)
def test_needs_image(sdk: Sdk, expected: bool) -> None:
    assert needs_image(space(sdk=sdk)) is expected


def test_context_is_deterministic_for_fixed_files_and_keeps_scripts_executable() -> None:
    files = {"app/requirements.txt": b"numpy\n", "app/run.sh": b"#!/bin/sh\necho hi\n"}
    data = make_context(files, fixed={"app/requirements.txt"}, mtime=2_000_000_000)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert members["app/requirements.txt"].mtime == FIXED_MTIME
        assert members["app/run.sh"].mtime == 2_000_000_000
        assert members["app/requirements.txt"].mode == 0o644
        assert members["app/run.sh"].mode == 0o755
        assert members["app/run.sh"].uid == 0
        extracted = tar.extractfile("app/requirements.txt")
        assert extracted is not None and extracted.read() == b"numpy\n"
    assert make_context(files, fixed=files.keys()) == make_context(dict(reversed(files.items())))
