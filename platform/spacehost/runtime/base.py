"""What every runtime backend offers: the container spec it runs and what it reports back.

The lifecycle layer is written against :class:`RuntimeBackend` only; the Docker backend
(:mod:`spacehost.runtime.docker_backend`) is the default implementation and a ``FakeBackend``
stands in for it in unit tests of the layers above.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from spacehost.domain import GpuRequest, SpaceId
from spacehost.runtime.hubsnapshot import HubSnapshot

# Labels every app container carries; reconcile and test teardown select by them.
LABEL_MANAGED = "spacehost.managed"
LABEL_SPACE = "spacehost.space"
LABEL_REVISION = "spacehost.revision"
LABEL_ROLE = "spacehost.role"  # "app" for space containers, "helper" for short-lived ones
LABEL_INSTANCE = "spacehost.instance"  # which platform (data dir) made it
LABEL_PORT = "spacehost.port"  # the port the app listens on inside its network namespace
LABEL_HARDWARE = "spacehost.hardware"  # optional: the space's hardware flavor, for messages
LABEL_GPUS = "spacehost.gpus"  # the host GPUs a dedicated-GPU container was given ("0,1")
LABEL_REPLICAS = "spacehost.replicas"  # how many processes a service runs when awake (Swarm)

CONTAINER_USER = "1000:1000"
CONTAINER_HOME = "/home/user"
CONTAINER_WORKDIR = "/home/user/app"
DATA_MOUNT = "/data"


def _empty_mapping() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Mount:
    """A bind mount of a host path into the container, read-only unless said otherwise.

    With ``volume=True`` ``host_path`` names a Docker volume instead, created when missing and
    owned by the container's user (as the ``/data`` volume is).
    """

    host_path: str
    container_path: str
    read_only: bool = True
    volume: bool = False


@dataclass(frozen=True)
class ContainerSpec:
    """Everything a backend needs to run one revision of a space.

    ``env`` is the full environment the lifecycle built (``SPACE_*``, ``GRADIO_*``, variables,
    secrets); the backend adds only ``HOME`` when absent, GPU variables, and, with host
    networking, the port it chose (see :func:`spacehost.runtime.options.merged_env`).
    """

    space: SpaceId
    revision: str
    image: str
    port: int = 7860  # container port the app listens on
    env: Mapping[str, str] = field(default_factory=_empty_mapping)
    command: tuple[str, ...] | None = None  # None = the image's CMD
    gpu: GpuRequest = field(default_factory=GpuRequest)
    # which host GPUs a dedicated request gets (the lifecycle's GPU ledger chose them); empty:
    # the first N
    gpu_ids: tuple[str, ...] = ()
    memory_limit: int = 4 << 30
    cpus: float = 2.0
    cpu_shares: int = 512  # CPU weight among containers (the engine's default is 1024)
    pids_limit: int = 1024
    data_volume: str | None = None  # named volume mounted at /data, created when missing
    mounts: tuple[Mount, ...] = ()  # extra bind mounts, read-only by default
    # the hub repos among the mounts, for backends whose nodes lack the host's folders
    hub: tuple[HubSnapshot, ...] = ()
    labels: Mapping[str, str] = field(default_factory=_empty_mapping)  # extra labels
    # where the app starts; None: the image's own WORKDIR (``sdk: docker`` spaces, as on HF)
    workdir: str | None = CONTAINER_WORKDIR
    # processes serving the space at once (``spacehost_replicas``); the Docker backend runs one
    replicas: int = 1


@dataclass(frozen=True)
class TaskResult:
    """How a short-lived task container ended: its exit code (``None``: killed at its time
    limit) and its output lines."""

    exit_code: int | None
    lines: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True)
class ContainerInfo:
    """A container as the backend sees it now.

    ``host``/``port`` say where the router reaches the app (``127.0.0.1`` and the published
    port, or the port chosen for host networking); both are ``None`` unless the container is
    running or paused.
    """

    id: str
    name: str
    space: SpaceId
    revision: str
    status: str  # "created" | "running" | "paused" | "exited" | "dead" | "removing"
    host: str | None
    port: int | None
    exit_code: int | None
    oom_killed: bool
    started_at: str | None
    finished_at: str | None
    gpu_ids: tuple[str, ...] = ()  # the host GPUs it was given by id (ContainerSpec.gpu_ids)
    # "host:port" of every replica that runs now, when the backend runs several (Swarm tasks)
    endpoints: tuple[str, ...] = ()

    @property
    def is_running(self) -> bool:
        return self.status == "running"


@dataclass(frozen=True)
class NodeLoss:
    """The machine a space's container runs on stopped answering, though its engine (a Swarm
    manager) still counts the container as running.

    Attributes:
        node: the machine's name (a Swarm node's hostname), for messages.
        addr: its address.
        movable: whether the space may start elsewhere (False: its ``/data`` lives on that
            machine, so it waits for it).
        keeps_data: whether its ``/data`` moves with it (a folder every node mounts:
            ``SPACEHOST_SWARM_DATA=shared``); False: it starts empty elsewhere.
    """

    node: str
    addr: str
    movable: bool
    keeps_data: bool = False


@dataclass(frozen=True)
class DiskUsage:
    """How full one of a container's size-limited disks is (runtime/storage.py).

    ``path`` is what it holds as the space sees it: ``"/"`` (its writable layer: ``/tmp``,
    the home folder, every file it writes outside ``/data``) or ``"/data"``."""

    path: str
    size: int
    used: int
    full: bool


class RuntimeBackend(Protocol):
    """Runs space containers. Every method raises only :class:`spacehost.errors.SpacehostError`
    subclasses: ``NotFound`` for a missing container or image, ``Conflict`` for an operation the
    container's state forbids, ``HardwareUnavailable`` for a GPU the host cannot give and
    ``EngineUnavailable`` when the engine cannot be reached or fails."""

    def start(self, spec: ContainerSpec) -> ContainerInfo:
        """Create and start a container for *spec*; host and port are known on return."""
        ...

    def start_existing(self, container_id: str) -> ContainerInfo:
        """Start a stopped container again (after a sleep); host and port are read back."""
        ...

    def inspect(self, container_id: str) -> ContainerInfo | None:
        """The container's current state, or ``None`` when it no longer exists."""
        ...

    def stop(self, container_id: str, timeout: float = 10) -> None:
        """SIGTERM, then SIGKILL after *timeout* seconds; a stopped container is left as is."""
        ...

    def remove(self, container_id: str) -> None:
        """Remove the container, running or not; no error when it is already gone."""
        ...

    def pause(self, container_id: str) -> None:
        """Freeze every process of the container."""
        ...

    def unpause(self, container_id: str) -> None:
        """Thaw a paused container."""
        ...

    def logs(self, container_id: str, tail: int | None = None) -> list[str]:
        """The container's output lines so far (stdout and stderr), the last *tail* only."""
        ...

    def follow_logs(self, container_id: str, since: float | None = None) -> Iterator[str]:
        """Every output line, past then new, blocking; ends when the container stops. With
        *since* (a Unix time) only the lines written from then on."""
        ...

    def list_managed(self, space: SpaceId | None = None) -> list[ContainerInfo]:
        """Every app container spacehost made, running or not, of *space* when given."""
        ...

    def remove_volume(self, name: str) -> None:
        """Remove a data volume; no error when it is already gone."""
        ...

    def disk_usage(self, container_id: str) -> list[DiskUsage]:
        """How full the container's size-limited disks are (none without disk limits)."""
        ...

    def run_task(self, spec: ContainerSpec, timeout: float) -> TaskResult:
        """Run *spec* (its ``command``) to completion in a short-lived container without
        network access, as the container's user, with its mounts; the container is removed
        afterwards. After *timeout* seconds it is killed (``exit_code`` None)."""
        ...

    def lost_node(self, container_id: str) -> NodeLoss | None:
        """Whether the machine *container_id* runs on stopped answering before its engine
        noticed (a Swarm node whose engine died: the manager says so only after missed
        heartbeats); None when it answers, or when the backend runs everything on one machine
        (the default: a lost host takes the platform with it). A backend that reports a loss
        places later starts elsewhere until its engine knows."""
        return None
