"""How shared-GPU spaces are wired: the container's socket mount and GPU variables, the broker's
setup from the settings and the host, the GPU status, and the inventory parsers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spacehost.domain import GpuRequest, SpaceId
from spacehost.errors import SpacehostError
from spacehost.lifecycle import Platform
from spacehost.lifecycle.context import GpuCheck
from spacehost.lifecycle.gpubroker import BrokerLimits, GpuBroker
from spacehost.lifecycle.gpushare import (
    CONTAINER_GPU_DIR,
    CONTAINER_GPU_SOCKET,
    GpuSetup,
    SharedGpu,
    gpu_env,
    gpu_status,
    request_of,
)
from spacehost.runtime.base import Mount
from spacehost.runtime.gpu import GpuHost
from spacehost.runtime.nvml import container_of, parse_smi
from spacehost.server.broker import GpuBrokerServer, space_dir_name
from spacehost.server.gpus import broker_limits, gpu_setup, lease_mode
from spacehost.settings import Settings
from tests.fakes import FakeBackend
from tests.support.control_api import ApiCall, serve_api
from tests.support.platforms import platform_in

SPACE = SpaceId("alice", "zero")
NO_GPU = GpuHost()
ONE_GPU = GpuHost(mode="devices", count=1, gpu_ids=("0",))
TWO_GPUS = GpuHost(mode="device_request", count=2, gpu_ids=("0", "1"))


def readme(hardware: str) -> bytes:
    return f"---\ntitle: Zero\nsdk: gradio\nhardware: {hardware}\n---\n".encode()


class FakeShare:
    """A broker stand-in that records attach/detach."""

    lease_mode = "cpu"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.attached: list[SpaceId] = []
        self.detached: list[SpaceId] = []

    def attach(self, space: SpaceId) -> SharedGpu:
        self.attached.append(space)
        return SharedGpu(str(self.root / space_dir_name(space)))

    def detach(self, space: SpaceId) -> None:
        self.detached.append(space)

    def status(self) -> dict[str, Any]:
        return {
            "leases": [{"space": "alice/zero", "ticket": 1}],
            "queue": [],
            "history": [],
            "lease_mode": "cpu",
        }


def build(
    tmp_path: Path, check_gpu: GpuCheck | None = None
) -> Iterator[tuple[Platform, FakeBackend, FakeShare]]:
    backend, share = FakeBackend(), FakeShare(tmp_path / "gpu")
    with platform_in(tmp_path, backend, gpus=GpuSetup(share=share), check_gpu=check_gpu) as p:
        yield p, backend, share


@pytest.fixture()
def platform(tmp_path: Path) -> Iterator[tuple[Platform, FakeBackend, FakeShare]]:
    yield from build(tmp_path)


@pytest.fixture()
def cpu_fallback(tmp_path: Path) -> Iterator[tuple[Platform, FakeBackend, FakeShare]]:
    """A platform whose GPU check allows every request (the CPU fallback)."""
    yield from build(tmp_path, check_gpu=lambda _r, _h=None: [])


def test_a_zero_space_gets_its_socket_directory_and_the_shared_mode(platform: Any) -> None:
    p, backend, share = platform
    p.push(SPACE, {"README.md": readme("zero"), "app.py": b"print(1)"})
    assert p.wait_idle()
    spec = next(iter(backend.containers.values())).spec
    assert share.attached == [SPACE]
    assert spec.env["SPACEHOST_GPU_MODE"] == "shared"
    assert spec.env["SPACEHOST_GPU_SOCKET"] == CONTAINER_GPU_SOCKET
    assert (
        Mount(str(share.root / space_dir_name(SPACE)), CONTAINER_GPU_DIR, read_only=True)
        in spec.mounts
    )
    p.delete(SPACE)
    assert share.detached == [SPACE]


def test_a_dedicated_gpu_space_on_a_cpu_host_is_told_it_runs_on_cpu(cpu_fallback: Any) -> None:
    p, backend, share = cpu_fallback
    p.push(SPACE, {"README.md": readme("gpu"), "app.py": b"print(1)"})
    assert p.wait_idle()
    spec = next(iter(backend.containers.values())).spec
    assert spec.env["SPACEHOST_GPU_MODE"] == "cpu" and "SPACEHOST_GPU_SOCKET" not in spec.env
    assert share.attached == []


def test_a_cpu_space_gets_no_gpu_variables(platform: Any) -> None:
    p, backend, _ = platform
    p.push(SPACE, {"README.md": readme("cpu"), "app.py": b"print(1)"})
    assert p.wait_idle()
    spec = next(iter(backend.containers.values())).spec
    assert not any(k.startswith("SPACEHOST_GPU") for k in spec.env)


def test_gpu_env_for_each_case() -> None:
    shared = SharedGpu("/d")
    gpu_host, cpu_host = GpuSetup(has_gpu=True), GpuSetup()
    assert gpu_env(GpuRequest(), gpu_host, None) == {}
    assert gpu_env(GpuRequest(shared=True), gpu_host, shared)["SPACEHOST_GPU_MODE"] == "shared"
    # no broker: a shared space uses the GPU directly, or CPU
    assert gpu_env(GpuRequest(shared=True), gpu_host, None) == {"SPACEHOST_GPU_MODE": "dedicated"}
    assert gpu_env(GpuRequest(shared=True), cpu_host, None) == {"SPACEHOST_GPU_MODE": "cpu"}
    assert gpu_env(GpuRequest(1), gpu_host, None) == {"SPACEHOST_GPU_MODE": "dedicated"}


def test_gpu_status_names_the_spaces_on_each_gpu(platform: Any) -> None:
    p, _, _ = platform
    p.push(SPACE, {"README.md": readme("zero"), "app.py": b"print(1)"})
    p.push(SpaceId("bob", "cpu"), {"README.md": readme("cpu"), "app.py": b"print(1)"})
    assert p.wait_idle()
    container = p.store.get_space(SPACE).container_id
    p.gpus.inventory = lambda: [
        {
            "index": 0,
            "name": "NVIDIA H100",
            "processes": [{"pid": 10, "container": container}, {"pid": 11, "container": None}],
        }
    ]
    status = p.gpu_status()
    assert status["gpus"][0]["spaces"] == ["alice/zero"]
    assert status["gpus"][0]["processes"][1]["space"] is None
    assert status["spaces"] == [
        {"space": "alice/zero", "hardware": "zero", "shared": True, "count": 0, "stage": "RUNNING"}
    ]
    assert status["broker"]["leases"][0]["space"] == "alice/zero"
    assert p.gpu_status(SpaceId("bob", "cpu"))["broker"]["leases"] == []


def test_gpu_status_without_gpus_or_broker() -> None:
    status = gpu_status(GpuSetup(), [])
    assert status == {
        "mode": "none",
        "has_gpu": False,
        "gpus": [],
        "holders": {},
        "spaces": [],
        "broker": None,
    }


def test_request_of_shown_hardware() -> None:
    assert request_of("zero").shared and request_of("zero-a10g").shared
    assert request_of("gpu:2").count == 2 and request_of("t4-small").count == 1
    assert not request_of("cpu-basic").wants_gpu and not request_of("nonsense").wants_gpu


@pytest.mark.parametrize(
    ("broker", "host", "mode"),
    [
        ("auto", ONE_GPU, "gpu"),
        ("auto", NO_GPU, None),
        ("cpu", NO_GPU, "cpu"),
        ("cpu", ONE_GPU, "gpu"),
        ("off", ONE_GPU, None),
        ("off", NO_GPU, None),
    ],
)
def test_when_the_broker_runs(broker: str, host: GpuHost, mode: str | None) -> None:
    assert lease_mode(Settings(gpu_broker=broker), host) == mode


def test_broker_limits_follow_the_settings_and_the_host(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        gpu_slots=2,
        gpu_space_limit=2,
        gpu_duration_s=30,
        gpu_max_duration_s=90,
        gpu_memory_fraction=0.25,
        gpu_broker="cpu",
    )
    limits = broker_limits(settings, TWO_GPUS, "gpu")
    assert limits.devices == ("0", "1") and limits.slots_per_device == 2
    assert (limits.per_space, limits.default_duration_s, limits.max_duration_s) == (2, 30, 90)
    assert limits.fraction == 0.25
    assert broker_limits(settings, NO_GPU, "cpu").devices == ("cpu",)
    setup = gpu_setup(settings, NO_GPU)
    assert isinstance(setup.share, GpuBrokerServer) and setup.share.lease_mode == "cpu"
    assert setup.inventory() == [] and not setup.has_gpu
    assert gpu_setup(Settings(data_dir=tmp_path), NO_GPU).share is None


def test_broker_server_attach_from_a_thread_makes_a_socket(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = GpuBrokerServer(tmp_path / "gpu", GpuBroker(BrokerLimits(devices=("cpu",))))
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(5)
        shared = server.attach(SPACE)
        folder = Path(shared.host_dir)
        assert (folder / "gpu.sock").is_socket()
        assert (folder / "space").read_text().strip() == "alice/zero"
        assert (folder / "gpu.sock").stat().st_mode & 0o777 == 0o666
        assert server.status()["spaces"] == ["alice/zero"]
        server.detach(SPACE)
        assert not folder.exists()
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_parse_nvidia_smi_csv() -> None:
    gpus = (
        "0, GPU-aaa, NVIDIA H100 80GB HBM3, 81559, 1234, 7\n"
        "1, GPU-bbb, NVIDIA H100 80GB HBM3, 81559, [N/A], [Not Supported]\n"
    )
    apps = "GPU-aaa, 4242, 1000\nGPU-zzz, 1, 5\n"
    parsed = parse_smi(gpus, apps)
    assert parsed[0] == {
        "index": 0,
        "uuid": "GPU-aaa",
        "name": "NVIDIA H100 80GB HBM3",
        "memory_total_mib": 81559,
        "memory_used_mib": 1234,
        "utilization_pct": 7,
        "processes": [{"pid": 4242, "used_memory_mib": 1000}],
    }
    assert parsed[1]["memory_used_mib"] is None and parsed[1]["processes"] == []
    assert parse_smi("", "") == []


@pytest.mark.parametrize(
    "line", ["0::/system.slice/docker-{id}.scope", "12:memory:/docker/{id}", "0::/docker/{id}"]
)
def test_container_of_a_process(tmp_path: Path, line: str) -> None:
    cid = "ab" * 32
    (tmp_path / "77").mkdir()
    (tmp_path / "77" / "cgroup").write_text(line.format(id=cid) + "\n")
    assert container_of(77, tmp_path) == cid
    assert container_of(78, tmp_path) is None


# what users see: the API, the CLI report, the space page's panel ------------------------------


def test_api_gpus_answers_the_status_and_filters_by_space(platform: Any) -> None:
    p, _, _ = platform
    p.push(SPACE, {"README.md": readme("zero"), "app.py": b"print(1)"})
    assert p.wait_idle()

    async def scenario(call: ApiCall) -> None:
        status, body = await call("GET", "/api/gpus")
        assert status == 200 and body["has_gpu"] is False
        assert body["spaces"][0]["space"] == "alice/zero" and body["broker"]["lease_mode"] == "cpu"
        status, body = await call("GET", "/api/gpus?space=bob/other")
        assert status == 200 and body["spaces"] == [] and body["broker"]["leases"] == []
        status, body = await call("GET", "/api/gpus?space=nonsense")
        assert (status, body["error"]["code"]) == (400, "invalid_name")

    serve_api(p, scenario)


def test_cli_report_without_gpus_and_with() -> None:
    from spacehost.cli.gpus import format_gpus

    cpu = format_gpus({"mode": "none", "has_gpu": False, "gpus": [], "spaces": [], "broker": None})
    assert cpu.splitlines()[0] == "no GPUs on this host"
    assert "GPU broker: off" in cpu
    busy = format_gpus(
        {
            "mode": "devices",
            "has_gpu": True,
            "gpus": [
                {
                    "index": 0,
                    "name": "NVIDIA H100 80GB HBM3",
                    "memory_total_mib": 81559,
                    "memory_used_mib": 2048,
                    "utilization_pct": 40,
                    "spaces": ["alice/zero"],
                }
            ],
            "spaces": [
                {
                    "space": "alice/zero",
                    "hardware": "zero",
                    "shared": True,
                    "count": 0,
                    "stage": "RUNNING",
                }
            ],
            "broker": {
                "lease_mode": "gpu",
                "devices": [{"id": "0", "slots": 1, "leases": 1}],
                "limits": {"per_space": 1, "default_duration_s": 60, "max_duration_s": 300},
                "leases": [
                    {"space": "alice/zero", "name": "generate", "device": "0", "held_s": 1.25}
                ],
                "queue": [{"position": 1, "space": "bob/x", "name": "f", "waiting_s": 0.5}],
                "totals": {"granted": 3, "released": 2},
            },
        }
    )
    assert (
        "0  NVIDIA H100 80GB HBM3  2,048 MiB / 81,559 MiB used  40% busy  in use by: "
        "alice/zero" in busy
    )
    assert "alice/zero  zero (shared)  RUNNING" in busy
    assert "running: alice/zero (generate) on 0 for 1.2 s" in busy
    assert "waiting: 1. bob/x (f) for 0.5 s" in busy
    assert "3 granted, 2 released, 0 expired" in busy


def test_space_page_panel() -> None:
    from spacehost.web.gpu_panel import gpu_panel

    cpu = gpu_panel(
        {"has_gpu": False, "gpus": [], "broker": {"lease_mode": "cpu", "leases": [], "queue": []}},
        "zero",
    )
    assert "shared (hardware: zero)" in cpu
    assert "no GPUs on this host: @spaces.GPU functions run on CPU" in cpu
    assert "Broker (CPU leases (no GPU here)): no call running now" in cpu
    busy = gpu_panel(
        {
            "has_gpu": True,
            "gpus": [{"name": "H100 <80GB>", "memory_used_mib": 10, "memory_total_mib": 80000}],
            "broker": {
                "lease_mode": "gpu",
                "leases": [{}],
                "queue": [{"position": 2}, {"position": 4}],
            },
        },
        "zero-a10g",
    )
    assert "H100 &lt;80GB&gt; (10 MiB / 80,000 MiB used)" in busy
    assert "running 1 call(s) now, 2 waiting (queue positions 2, 4)" in busy
    assert "dedicated" in gpu_panel({"has_gpu": True, "gpus": []}, "gpu")


def test_a_broker_that_cannot_listen_is_a_runtime_error(platform: Any) -> None:
    p, backend, share = platform

    def broken(space: SpaceId) -> SharedGpu:
        raise SpacehostError("the GPU broker is not running", hint="restart spacehost")

    share.attach = broken
    p.push(SPACE, {"README.md": readme("zero"), "app.py": b"print(1)"})
    assert p.wait_idle()
    rec = p.store.get_space(SPACE)
    assert rec.stage.value == "RUNTIME_ERROR"
    assert rec.error_message.startswith("the GPU broker: the GPU broker is not running")
    assert backend.containers == {}
