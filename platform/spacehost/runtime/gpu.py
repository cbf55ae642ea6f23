"""How this host gives a container its GPUs, and what a container asks of the engine for them.

Four ways, tried in this order by :func:`discover_gpu_host`:

``device_request``
    The engine has the ``nvidia`` runtime or nvidia-container-toolkit is installed: the engine
    is asked for ``DeviceRequest(count=N, capabilities=[["gpu"]])`` and the toolkit does the rest.
``cdi``
    A Container Device Interface spec (``nvidia-ctk cdi generate``) lies in ``/etc/cdi`` or
    ``/var/run/cdi``: its device nodes, mounts and environment are applied by spacehost itself,
    since engines before 25 cannot read CDI.
``devices``
    Only the driver is installed (``/dev/nvidia*`` and ``libcuda.so.1``): the device nodes are
    passed through and the driver libraries bind-mounted read-only under ``/usr/local/nvidia``.
``none``
    No GPU here.

Discovery reads files only (under *root*, so tests use a fake tree); the options are pure.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml
from docker.types import DeviceRequest

from spacehost.domain import GpuRequest
from spacehost.errors import HardwareUnavailable
from spacehost.runtime.base import Mount

log = logging.getLogger(__name__)
_T = TypeVar("_T")

MODES = ("device_request", "cdi", "devices", "none")

# Where the libraries land in the container in "devices" mode; the CUDA images use this path.
CONTAINER_DRIVER_DIR = "/usr/local/nvidia"
CONTAINER_DRIVER_LIB = "/usr/local/nvidia/lib64"

TOOLKIT_BINARIES = (
    "usr/bin/nvidia-container-toolkit",
    "usr/bin/nvidia-container-runtime-hook",
    "usr/bin/nvidia-container-runtime",
    "usr/local/bin/nvidia-container-toolkit",
    "usr/local/bin/nvidia-container-runtime-hook",
)
CDI_DIRS = ("etc/cdi", "var/run/cdi")
# Searched in order for libcuda.so.1 when the driver is not under /usr/local/nvidia.
DRIVER_LIB_DIRS = (
    "usr/local/nvidia/lib64",
    "usr/local/nvidia/lib",
    "usr/lib/x86_64-linux-gnu",
    "usr/lib/aarch64-linux-gnu",
    "usr/lib64",
    "usr/lib",
    "lib/x86_64-linux-gnu",
    "lib64",
)
# The user-space half of the driver, when it shares a directory with everything else.
DRIVER_LIB_PATTERNS = ("libcuda.so*", "libcudadebugger.so*", "libnvidia-*.so*", "libnvcuvid.so*")
CONTROL_NODES = ("dev/nvidiactl", "dev/nvidia-uvm")
OPTIONAL_NODES = ("dev/nvidia-uvm-tools",)
_GPU_NODE_RE = re.compile(r"^nvidia(\d+)$")
_STANDARD_LIB_DIRS = frozenset(
    {"/lib", "/lib64", "/usr/lib", "/usr/lib64", "/lib/x86_64-linux-gnu",
     "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu"}
)  # fmt: skip


def _empty_env() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class CdiDevice:
    """One named device of a CDI spec and what it adds to a container."""

    name: str  # e.g. "0", "GPU-8c1b...", as in nvidia.com/gpu=0
    devices: tuple[str, ...] = ()  # "host:container:perms"
    mounts: tuple[Mount, ...] = ()
    env: tuple[str, ...] = ()  # "K=V"


@dataclass(frozen=True)
class GpuHost:
    """What :func:`discover_gpu_host` found.

    ``count`` is ``None`` when GPUs are handed out by the engine and none are visible here (say,
    spacehost itself runs in a container), so a request cannot be checked in advance.
    ``devices``/``mounts``/``env`` are the shared part every GPU container gets (control nodes,
    driver libraries); ``gpus`` are the per-GPU parts, in id order.
    """

    mode: str = "none"
    count: int | None = 0
    gpu_ids: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    mounts: tuple[Mount, ...] = ()
    env: Mapping[str, str] = field(default_factory=_empty_env)
    gpus: tuple[CdiDevice, ...] = ()
    reason: str = "no NVIDIA runtime, CDI spec or /dev/nvidia* device found"

    @property
    def has_gpu(self) -> bool:
        return self.mode != "none"


@dataclass(frozen=True)
class GpuOptions:
    """What to add to a container so it gets its GPUs; all empty when it wants none."""

    device_requests: tuple[DeviceRequest, ...] = ()
    devices: tuple[str, ...] = ()
    mounts: tuple[Mount, ...] = ()
    env: Mapping[str, str] = field(default_factory=_empty_env)
    warnings: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.device_requests or self.devices or self.mounts or self.env)


def discover_gpu_host(docker_info: Mapping[str, Any], root: Path = Path("/")) -> GpuHost:
    """Find how this host can give containers GPUs.

    Args:
        docker_info: the engine's ``docker info`` (``DockerClient.info()``); only ``Runtimes``
            is read.
        root: the host's root directory; a fake tree in tests.

    Returns:
        The first mode that applies, in the order ``device_request``, ``cdi``, ``devices``,
        ``none``. Paths in the result are host paths (without *root*). Never raises for a
        host without GPUs; an unreadable CDI spec is skipped with a logged warning.
    """
    gpu_nodes = _gpu_nodes(root)
    ids = tuple(str(n) for n in gpu_nodes)
    if "nvidia" in (docker_info.get("Runtimes") or {}) or _has_toolkit(root):
        return GpuHost(
            mode="device_request",
            count=len(gpu_nodes) or None,
            gpu_ids=ids,
            reason="the engine has the nvidia runtime or nvidia-container-toolkit is installed",
        )
    cdi = _discover_cdi(root)
    if cdi is not None:
        return cdi
    devices = _discover_devices(root, gpu_nodes)
    if devices is not None:
        return devices
    return GpuHost()


def _gpu_nodes(root: Path) -> list[int]:
    dev = root / "dev"
    if not dev.is_dir():
        return []
    found = (_GPU_NODE_RE.match(p.name) for p in dev.iterdir())
    return sorted(int(m.group(1)) for m in found if m)


def _has_toolkit(root: Path) -> bool:
    return any((root / rel).exists() for rel in TOOLKIT_BINARIES)


# --- CDI ---------------------------------------------------------------------------------------


def _discover_cdi(root: Path) -> GpuHost | None:
    for spec_file in _cdi_spec_files(root):
        try:
            spec = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            log.warning("skipping unreadable CDI spec %s: %s", spec_file, exc)
            continue
        host = gpu_host_from_cdi(spec, source=str(spec_file))
        if host is not None:
            return host
    return None


def _cdi_spec_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for rel in CDI_DIRS:
        folder = root / rel
        if folder.is_dir():
            files.extend(
                sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
            )
    return files


def gpu_host_from_cdi(spec: Any, *, source: str = "CDI spec") -> GpuHost | None:
    """A ``cdi`` mode :class:`GpuHost` from one parsed CDI spec.

    Args:
        spec: the spec as parsed from YAML/JSON.
        source: where it came from, for :attr:`GpuHost.reason`.

    Returns:
        ``None`` when the spec is not a GPU spec (its ``kind`` does not end in ``/gpu``) or
        names no GPU device; the ``all`` device is not counted as a GPU.
    """
    if not isinstance(spec, Mapping) or not str(spec.get("kind", "")).endswith("/gpu"):
        return None
    gpus = tuple(
        _cdi_device(dev)
        for dev in spec.get("devices") or ()
        if isinstance(dev, Mapping) and dev.get("name") not in (None, "all")
    )
    if not gpus:
        return None
    shared = _cdi_device({"name": "", "containerEdits": spec.get("containerEdits") or {}})
    return GpuHost(
        mode="cdi",
        count=len(gpus),
        gpu_ids=tuple(g.name for g in gpus),
        devices=shared.devices,
        mounts=shared.mounts,
        env=_env_dict(shared.env),
        gpus=gpus,
        reason=f"{source} ({spec.get('kind')}) lists {len(gpus)} GPU(s)",
    )


def _cdi_device(dev: Mapping[str, Any]) -> CdiDevice:
    edits = dev.get("containerEdits") or {}
    nodes = tuple(
        _device_string(node.get("hostPath") or node["path"], node["path"],
                       node.get("permissions") or "rwm")
        for node in edits.get("deviceNodes") or ()
        if isinstance(node, Mapping) and node.get("path")
    )  # fmt: skip
    mounts = tuple(
        Mount(m["hostPath"], m["containerPath"], read_only="rw" not in (m.get("options") or ()))
        for m in edits.get("mounts") or ()
        if isinstance(m, Mapping) and m.get("hostPath") and m.get("containerPath")
    )
    env = tuple(str(e) for e in edits.get("env") or () if "=" in str(e))
    return CdiDevice(name=str(dev.get("name", "")), devices=nodes, mounts=mounts, env=env)


def _device_string(host: str, container: str, perms: str = "rwm") -> str:
    return f"{host}:{container}:{perms}"


def _env_dict(pairs: Iterable[str]) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in pairs)


# --- bare driver -------------------------------------------------------------------------------


def _discover_devices(root: Path, gpu_nodes: list[int]) -> GpuHost | None:
    if not gpu_nodes or not all((root / rel).exists() for rel in CONTROL_NODES):
        return None
    lib_dir = _find_driver_lib_dir(root)
    if lib_dir is None:
        return None
    nodes = [*CONTROL_NODES, *(rel for rel in OPTIONAL_NODES if (root / rel).exists())]
    mounts = _driver_mounts(root, lib_dir)
    return GpuHost(
        mode="devices",
        count=len(gpu_nodes),
        gpu_ids=tuple(str(n) for n in gpu_nodes),
        devices=tuple(_device_string(f"/{rel}", f"/{rel}") for rel in nodes),
        mounts=mounts,
        env={"LD_LIBRARY_PATH": CONTAINER_DRIVER_LIB},
        gpus=tuple(
            CdiDevice(name=str(n), devices=(_device_string(f"/dev/nvidia{n}", f"/dev/nvidia{n}"),))
            for n in gpu_nodes
        ),
        reason=f"/dev/nvidia* nodes and the driver in /{lib_dir}, without a container toolkit",
    )


def _find_driver_lib_dir(root: Path) -> str | None:
    for rel in DRIVER_LIB_DIRS:
        if (root / rel / "libcuda.so.1").exists():
            return rel
    return None


def _driver_mounts(root: Path, lib_dir: str) -> tuple[Mount, ...]:
    if lib_dir.startswith("usr/local/nvidia/"):
        return (Mount(f"/{CONTAINER_DRIVER_DIR.lstrip('/')}", CONTAINER_DRIVER_DIR),)
    # A shared system directory must not shadow the container's own libraries (its libc would
    # be the host's), so only the driver's files go in, one bind mount each.
    names = sorted({p.name for pat in DRIVER_LIB_PATTERNS for p in (root / lib_dir).glob(pat)})
    return tuple(Mount(f"/{lib_dir}/{name}", f"{CONTAINER_DRIVER_LIB}/{name}") for name in names)


# --- run options -------------------------------------------------------------------------------


def gpu_run_options(
    request: GpuRequest,
    host: GpuHost,
    *,
    fallback: str,
    hardware: str | None = None,
    gpu_ids: tuple[str, ...] = (),
) -> GpuOptions:
    """What a container needs from the engine to get the GPUs *request* asks for.

    A shared request (``hardware: zero``, ``zero-a10g``) gets every GPU of the host: the GPU
    broker, not the engine, decides which calls use them and when (docs/gpu.md). On a host
    without GPUs it runs on CPU whatever *fallback* says: ZeroGPU demos are meant to degrade.

    Args:
        request: the space's GPU request.
        host: what :func:`discover_gpu_host` found.
        fallback: ``"cpu"`` runs a GPU space without a GPU (with a warning) on a host that has
            none; anything else refuses it (the setting ``SPACEHOST_GPU_FALLBACK``).
        hardware: how the space asked, for the messages (e.g. ``suggested_hardware: t4-small``
            or ``hardware: gpu:2``; :func:`spacehost.manifest.hardware_label` makes it).
        gpu_ids: which of the host's GPUs (:attr:`GpuHost.gpu_ids`) a dedicated request gets,
            as the lifecycle's GPU ledger chose them; empty: the first *N*.

    Returns:
        Empty options when no GPU is wanted, or when none exists and *fallback* is ``"cpu"``
        (then ``warnings`` says so); otherwise what to pass to the engine for this mode.

    Raises:
        HardwareUnavailable: a GPU is wanted and the host has none (and *fallback* is not
            ``"cpu"``), or more GPUs are wanted than the host has.
    """
    if not request.wants_gpu:
        return GpuOptions()
    if request.shared:
        return _shared_options(host, hardware)
    wanted = max(request.count, 1)
    asks = f"this space asks for {_gpus(wanted)}" + (f" ({_asked(hardware)})" if hardware else "")
    if not host.has_gpu:
        if fallback == "cpu":
            return GpuOptions(warnings=(f"{asks} but this host has none: running it on CPU",))
        raise HardwareUnavailable(
            f"{asks} but this host has none",
            hint="set SPACEHOST_GPU_FALLBACK=cpu to run it on CPU with a warning, "
            "or run spacehost on a GPU host",
            details={"wanted": wanted, "available": 0, "mode": host.mode},
        )
    if host.count is not None and wanted > host.count:
        raise HardwareUnavailable(
            f"{asks} but this host has only {_gpus(host.count)}",
            hint="ask for fewer GPUs in the space's README (suggested_hardware), "
            "or run it on a host with more",
            details={"wanted": wanted, "available": host.count, "mode": host.mode},
        )
    if host.mode == "device_request":
        if gpu_ids:  # these GPUs, not "any N": a job may hold the others
            chosen = DeviceRequest(device_ids=list(gpu_ids), capabilities=[["gpu"]])
            return GpuOptions(device_requests=(chosen,))
        return GpuOptions(device_requests=(DeviceRequest(count=wanted, capabilities=[["gpu"]]),))
    return _explicit_options(host, wanted, gpu_ids)


def _asked(hardware: str) -> str:
    """How the space asked, for messages: a label as given (``hardware: gpu:2``), or a bare HF
    flavor (``t4-small``, as the runtime's hardware label carries it) as its field."""
    return hardware if ": " in hardware else f"suggested_hardware: {hardware}"


def _shared_options(host: GpuHost, hardware: str | None) -> GpuOptions:
    if not host.has_gpu:
        named = f" ({_asked(hardware)})" if hardware else ""
        return GpuOptions(
            warnings=(
                f"this space asks for a shared GPU{named} but this host has none: its @spaces.GPU "
                "functions run on CPU",
            )
        )
    if host.mode == "device_request":  # count -1: all of them, as `docker run --gpus all`
        return GpuOptions(device_requests=(DeviceRequest(count=-1, capabilities=[["gpu"]]),))
    return _explicit_options(host, len(host.gpus))


def _explicit_options(host: GpuHost, wanted: int, gpu_ids: tuple[str, ...] = ()) -> GpuOptions:
    named = tuple(g for g in host.gpus if g.name in gpu_ids)
    chosen = named if gpu_ids and len(named) == len(gpu_ids) else host.gpus[:wanted]
    env = dict(host.env)
    for gpu in chosen:
        env.update(_env_dict(gpu.env))
    mounts = _unique((*host.mounts, *(m for g in chosen for m in g.mounts)))
    if host.mode == "cdi":
        lib_dirs = _library_dirs(mounts)
        if lib_dirs and "LD_LIBRARY_PATH" not in env:
            # CDI specs rely on a createContainer hook to refresh the linker cache; spacehost
            # does not run hooks, so the linker is pointed at the mounted libraries instead.
            env["LD_LIBRARY_PATH"] = ":".join(lib_dirs)
    return GpuOptions(
        devices=_unique((*host.devices, *(d for g in chosen for d in g.devices))),
        mounts=mounts,
        env=env,
    )


def _library_dirs(mounts: Iterable[Mount]) -> list[str]:
    dirs: list[str] = []
    for m in mounts:
        parent = m.container_path.rsplit("/", 1)[0] or "/"
        if ".so" in m.container_path and parent not in _STANDARD_LIB_DIRS and parent not in dirs:
            dirs.append(parent)
    return dirs


def _unique(items: Iterable[_T]) -> tuple[_T, ...]:
    return tuple(dict.fromkeys(items))


def _gpus(n: int) -> str:
    return "a GPU" if n == 1 else f"{n} GPUs"
