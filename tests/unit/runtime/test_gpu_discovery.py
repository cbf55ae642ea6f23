"""GPU discovery on fake host trees (tmp_path as /) and fake `docker info` documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spacehost.runtime.base import Mount
from spacehost.runtime.gpu import GpuHost, discover_gpu_host, gpu_host_from_cdi

NO_NVIDIA_INFO = {"Runtimes": {"runc": {"path": "runc"}}, "DefaultRuntime": "runc"}
NVIDIA_INFO = {
    "Runtimes": {"runc": {"path": "runc"}, "nvidia": {"path": "nvidia-container-runtime"}}
}

CDI_YAML = """\
cdiVersion: 0.5.0
kind: nvidia.com/gpu
devices:
- name: "0"
  containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
- name: "1"
  containerEdits:
    deviceNodes:
    - path: /dev/nvidia1
      hostPath: /dev/nvidia1
      permissions: rw
- name: all
  containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
    - path: /dev/nvidia1
containerEdits:
  env:
  - NVIDIA_VISIBLE_DEVICES=void
  deviceNodes:
  - path: /dev/nvidiactl
  - path: /dev/nvidia-uvm
  mounts:
  - hostPath: /usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15
    containerPath: /usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15
    options: [ro, nosuid, nodev, bind]
  - hostPath: /usr/bin/nvidia-smi
    containerPath: /usr/bin/nvidia-smi
    options: [ro, nosuid, nodev, bind]
  - hostPath: /run/nvidia-persistenced/socket
    containerPath: /run/nvidia-persistenced/socket
    options: [rw, nosuid, nodev, bind]
  hooks:
  - hookName: createContainer
    path: /usr/bin/nvidia-ctk
    args: [nvidia-ctk, hook, update-ldcache]
"""


def touch(root: Path, *rels: str) -> None:
    for rel in rels:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def driver_tree(root: Path, gpus: int = 1, lib_dir: str = "usr/local/nvidia/lib64") -> None:
    touch(root, "dev/nvidiactl", "dev/nvidia-uvm", *(f"dev/nvidia{i}" for i in range(gpus)))
    touch(root, f"{lib_dir}/libcuda.so.1", f"{lib_dir}/libnvidia-ml.so.1")


# --- none ----------------------------------------------------------------------------------------


@pytest.mark.skipif(Path("/dev/nvidiactl").exists(), reason="this host has an NVIDIA driver")
def test_this_cpu_host_is_mode_none_without_errors() -> None:
    assert discover_gpu_host(NO_NVIDIA_INFO, Path("/")) == GpuHost()


def test_empty_tree_is_mode_none(tmp_path: Path) -> None:
    host = discover_gpu_host({}, tmp_path)
    assert (host.mode, host.count, host.gpu_ids, host.has_gpu) == ("none", 0, (), False)


def test_missing_root_is_mode_none(tmp_path: Path) -> None:
    assert discover_gpu_host({}, tmp_path / "nowhere").mode == "none"


def test_runtimes_null_in_docker_info_is_tolerated(tmp_path: Path) -> None:
    assert discover_gpu_host({"Runtimes": None}, tmp_path).mode == "none"


def test_gpu_nodes_without_control_nodes_is_mode_none(tmp_path: Path) -> None:
    touch(tmp_path, "dev/nvidia0", "usr/local/nvidia/lib64/libcuda.so.1")
    assert discover_gpu_host({}, tmp_path).mode == "none"


def test_device_nodes_without_driver_library_is_mode_none(tmp_path: Path) -> None:
    touch(tmp_path, "dev/nvidia0", "dev/nvidiactl", "dev/nvidia-uvm")
    assert discover_gpu_host({}, tmp_path).mode == "none"


def test_control_nodes_without_gpu_node_is_mode_none(tmp_path: Path) -> None:
    touch(tmp_path, "dev/nvidiactl", "dev/nvidia-uvm", "usr/local/nvidia/lib64/libcuda.so.1")
    assert discover_gpu_host({}, tmp_path).mode == "none"


# --- device_request ------------------------------------------------------------------------------


def test_nvidia_runtime_in_docker_info_is_device_request(tmp_path: Path) -> None:
    touch(tmp_path, "dev/nvidia0", "dev/nvidia1", "dev/nvidiactl")
    host = discover_gpu_host(NVIDIA_INFO, tmp_path)
    assert (host.mode, host.count, host.gpu_ids) == ("device_request", 2, ("0", "1"))
    assert not host.devices and not host.mounts and not host.env


@pytest.mark.parametrize(
    "binary", ["usr/bin/nvidia-container-toolkit", "usr/bin/nvidia-container-runtime-hook"]
)
def test_installed_toolkit_is_device_request(tmp_path: Path, binary: str) -> None:
    touch(tmp_path, binary, "dev/nvidia0")
    host = discover_gpu_host(NO_NVIDIA_INFO, tmp_path)
    assert (host.mode, host.count) == ("device_request", 1)


def test_device_request_without_visible_nodes_has_unknown_count(tmp_path: Path) -> None:
    host = discover_gpu_host(NVIDIA_INFO, tmp_path)
    assert (host.mode, host.count, host.gpu_ids) == ("device_request", None, ())


def test_device_request_wins_over_cdi_and_bare_driver(tmp_path: Path) -> None:
    driver_tree(tmp_path)
    touch(tmp_path, "etc/cdi/nvidia.yaml")
    (tmp_path / "etc/cdi/nvidia.yaml").write_text(CDI_YAML)
    assert discover_gpu_host(NVIDIA_INFO, tmp_path).mode == "device_request"


def test_gpu_nodes_are_counted_in_numeric_order(tmp_path: Path) -> None:
    touch(tmp_path, *(f"dev/nvidia{i}" for i in (10, 2, 0, 1)), "dev/nvidia-modeset")
    assert discover_gpu_host(NVIDIA_INFO, tmp_path).gpu_ids == ("0", "1", "2", "10")


# --- cdi -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["etc/cdi/nvidia.yaml", "var/run/cdi/nvidia.yml"])
def test_cdi_spec_is_mode_cdi(tmp_path: Path, where: str) -> None:
    touch(tmp_path, where)
    (tmp_path / where).write_text(CDI_YAML)
    host = discover_gpu_host(NO_NVIDIA_INFO, tmp_path)
    assert (host.mode, host.count, host.gpu_ids) == ("cdi", 2, ("0", "1"))
    assert host.devices == (
        "/dev/nvidiactl:/dev/nvidiactl:rwm",
        "/dev/nvidia-uvm:/dev/nvidia-uvm:rwm",
    )
    assert host.env == {"NVIDIA_VISIBLE_DEVICES": "void"}
    lib = "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"
    assert host.mounts == (
        Mount(lib, lib, read_only=True),
        Mount("/usr/bin/nvidia-smi", "/usr/bin/nvidia-smi", read_only=True),
        Mount(
            "/run/nvidia-persistenced/socket", "/run/nvidia-persistenced/socket", read_only=False
        ),
    )
    assert [g.devices for g in host.gpus] == [
        ("/dev/nvidia0:/dev/nvidia0:rwm",),
        ("/dev/nvidia1:/dev/nvidia1:rw",),
    ]
    assert str(tmp_path / where) in host.reason


def test_cdi_spec_in_json(tmp_path: Path) -> None:
    spec = {
        "cdiVersion": "0.6.0",
        "kind": "nvidia.com/gpu",
        "devices": [
            {
                "name": "GPU-8c1b",
                "containerEdits": {
                    "deviceNodes": [{"path": "/dev/nvidia3"}],
                    "env": ["CUDA_VISIBLE_DEVICES=0", "not-a-pair"],
                    "mounts": [
                        {
                            "hostPath": "/opt/drv/libcuda.so.1",
                            "containerPath": "/opt/drv/libcuda.so.1",
                        }
                    ],
                },
            }
        ],
    }
    touch(tmp_path, "etc/cdi/gpu.json")
    (tmp_path / "etc/cdi/gpu.json").write_text(json.dumps(spec))
    host = discover_gpu_host({}, tmp_path)
    assert (host.mode, host.count, host.gpu_ids) == ("cdi", 1, ("GPU-8c1b",))
    assert host.gpus[0].env == ("CUDA_VISIBLE_DEVICES=0",)
    assert host.gpus[0].mounts == (Mount("/opt/drv/libcuda.so.1", "/opt/drv/libcuda.so.1"),)
    assert host.devices == () and host.env == {}


def test_cdi_spec_of_another_kind_is_ignored(tmp_path: Path) -> None:
    touch(tmp_path, "etc/cdi/net.yaml")
    (tmp_path / "etc/cdi/net.yaml").write_text(CDI_YAML.replace("nvidia.com/gpu", "vendor.com/nic"))
    assert discover_gpu_host({}, tmp_path).mode == "none"


def test_unreadable_cdi_spec_is_skipped_for_the_next(tmp_path: Path) -> None:
    touch(tmp_path, "etc/cdi/a-broken.yaml", "etc/cdi/b-nvidia.yaml", "etc/cdi/notes.txt")
    (tmp_path / "etc/cdi/a-broken.yaml").write_text("kind: [unclosed\n")
    (tmp_path / "etc/cdi/b-nvidia.yaml").write_text(CDI_YAML)
    (tmp_path / "etc/cdi/notes.txt").write_text(CDI_YAML)
    assert discover_gpu_host({}, tmp_path).mode == "cdi"


def test_cdi_spec_with_only_the_all_device_is_not_a_gpu_host() -> None:
    spec = {"kind": "nvidia.com/gpu", "devices": [{"name": "all", "containerEdits": {}}]}
    assert gpu_host_from_cdi(spec) is None


@pytest.mark.parametrize("spec", [None, "text", [], {"kind": "nvidia.com/gpu"}, {"devices": []}])
def test_malformed_cdi_documents_give_none(spec: object) -> None:
    assert gpu_host_from_cdi(spec) is None


def test_cdi_wins_over_bare_driver(tmp_path: Path) -> None:
    driver_tree(tmp_path)
    touch(tmp_path, "etc/cdi/nvidia.yaml")
    (tmp_path / "etc/cdi/nvidia.yaml").write_text(CDI_YAML)
    assert discover_gpu_host({}, tmp_path).mode == "cdi"


# --- devices -------------------------------------------------------------------------------------


def test_bare_driver_under_usr_local_nvidia_is_mode_devices(tmp_path: Path) -> None:
    driver_tree(tmp_path, gpus=2)
    touch(tmp_path, "dev/nvidia-uvm-tools")
    host = discover_gpu_host(NO_NVIDIA_INFO, tmp_path)
    assert (host.mode, host.count, host.gpu_ids) == ("devices", 2, ("0", "1"))
    assert host.devices == (
        "/dev/nvidiactl:/dev/nvidiactl:rwm",
        "/dev/nvidia-uvm:/dev/nvidia-uvm:rwm",
        "/dev/nvidia-uvm-tools:/dev/nvidia-uvm-tools:rwm",
    )
    assert host.mounts == (Mount("/usr/local/nvidia", "/usr/local/nvidia", read_only=True),)
    assert host.env == {"LD_LIBRARY_PATH": "/usr/local/nvidia/lib64"}
    assert [g.devices for g in host.gpus] == [
        ("/dev/nvidia0:/dev/nvidia0:rwm",),
        ("/dev/nvidia1:/dev/nvidia1:rwm",),
    ]


def test_uvm_tools_node_is_optional(tmp_path: Path) -> None:
    driver_tree(tmp_path)
    assert not any("uvm-tools" in d for d in discover_gpu_host({}, tmp_path).devices)


def test_driver_in_system_lib_dir_mounts_only_driver_files(tmp_path: Path) -> None:
    lib = "usr/lib/x86_64-linux-gnu"
    driver_tree(tmp_path, lib_dir=lib)
    touch(tmp_path, f"{lib}/libcuda.so.550.54.15", f"{lib}/libc.so.6", f"{lib}/libssl.so.3")
    host = discover_gpu_host({}, tmp_path)
    assert host.mode == "devices"
    assert host.mounts == tuple(
        Mount(f"/{lib}/{name}", f"/usr/local/nvidia/lib64/{name}")
        for name in ("libcuda.so.1", "libcuda.so.550.54.15", "libnvidia-ml.so.1")
    )
    assert host.env == {"LD_LIBRARY_PATH": "/usr/local/nvidia/lib64"}
    assert str(tmp_path) not in "".join(m.host_path for m in host.mounts)
