"""gpu_run_options: what a container gets for a GPU request in each discovery mode."""

from __future__ import annotations

import pytest
from docker.types import DeviceRequest

from spacehost.domain import GpuRequest, gpu_request_for
from spacehost.errors import HardwareUnavailable
from spacehost.runtime.base import Mount
from spacehost.runtime.gpu import CdiDevice, GpuHost, GpuOptions, gpu_run_options

NONE = GpuHost()
TOOLKIT = GpuHost(mode="device_request", count=2, gpu_ids=("0", "1"))
TOOLKIT_UNKNOWN = GpuHost(mode="device_request", count=None)
BARE = GpuHost(
    mode="devices",
    count=2,
    gpu_ids=("0", "1"),
    devices=("/dev/nvidiactl:/dev/nvidiactl:rwm", "/dev/nvidia-uvm:/dev/nvidia-uvm:rwm"),
    mounts=(Mount("/usr/local/nvidia", "/usr/local/nvidia"),),
    env={"LD_LIBRARY_PATH": "/usr/local/nvidia/lib64"},
    gpus=(
        CdiDevice("0", devices=("/dev/nvidia0:/dev/nvidia0:rwm",)),
        CdiDevice("1", devices=("/dev/nvidia1:/dev/nvidia1:rwm",)),
    ),
)
CDI_LIB = "/usr/lib/x86_64-linux-gnu/libcuda.so.1"
NVML = "/opt/nv/lib/libnvidia-ml.so.1"
CDI = GpuHost(
    mode="cdi",
    count=2,
    gpu_ids=("0", "1"),
    devices=("/dev/nvidiactl:/dev/nvidiactl:rwm",),
    mounts=(Mount(CDI_LIB, CDI_LIB), Mount(NVML, NVML)),
    env={"NVIDIA_VISIBLE_DEVICES": "void"},
    gpus=(
        CdiDevice("0", devices=("/dev/nvidia0:/dev/nvidia0:rwm",), env=("GPU_SLOT=0",)),
        CdiDevice("1", devices=("/dev/nvidia1:/dev/nvidia1:rwm",), env=("GPU_SLOT=1",),
                  mounts=(Mount(CDI_LIB, CDI_LIB),)),
    ),
)  # fmt: skip
ALL_HOSTS = [NONE, TOOLKIT, TOOLKIT_UNKNOWN, BARE, CDI]


@pytest.mark.parametrize("host", ALL_HOSTS, ids=lambda h: h.mode)
@pytest.mark.parametrize("fallback", ["error", "cpu"])
def test_no_gpu_wanted_gives_empty_options(host: GpuHost, fallback: str) -> None:
    options = gpu_run_options(GpuRequest(), host, fallback=fallback)
    assert options == GpuOptions()
    assert options.is_empty and options.warnings == ()


def test_gpu_wanted_on_a_host_without_raises_with_the_fallback_hint() -> None:
    with pytest.raises(HardwareUnavailable) as err:
        gpu_run_options(
            gpu_request_for("t4-small"),
            NONE,
            fallback="error",
            hardware="suggested_hardware: t4-small",
        )
    assert err.value.message == (
        "this space asks for a GPU (suggested_hardware: t4-small) but this host has none"
    )
    assert err.value.hint == (
        "set SPACEHOST_GPU_FALLBACK=cpu to run it on CPU with a warning, "
        "or run spacehost on a GPU host"
    )
    assert err.value.details == {"wanted": 1, "available": 0, "mode": "none"}


def test_gpu_wanted_on_a_host_without_falls_back_to_cpu_with_a_warning() -> None:
    options = gpu_run_options(
        GpuRequest(2), NONE, fallback="cpu", hardware="suggested_hardware: l4x4"
    )
    assert options.is_empty
    assert options.warnings == (
        "this space asks for 2 GPUs (suggested_hardware: l4x4) but this host has none: "
        "running it on CPU",
    )


def test_unknown_fallback_value_refuses() -> None:
    with pytest.raises(HardwareUnavailable):
        gpu_run_options(GpuRequest(1), NONE, fallback="maybe")


def test_message_without_hardware_name() -> None:
    with pytest.raises(HardwareUnavailable) as err:
        gpu_run_options(GpuRequest(1), NONE, fallback="error")
    assert err.value.message == "this space asks for a GPU but this host has none"


@pytest.mark.parametrize("host", [TOOLKIT, BARE, CDI], ids=lambda h: h.mode)
@pytest.mark.parametrize("fallback", ["error", "cpu"])
def test_more_gpus_than_available_raises_even_with_cpu_fallback(
    host: GpuHost, fallback: str
) -> None:
    with pytest.raises(HardwareUnavailable) as err:
        gpu_run_options(GpuRequest(4), host, fallback=fallback, hardware="suggested_hardware: l4x4")
    assert err.value.message == (
        "this space asks for 4 GPUs (suggested_hardware: l4x4) but this host has only 2 GPUs"
    )
    assert "fewer GPUs" in err.value.hint


def test_device_request_mode_asks_the_engine_for_n_gpus() -> None:
    options = gpu_run_options(GpuRequest(2), TOOLKIT, fallback="error")
    assert options == GpuOptions(device_requests=(DeviceRequest(count=2, capabilities=[["gpu"]]),))
    assert dict(options.device_requests[0]) == dict(
        Driver="", Count=2, DeviceIDs=[], Capabilities=[["gpu"]], Options={}
    )


def test_device_request_with_unknown_count_is_not_checked_here() -> None:
    options = gpu_run_options(GpuRequest(8), TOOLKIT_UNKNOWN, fallback="error")
    assert options.device_requests[0]["Count"] == 8


@pytest.mark.parametrize("host", [BARE, CDI], ids=lambda h: h.mode)
def test_shared_gpu_request_gets_every_gpu(host: GpuHost) -> None:
    shared = gpu_run_options(gpu_request_for("zero-a10g"), host, fallback="error")
    assert shared == gpu_run_options(GpuRequest(2), host, fallback="error")


def test_shared_gpu_request_asks_the_engine_for_all_gpus() -> None:
    for host in (TOOLKIT, TOOLKIT_UNKNOWN):
        shared = gpu_run_options(GpuRequest(shared=True), host, fallback="error")
        assert shared.device_requests[0]["Count"] == -1


@pytest.mark.parametrize("fallback", ["error", "cpu"])
def test_shared_gpu_request_on_a_host_without_runs_on_cpu(fallback: str) -> None:
    options = gpu_run_options(
        GpuRequest(shared=True), NONE, fallback=fallback, hardware="hardware: zero"
    )
    assert options.is_empty
    assert options.warnings == (
        "this space asks for a shared GPU (hardware: zero) but this host "
        "has none: its @spaces.GPU functions run on CPU",
    )


def test_devices_mode_passes_control_nodes_first_gpus_driver_and_library_path() -> None:
    one = gpu_run_options(GpuRequest(1), BARE, fallback="error")
    assert one == GpuOptions(
        devices=(
            "/dev/nvidiactl:/dev/nvidiactl:rwm",
            "/dev/nvidia-uvm:/dev/nvidia-uvm:rwm",
            "/dev/nvidia0:/dev/nvidia0:rwm",
        ),
        mounts=(Mount("/usr/local/nvidia", "/usr/local/nvidia"),),
        env={"LD_LIBRARY_PATH": "/usr/local/nvidia/lib64"},
    )
    two = gpu_run_options(GpuRequest(2), BARE, fallback="error")
    assert two.devices[-2:] == ("/dev/nvidia0:/dev/nvidia0:rwm", "/dev/nvidia1:/dev/nvidia1:rwm")


def test_cdi_mode_applies_shared_and_per_device_edits_without_duplicates() -> None:
    options = gpu_run_options(GpuRequest(2), CDI, fallback="error")
    assert options.devices == (
        "/dev/nvidiactl:/dev/nvidiactl:rwm",
        "/dev/nvidia0:/dev/nvidia0:rwm",
        "/dev/nvidia1:/dev/nvidia1:rwm",
    )
    assert options.mounts == CDI.mounts  # the per-device copy of libcuda is not mounted twice
    # Per-device env wins over shared env; the last chosen device wins among them.
    assert options.env["NVIDIA_VISIBLE_DEVICES"] == "void"
    assert options.env["GPU_SLOT"] == "1"
    # The spec's ldcache hook is not run, so the non-standard library dir goes on the path.
    assert options.env["LD_LIBRARY_PATH"] == "/opt/nv/lib"
    assert options.device_requests == ()


def test_cdi_mode_keeps_a_library_path_the_spec_sets() -> None:
    host = GpuHost(
        mode="cdi",
        count=1,
        gpus=(CdiDevice("0", mounts=(Mount("/x/libcuda.so.1", "/x/libcuda.so.1"),),
                        env=("LD_LIBRARY_PATH=/y",)),),
    )  # fmt: skip
    assert gpu_run_options(GpuRequest(1), host, fallback="error").env == {"LD_LIBRARY_PATH": "/y"}


def test_cdi_mode_with_libraries_in_standard_dirs_sets_no_library_path() -> None:
    host = GpuHost(mode="cdi", count=1, gpus=(CdiDevice("0", mounts=(Mount(CDI_LIB, CDI_LIB),)),))
    assert "LD_LIBRARY_PATH" not in gpu_run_options(GpuRequest(1), host, fallback="error").env


def test_the_gpus_the_ledger_chose_are_the_ones_given() -> None:
    """A space is given the GPUs no job holds (lifecycle/gpuledger.py), not the first N."""
    toolkit = gpu_run_options(GpuRequest(1), TOOLKIT, fallback="error", gpu_ids=("1",))
    assert toolkit.device_requests == (DeviceRequest(device_ids=["1"], capabilities=[["gpu"]]),)
    bare = gpu_run_options(GpuRequest(1), BARE, fallback="error", gpu_ids=("1",))
    assert "/dev/nvidia1:/dev/nvidia1:rwm" in bare.devices
    assert "/dev/nvidia0:/dev/nvidia0:rwm" not in bare.devices
