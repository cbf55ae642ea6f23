"""Container names, labels, environment merging and engine options (pure, no engine)."""

from __future__ import annotations

import re

import pytest
from docker.types import DeviceRequest

from spacehost.domain import SpaceId
from spacehost.errors import SpacehostError
from spacehost.runtime.base import ContainerSpec, Mount
from spacehost.runtime.gpu import GpuOptions
from spacehost.runtime.options import (
    container_labels,
    container_name,
    create_kwargs,
    merged_env,
)

SPACE = SpaceId("Alice", "My_Demo.v2")
REV = "0123456789abcdef0123"
DOCKER_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")


def spec(**changes: object) -> ContainerSpec:
    base: dict[str, object] = {"space": SPACE, "revision": REV, "image": "spacehost-space/x:1"}
    base.update(changes)
    return ContainerSpec(**base)  # type: ignore[arg-type]


# --- names ---------------------------------------------------------------------------------------


def test_name_has_slug_revision_prefix_and_suffix() -> None:
    assert container_name(SPACE, REV, "beef") == "spacehost-alice--my_demo.v2-0123456789ab-beef"


def test_random_suffix_is_four_hex_chars_and_varies() -> None:
    names = {container_name(SPACE, REV) for _ in range(40)}
    assert len(names) > 1
    for name in names:
        assert re.fullmatch(r"spacehost-alice--my_demo\.v2-0123456789ab-[0-9a-f]{4}", name)


@pytest.mark.parametrize("revision", ["", "ABC/def:ghi jkl", "../..", "é"])
def test_odd_revisions_still_give_valid_docker_names(revision: str) -> None:
    assert DOCKER_NAME.match(container_name(SPACE, revision, "0000"))


# --- labels --------------------------------------------------------------------------------------


def test_labels_carry_space_revision_role_and_port() -> None:
    assert container_labels(spec(labels={"team": "ml"}), 7860) == {
        "team": "ml",
        "spacehost.managed": "true",
        "spacehost.space": "Alice/My_Demo.v2",
        "spacehost.revision": REV,
        "spacehost.role": "app",
        "spacehost.port": "7860",
    }


def test_extra_labels_cannot_override_spacehost_labels() -> None:
    forged = {"spacehost.space": "mallory/x", "spacehost.managed": "false"}
    labels = container_labels(spec(labels=forged), 7860)
    assert labels["spacehost.space"] == "Alice/My_Demo.v2"
    assert labels["spacehost.managed"] == "true"


# --- environment ---------------------------------------------------------------------------------


def test_env_is_the_spec_env_plus_home() -> None:
    env = merged_env(spec(env={"SPACE_ID": "Alice/My_Demo.v2"}), GpuOptions(), None)
    assert env == {"HOME": "/home/user", "SPACE_ID": "Alice/My_Demo.v2"}


def test_spec_home_wins_over_default() -> None:
    assert merged_env(spec(env={"HOME": "/srv"}), GpuOptions(), None)["HOME"] == "/srv"


def test_gpu_env_wins_but_library_path_is_joined_gpu_first() -> None:
    gpu = GpuOptions(env={"LD_LIBRARY_PATH": "/usr/local/nvidia/lib64", "NVIDIA_X": "1"})
    env = merged_env(spec(env={"LD_LIBRARY_PATH": "/opt/app/lib", "NVIDIA_X": "0"}), gpu, None)
    assert env["LD_LIBRARY_PATH"] == "/usr/local/nvidia/lib64:/opt/app/lib"
    assert env["NVIDIA_X"] == "1"


def test_gpu_library_path_alone_when_spec_has_none() -> None:
    gpu = GpuOptions(env={"LD_LIBRARY_PATH": "/usr/local/nvidia/lib64"})
    assert merged_env(spec(), gpu, None)["LD_LIBRARY_PATH"] == "/usr/local/nvidia/lib64"


def test_host_port_overrides_port_variables_and_binds_loopback() -> None:
    base = {"GRADIO_SERVER_PORT": "7860", "GRADIO_SERVER_NAME": "0.0.0.0", "SPACE_ID": "a/b"}
    env = merged_env(spec(env=base), GpuOptions(), 41234)
    assert env["PORT"] == env["GRADIO_SERVER_PORT"] == "41234"
    assert env["GRADIO_SERVER_NAME"] == "127.0.0.1"
    assert env["SPACE_ID"] == "a/b"


# --- engine options ------------------------------------------------------------------------------


def test_bridge_options_publish_on_loopback_with_limits_and_contract() -> None:
    kw = create_kwargs(
        spec(port=8080, command=("python", "app.py"), memory_limit=512 << 20, cpus=1.5,
             pids_limit=256),
        name="n", gpu=GpuOptions(), network_mode="bridge",
    )  # fmt: skip
    assert kw["ports"] == {"8080/tcp": ("127.0.0.1", None)}
    assert kw["labels"]["spacehost.port"] == "8080"
    assert (kw["user"], kw["working_dir"], kw["init"]) == ("1000:1000", "/home/user/app", True)
    assert kw["command"] == ["python", "app.py"]
    assert (kw["mem_limit"], kw["memswap_limit"]) == (512 << 20, 512 << 20)
    assert (kw["nano_cpus"], kw["pids_limit"]) == (1_500_000_000, 256)
    assert kw["restart_policy"] == {"Name": "no"}
    assert kw["network_mode"] == "bridge"
    assert kw["name"] == "n" and kw["image"] == "spacehost-space/x:1"
    assert "devices" not in kw and "device_requests" not in kw
    assert kw["mounts"] == []


def test_no_command_keeps_image_cmd() -> None:
    kw = create_kwargs(spec(), name="n", gpu=GpuOptions(), network_mode="bridge")
    assert kw["command"] is None


def test_host_network_publishes_nothing_and_uses_the_host_port() -> None:
    kw = create_kwargs(spec(), name="n", gpu=GpuOptions(), network_mode="host", host_port=40001)
    assert "ports" not in kw
    assert kw["network_mode"] == "host"
    assert kw["labels"]["spacehost.port"] == "40001"
    assert kw["environment"]["GRADIO_SERVER_PORT"] == "40001"


def test_host_network_without_host_port_is_a_bug() -> None:
    with pytest.raises(SpacehostError, match="host port"):
        create_kwargs(spec(), name="n", gpu=GpuOptions(), network_mode="host")


def test_mounts_volume_and_gpu_options_are_passed() -> None:
    gpu = GpuOptions(
        device_requests=(DeviceRequest(count=1, capabilities=[["gpu"]]),),
        devices=("/dev/nvidia0:/dev/nvidia0:rwm",),
        mounts=(Mount("/usr/local/nvidia", "/usr/local/nvidia"),),
    )
    extra = (Mount("/srv/models", "/models"), Mount("/a", "/b", False))
    kw = create_kwargs(
        spec(data_volume="vol1", mounts=extra), name="n", gpu=gpu, network_mode="bridge"
    )
    assert kw["devices"] == ["/dev/nvidia0:/dev/nvidia0:rwm"]
    assert kw["device_requests"] == [DeviceRequest(count=1, capabilities=[["gpu"]])]
    mounts = [(m["Source"], m["Target"], m["Type"], m["ReadOnly"]) for m in kw["mounts"]]
    assert mounts == [
        ("/srv/models", "/models", "bind", True),
        ("/a", "/b", "bind", False),
        ("/usr/local/nvidia", "/usr/local/nvidia", "bind", True),
        ("vol1", "/data", "volume", False),
    ]
