"""What a space may assume (builder/contract.py): the runtime images' system packages,
pre-installed Python packages and gradio extras, as rendered into their Dockerfiles, build
args and tags, and into a space's own Dockerfile."""

from __future__ import annotations

from pathlib import Path

import docker.errors
import pytest

from spacehost.builder import DockerBuilder, runtime_images
from spacehost.builder.build_run import BuildLog, _step_failed
from spacehost.builder.contract import (
    CONTRACT,
    GRADIO_EXTRAS,
    PREINSTALLED,
    SYSTEM_PACKAGES,
    gradio_requirement,
    packages_file,
)
from spacehost.builder.cuda import cuda_gradio_tag, cuda_image_tag
from spacehost.builder.dockerfile import BuildPlan, plan_build, render_dockerfile
from spacehost.builder.pipconfig import PipPlan
from spacehost.builder.pythons import PythonChoice
from spacehost.builder.runtime_images import (
    RuntimeImages,
    gradio_image_tag,
    gradio_layer_args,
    has_contract,
    python_image_tag,
    runtime_images_dir,
    system_image_tag,
)
from spacehost.domain import Sdk
from spacehost.errors import BuildFailed
from spacehost.manifest import load_space
from spacehost.manifest.model import Manifest, SpaceSource
from spacehost.settings import Settings

# Hugging Face's generated Dockerfile installs these (docs/builds.md cites the sources), and
# lightgbm needs libgomp1 (`OSError: libgomp.so.1: cannot open shared object file`).
HF_APT = ("git", "git-lfs", "ffmpeg", "libsm6", "libxext6", "cmake", "rsync", "libgl1")
FULL_IMAGE = ("make", "build-essential", "libgomp1", "python3-dev")


def test_the_system_layer_has_hugging_faces_packages_and_the_full_images() -> None:
    listed = packages_file().decode().splitlines()
    for name in (*HF_APT, *FULL_IMAGE):
        assert name in listed
    assert len(listed) == len(set(listed)) == len(SYSTEM_PACKAGES)


def test_the_system_dockerfile_installs_the_list_lean_and_checks_the_libraries() -> None:
    text = (runtime_images_dir() / "system" / "Dockerfile").read_text()
    assert "COPY packages.txt " in text
    assert "apt-get install -y --no-install-recommends" in text
    for leftover in ("/var/lib/apt/lists/*", "/var/cache/apt/*", "/usr/share/doc/*"):
        assert leftover in text  # removed in the same RUN, so no layer keeps them
    assert "git lfs install --system" in text
    for lib in ("libgomp.so.1", "libGL.so.1", "libSM.so.6", "libXext.so.6"):
        assert lib in text  # the build fails if one is missing


def test_the_python_packages_a_space_may_assume_are_pre_installed() -> None:
    names = {p.split("<")[0].split(">")[0].split("=")[0] for p in PREINSTALLED}
    assert {"datasets", "huggingface_hub", "hf_xet", "hf-transfer", "requests", "psutil"} <= names
    assert "protobuf<4" in PREINSTALLED  # HF's platform pin
    assert not any(p.startswith("click") for p in PREINSTALLED)  # it holds huggingface_hub back


def test_gradio_requirement_carries_the_extras() -> None:
    assert gradio_requirement("5.49.1") == "gradio[oauth,mcp]==5.49.1"
    assert gradio_requirement("4.44.1", "") == "gradio==4.44.1"


@pytest.mark.parametrize(
    ("base", "contract"), [("debian:bookworm", True), ("python:3.10-slim", False)]
)
def test_only_debian_bases_get_the_contract(base: str, contract: bool) -> None:
    args = gradio_layer_args("6.31.0", base)
    assert has_contract(base) is contract
    assert args["GRADIO_VERSION"] == "6.31.0"
    assert args["GRADIO_EXTRAS"] == (GRADIO_EXTRAS if contract else "")
    assert args["PREINSTALL"] == (" ".join(PREINSTALLED) if contract else "")


def test_the_gradio_dockerfile_pre_installs_then_installs_gradio_with_its_extras() -> None:
    text = (runtime_images_dir() / "gradio" / "Dockerfile").read_text()
    pre = text.index("pip install --no-cache-dir $PREINSTALL")
    gradio = text.index('pip install --no-cache-dir "gradio${GRADIO_EXTRAS:+[$GRADIO_EXTRAS]}')
    assert pre < gradio


def test_every_runtime_tag_but_the_bases_names_the_contract() -> None:
    # New tags, so images under the tags of an older contract are never rebuilt in place.
    assert system_image_tag("debian:bookworm") == f"spacehost/system:bookworm-{CONTRACT}"
    assert (
        python_image_tag("3.11", "debian:bookworm") == f"spacehost/python:3.11-bookworm-{CONTRACT}"
    )
    assert gradio_image_tag("6.31.0", "3.11", "debian:bookworm") == (
        f"spacehost/gradio:6.31.0-py3.11-bookworm-{CONTRACT}"
    )
    choice = PythonChoice("3.11", "debian:bookworm")
    assert cuda_image_tag(choice) == f"spacehost/cuda:py3.11-bookworm-{CONTRACT}"
    assert cuda_gradio_tag("6.31.0", choice).endswith(f"-{CONTRACT}")


def _space(requirements: tuple[str, ...], sdk_version: str = "5.49.1") -> SpaceSource:
    files = {"app.py": b"import gradio as gr\n"}
    if requirements:
        files["requirements.txt"] = "\n".join(requirements).encode()
    return SpaceSource(
        manifest=Manifest(title="t", sdk=Sdk.GRADIO, sdk_version=sdk_version),
        files=files,
        requirements=requirements,
    )


def test_a_space_reinstalls_gradio_with_the_extras_after_its_requirements() -> None:
    source = _space(("lightgbm",))
    plan = plan_build(
        source,
        from_image=gradio_image_tag("6.31.0", "3.11", "debian:bookworm"),
        python_version="3.11",
        runtime_gradio="6.31.0",
        gradio_extras=GRADIO_EXTRAS,
    )
    text = render_dockerfile(source, plan)
    requirements = text.index("pip install --no-cache-dir -r requirements.txt")
    gradio = text.index("RUN pip install --no-cache-dir 'gradio[oauth,mcp]==5.49.1'")
    assert requirements < gradio


def test_on_an_operators_image_gradio_comes_without_extras() -> None:
    source = _space(("lightgbm",))
    plan = plan_build(
        source, from_image="spacehost/gradio-cuda:x", python_version="3.11", runtime_gradio="6"
    )
    assert "RUN pip install --no-cache-dir gradio==5.49.1\n" in render_dockerfile(source, plan)


class _FakeImages:
    def ensure_python(self, choice: object, pip_plan: object, **kw: object) -> str:
        return "python-tag"

    def ensure_cuda(self, *args: object, **kw: object) -> str:
        return "spacehost/gradio-cuda:test"


@pytest.mark.parametrize(
    ("gpu_base_image", "extras"),
    [("spacehost/gpu-host:local", ""), ("", GRADIO_EXTRAS)],
)
def test_a_gpu_space_on_an_operators_image_installs_gradio_without_extras(
    tmp_path: Path, gpu_base_image: str, extras: str
) -> None:
    # The operator's GPU image may have no index to fetch the extras' packages from.
    settings = Settings(data_dir=tmp_path, gpu_base_image=gpu_base_image)
    builder = DockerBuilder(object(), settings, gpu_images=True)  # type: ignore[arg-type]
    builder.runtime = _FakeImages()  # type: ignore[assignment]
    files = {"README.md": b"---\ntitle: T\nsdk: gradio\nhardware: zero\n---\n", "app.py": b""}
    plan = builder._spaces_and_cuda(
        load_space(files),
        BuildPlan(from_image="cpu", gradio_extras=GRADIO_EXTRAS),
        PythonChoice("3.11", "debian:bookworm"),
        PipPlan(),
        lambda line: None,
        lambda line: None,
        1e18,
    )
    assert plan.from_image == "spacehost/gradio-cuda:test"
    assert plan.gradio_extras == extras


@pytest.mark.parametrize("extras", [GRADIO_EXTRAS, ""])
def test_a_failing_gradio_step_still_says_to_check_sdk_version(extras: str) -> None:
    log = BuildLog(on_log=lambda _line: None)
    requirement = gradio_requirement("9.99.0", extras)
    log.feed(f"Step 9/14 : RUN pip install --no-cache-dir '{requirement}'\n")
    log.feed("ERROR: No matching distribution found for gradio==9.99.0\n")
    error = _step_failed(log, "The command returned a non-zero code: 1")
    assert "sdk_version" in error.hint


class _Image:
    id = "sha256:base"


class _Images:
    def get(self, tag: str) -> _Image:
        if tag.startswith("spacehost/system:"):
            raise docker.errors.ImageNotFound(tag)
        return _Image()


class _Client:
    images = _Images()


def test_a_system_layer_that_cannot_be_made_names_the_debian_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_build(*args: object, **kw: object) -> None:
        raise BuildFailed("the build failed at Step 5/10 : RUN set -e; apt-get update; ...")

    monkeypatch.setattr(runtime_images, "run_build", failing_build)
    images = RuntimeImages(
        _Client(),  # type: ignore[arg-type]
        lock_dir=tmp_path,
        mirror="http://deb.example/debian",
    )
    with pytest.raises(BuildFailed) as info:
        images.ensure_system("spacehost/base:bookworm", "debian:bookworm", on_log=print, deadline=0)
    assert info.value.message.startswith(
        f"making the system layer {system_image_tag('debian:bookworm')}"
    )
    assert "http://deb.example/debian" in info.value.hint
    assert "SPACEHOST_DEBIAN_MIRROR" in info.value.hint
