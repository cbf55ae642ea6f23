"""Job containers on the Docker Engine: one container a job, labelled so that a restarted
platform finds it again (``spacehost.job``), on the job network (runtime/jobnetwork.py: the
platform's API and nothing else), with the flavor's CPU and memory limits. Stopping, logs and
removal go through the space backend's calls, which take any
container id (runtime/docker_backend.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from docker import DockerClient
from docker.errors import ImageNotFound
from docker.errors import NotFound as DockerNotFound
from docker.types import LogConfig
from docker.types import Mount as DockerMount

from spacehost.dockerengine import ENGINE_ERRORS, container_error
from spacehost.domain import GpuRequest
from spacehost.runtime.base import LABEL_GPUS, LABEL_INSTANCE, LABEL_MANAGED, LABEL_ROLE, Mount
from spacehost.runtime.docker_backend import DockerBackend
from spacehost.runtime.gpu import gpu_run_options
from spacehost.runtime.jobnetwork import JobNetworkPath
from spacehost.runtime.options import LOG_MAX_FILES, LOG_MAX_SIZE

LABEL_JOB = "spacehost.job"
ROLE_JOB = "job"


@dataclass(frozen=True)
class JobContainerSpec:
    """What a job's container runs: image, command line, environment, limits, labels."""

    job_id: str
    image: str
    argv: tuple[str, ...]
    env: Mapping[str, str]
    cpus: float
    memory: int
    gpu_ids: tuple[str, ...] = ()  # the host GPUs (indices) it is given
    labels: Mapping[str, str] | None = None
    mounts: tuple[Mount, ...] = ()  # its bucket volumes (bind mounts of the buckets' folders)
    flavor: str = ""  # its hardware flavor (on a swarm: the node labels it needs, nodelabels.py)


@dataclass(frozen=True)
class JobContainerState:
    """A job container as the engine reports it now."""

    id: str
    job_id: str
    running: bool
    exit_code: int | None
    oom_killed: bool
    gpu_ids: tuple[str, ...] = ()


class JobContainers(Protocol):
    """What the job runner needs from a container engine."""

    def endpoint(self) -> str:
        """The ``HF_ENDPOINT`` a job container reaches the platform at (made ready)."""
        ...

    def has_image(self, image: str) -> bool: ...

    def images(self) -> list[str]: ...

    def start(self, spec: JobContainerSpec) -> str: ...

    def state(self, container_id: str) -> JobContainerState | None: ...

    def follow_logs(self, container_id: str, since: float | None = None) -> Iterator[str]: ...

    def stats(self, container_id: str) -> Iterator[dict[str, Any]]:
        """The engine's resource samples of the container, one a second (Docker's stats
        shape), until it is gone."""
        ...

    def stop(self, container_id: str, timeout: float = 5) -> None: ...

    def remove(self, container_id: str) -> None: ...

    def list_jobs(self) -> list[JobContainerState]: ...

    def close(self) -> None:
        """The platform stops: let go of what :meth:`endpoint` made (containers keep running)."""
        ...


def _state(attrs: dict[str, Any]) -> JobContainerState:
    st = attrs.get("State") or {}
    running = bool(st.get("Running"))
    requests = (attrs.get("HostConfig") or {}).get("DeviceRequests") or []
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    labelled = tuple(i for i in str(labels.get(LABEL_GPUS, "")).split(",") if i)
    requested = tuple(str(i) for r in requests for i in (r.get("DeviceIDs") or []))
    return JobContainerState(
        id=attrs["Id"],
        job_id=labels.get(LABEL_JOB, ""),
        running=running,
        exit_code=None if running else st.get("ExitCode"),
        oom_killed=bool(st.get("OOMKilled")),
        gpu_ids=labelled or requested,  # the label; DeviceRequests of jobs made before it
    )


class DockerJobContainers:
    """:class:`JobContainers` on a Docker Engine, beside *backend* (the spaces' backend: its
    network, its instance label, its stop, logs and remove).

    Args:
        client: the connected Docker client.
        backend: the space backend of the same platform.
        instance: the platform's instance label (see DockerBackend).
        path: the job network and its relay (runtime/jobnetwork.py), made on first use; None
            (host networking): jobs share the host's network and reach *base_url*.
        base_url: the platform's own URL.
    """

    def __init__(
        self,
        client: DockerClient,
        backend: DockerBackend,
        instance: str | None,
        path: JobNetworkPath | None,
        base_url: str,
    ):
        self._client, self._backend, self._instance = client, backend, instance
        self._path, self._base_url = path, base_url

    def endpoint(self) -> str:
        return self._path.ensure()[1] if self._path is not None else self._base_url

    def close(self) -> None:
        """Stop the relay; the network goes when no job is left on it."""
        if self._path is not None:
            self._path.close()

    def has_image(self, image: str) -> bool:
        """True when the engine holds *image* (no registry is asked)."""
        try:
            self._client.api.inspect_image(image)
        except (ImageNotFound, DockerNotFound):
            return False
        except ENGINE_ERRORS as exc:
            raise container_error(exc, f"looking for image {image}") from exc
        return True

    def images(self) -> list[str]:
        """Every tagged image in the engine."""
        try:
            found = self._client.api.images()
        except ENGINE_ERRORS as exc:
            raise container_error(exc, "listing images") from exc
        return sorted(
            {t for img in found for t in (img.get("RepoTags") or []) if t != "<none>:<none>"}
        )

    def start(self, spec: JobContainerSpec) -> str:
        """Create and start the job's container; its id.

        Raises:
            NotFound: the image is gone.
            EngineUnavailable: the engine failed or is unreachable.
        """
        labels = {
            **(spec.labels or {}),
            LABEL_MANAGED: "true",
            LABEL_ROLE: ROLE_JOB,
            LABEL_JOB: spec.job_id,
        }
        if self._instance:
            labels[LABEL_INSTANCE] = self._instance
        if self._path is not None:
            network = self._path.ensure()[0]
        else:
            network = self._backend.prepare_network()
        kwargs: dict[str, Any] = {
            "image": spec.image,
            "command": list(spec.argv),
            "name": f"spacehost-job-{spec.job_id}",
            "environment": dict(spec.env),
            "labels": labels,
            "mem_limit": spec.memory,
            "memswap_limit": spec.memory,
            "nano_cpus": int(spec.cpus * 1e9),
            "pids_limit": 4096,
            "init": True,
            "restart_policy": {"Name": "no"},
            # the image's own user (as on HF), without the capabilities a job has no use for
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "log_config": LogConfig(
                type=LogConfig.types.JSON,
                config={"max-size": LOG_MAX_SIZE, "max-file": LOG_MAX_FILES},
            ),
            "network_mode": network,
        }
        if spec.mounts:
            kwargs["mounts"] = [
                DockerMount(m.container_path, m.host_path, type="bind", read_only=m.read_only)
                for m in spec.mounts
            ]
        if spec.gpu_ids:  # these GPUs, not "any N": two jobs never share one
            self._add_gpus(kwargs, spec.gpu_ids)
        doing = f"starting job {spec.job_id}"
        try:
            container = self._client.containers.create(**kwargs)
        except ENGINE_ERRORS as exc:
            raise container_error(exc, doing, image=spec.image, gpu=bool(spec.gpu_ids)) from exc
        try:
            container.start()
        except ENGINE_ERRORS as exc:
            self._backend.remove(container.id)
            raise container_error(exc, doing, image=spec.image, gpu=bool(spec.gpu_ids)) from exc
        return str(container.id)

    def _add_gpus(self, kwargs: dict[str, Any], gpu_ids: tuple[str, ...]) -> None:
        """Give the container exactly *gpu_ids* the way this host gives spaces GPUs (the
        engine's nvidia runtime, CDI devices or the ``/dev/nvidia*`` files: runtime/gpu.py), and
        label it with them so an adopted job keeps them."""
        request = GpuRequest(count=len(gpu_ids))
        gpu = gpu_run_options(request, self._backend.gpu_host, fallback="error", gpu_ids=gpu_ids)
        kwargs["labels"][LABEL_GPUS] = ",".join(gpu_ids)
        if gpu.device_requests:
            kwargs["device_requests"] = list(gpu.device_requests)
        if gpu.devices:
            kwargs["devices"] = list(gpu.devices)
        if gpu.mounts:
            kwargs["mounts"] = [
                *kwargs.get("mounts", []),
                *(
                    DockerMount(m.container_path, m.host_path, type="bind", read_only=m.read_only)
                    for m in gpu.mounts
                ),
            ]
        env = kwargs["environment"]
        for key, value in gpu.env.items():
            joined = key == "LD_LIBRARY_PATH" and env.get(key)
            env[key] = f"{value}:{env[key]}" if joined else value

    def state(self, container_id: str) -> JobContainerState | None:
        """The container's state; None when it is gone."""
        try:
            attrs = self._client.api.inspect_container(container_id)
        except DockerNotFound:
            return None
        except ENGINE_ERRORS as exc:
            raise container_error(exc, f"inspecting job container {container_id}") from exc
        return _state(attrs)

    def follow_logs(self, container_id: str, since: float | None = None) -> Iterator[str]:
        return self._backend.follow_logs(container_id, since)

    def stats(self, container_id: str) -> Iterator[dict[str, Any]]:
        """Docker's ``stats`` stream of the container (a stopped one's samples are zeroed)."""
        doing = f"reading the figures of job container {container_id}"
        try:
            samples = self._client.api.stats(container_id, stream=True, decode=True)
            yield from samples
        except DockerNotFound:
            return
        except ENGINE_ERRORS as exc:
            raise container_error(exc, doing) from exc

    def stop(self, container_id: str, timeout: float = 5) -> None:
        self._backend.stop(container_id, timeout)

    def remove(self, container_id: str) -> None:
        self._backend.remove(container_id)

    def list_jobs(self) -> list[JobContainerState]:
        """Every job container of this platform, in any state."""
        labels = [f"{LABEL_MANAGED}=true", f"{LABEL_ROLE}={ROLE_JOB}"]
        if self._instance:
            labels.append(f"{LABEL_INSTANCE}={self._instance}")
        try:
            found = self._client.api.containers(all=True, filters={"label": labels})
        except ENGINE_ERRORS as exc:
            raise container_error(exc, "listing job containers") from exc
        states = (self.state(c["Id"]) for c in found)
        return [s for s in states if s is not None]
