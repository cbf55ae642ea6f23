"""The default runtime backend: space containers on the local Docker Engine."""

from __future__ import annotations

import logging
import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from docker import DockerClient
from docker.errors import APIError
from docker.errors import NotFound as DockerNotFound
from docker.types import Mount as DockerMount

from spacehost.dockerengine import ENGINE_ERRORS, WAIT_EXPIRED, container_error
from spacehost.domain import SpaceId
from spacehost.errors import InvalidRequest, NotFound
from spacehost.runtime.base import (
    CONTAINER_HOME,
    CONTAINER_USER,
    CONTAINER_WORKDIR,
    DATA_MOUNT,
    LABEL_GPUS,
    LABEL_HARDWARE,
    LABEL_INSTANCE,
    LABEL_MANAGED,
    LABEL_ROLE,
    LABEL_SPACE,
    ContainerInfo,
    ContainerSpec,
    DiskUsage,
    RuntimeBackend,
    TaskResult,
)
from spacehost.runtime.gpu import GpuHost, GpuOptions, discover_gpu_host, gpu_run_options
from spacehost.runtime.info import info_from_attrs
from spacehost.runtime.isolation import Firewall, Isolation, ensure_network
from spacehost.runtime.lines import split_lines, unseen_tail
from spacehost.runtime.livefiles import AppFilesChange, replace_app_files
from spacehost.runtime.options import (
    HOST_NETWORK,
    LOOPBACK,
    container_name,
    create_kwargs,
)
from spacehost.runtime.storage import DiskError, DiskLimits

log = logging.getLogger(__name__)

AUTO_NETWORK = "auto"
BRIDGE_NETWORK = "bridge"
VOLUME_PREPARE_TIMEOUT_S = 60
# How far back the end of a followed log is compared when the follow ends.
CATCH_UP_LINES = 50


class DockerBackend(RuntimeBackend):
    """Runs space containers on a Docker Engine (implements :class:`RuntimeBackend`).

    Args:
        client: a connected ``docker.DockerClient``; the caller owns it.
        gpu_host: how this host gives containers GPUs; discovered from the engine and ``/``
            on the first start that wants a GPU when omitted.
        network_mode: ``"bridge"`` (or another bridge network name): the app's port is published
            on 127.0.0.1 with a random host port. ``"host"``: for engines run with
            ``--bridge=none``; nothing is published, the app is told (``PORT``,
            ``GRADIO_SERVER_PORT``) to listen on a free loopback port chosen here. ``"auto"``:
            ``"bridge"`` when the engine has a ``bridge`` network, else ``"host"``.
        gpu_fallback: ``"cpu"`` starts GPU spaces without a GPU on a host that has none
            (``SPACEHOST_GPU_FALLBACK``); ``"error"`` refuses them.
        instance: labels every container with ``spacehost.instance=<instance>`` and limits
            :meth:`list_managed` to those, so two platforms (two data dirs) sharing one engine
            never see, adopt or remove each other's containers.
        isolation: with ``"bridge"``, spaces run on spacehost's own network, fenced in by
            iptables rules (:mod:`spacehost.runtime.isolation`); ``None`` runs them on the
            default bridge, where they reach each other and the host.
        firewall: installs the rules (injectable for tests).
        disk_limits: puts each container's writable layer and each volume it makes on a
            size-limited disk of its own (:mod:`spacehost.runtime.storage`); ``None``: no
            limits.

    Raises:
        InvalidRequest: *network_mode* is ``"none"`` (the router could not reach the app).
    """

    def __init__(
        self,
        client: DockerClient,
        gpu_host: GpuHost | None = None,
        network_mode: str = "bridge",
        *,
        gpu_fallback: str = "error",
        instance: str | None = None,
        isolation: Isolation | None = Isolation(),  # noqa: B008 (frozen: one shared default)
        firewall: Firewall | None = None,
        disk_limits: DiskLimits | None = None,
    ) -> None:
        if network_mode == "none":
            raise InvalidRequest(
                "network mode 'none' leaves a space unreachable",
                hint="use 'bridge' (the default) or 'host'",
            )
        self._client = client
        self._gpu_host = gpu_host
        self._network_mode = network_mode
        self._gpu_fallback = gpu_fallback
        self._instance = instance
        self._isolation = isolation
        self._firewall = firewall or Firewall()
        self._warned = False
        self._fence_lock = threading.Lock()
        self._limits = disk_limits

    @property
    def network_mode(self) -> str:
        """The network mode containers are started in (``"auto"`` resolved on first use).

        Raises:
            EngineUnavailable: the engine could not be asked for its networks.
        """
        if self._network_mode == AUTO_NETWORK:
            try:
                found = self._client.api.networks(names=[BRIDGE_NETWORK])
            except ENGINE_ERRORS as exc:
                raise container_error(exc, "listing the engine's networks") from exc
            # The names filter matches substrings, so "my-bridge-net" would match too.
            has_bridge = any(n.get("Name") == BRIDGE_NETWORK for n in found)
            self._network_mode = BRIDGE_NETWORK if has_bridge else HOST_NETWORK
            log.info("network mode %s", self._network_mode)
        return self._network_mode

    def prepare_network(self) -> str:
        """Make the network spaces run on and its firewall rules, unless they are in place
        (before every start; a platform calls it as it starts too, so that the containers it
        adopts are fenced in).

        Returns:
            The network containers are started on: spacehost's spaces network when the mode is
            ``"bridge"``, else the mode itself (``"host"``, or a network the operator named).

        Raises:
            SpacehostError: the rules cannot be installed, or the network exists with other
                options.
            EngineUnavailable: the engine failed or is unreachable.
        """
        mode = self.network_mode
        if mode == HOST_NETWORK and not self._warned:
            self._warned = True
            log.warning(
                "host networking: spaces share the host's network and reach every "
                "port on it (docs/security.md)"
            )
        if mode != BRIDGE_NETWORK or self._isolation is None:
            return mode
        # Both checked at every start (a few milliseconds): rules flushed by hand or by a
        # firewall reload come back, and a `docker network prune` while no space ran is undone.
        with self._fence_lock:
            if self._isolation.firewall:
                self._firewall.ensure(self._isolation)
            return ensure_network(self._client, self._isolation)

    @property
    def gpu_host(self) -> GpuHost:
        """How this host gives containers GPUs (discovered on first use).

        Raises:
            EngineUnavailable: the engine could not be asked for its runtimes.
        """
        if self._gpu_host is None:
            try:
                info = self._client.info()
            except ENGINE_ERRORS as exc:
                raise container_error(exc, "reading the engine's runtimes") from exc
            self._gpu_host = discover_gpu_host(info)
            log.info("GPU mode %s: %s", self._gpu_host.mode, self._gpu_host.reason)
        return self._gpu_host

    # --- start ---------------------------------------------------------------------------------

    def start(self, spec: ContainerSpec, *, hardware: str | None = None) -> ContainerInfo:
        """Create and start a container for *spec*.

        Args:
            spec: what to run.
            hardware: the space's hardware flavor, named in GPU messages; the spec's
                ``spacehost.hardware`` label when omitted (callers that know only
                :class:`RuntimeBackend` pass it that way).

        Returns:
            The started container; ``host``/``port`` are set unless it already exited.

        Raises:
            NotFound: the image does not exist (rebuild the space).
            HardwareUnavailable: the space wants a GPU this host cannot give.
            EngineUnavailable: the engine failed or is unreachable.
        """
        if self._instance:
            spec = replace(spec, labels={**spec.labels, LABEL_INSTANCE: self._instance})
        if spec.gpu_ids:  # read back after a restart: which GPUs this space holds
            spec = replace(spec, labels={**spec.labels, LABEL_GPUS: ",".join(spec.gpu_ids)})
        if spec.replicas > 1:
            log.warning("%s asks for %d replicas: one host runs one (docs/cluster.md, Replicas)",
                        spec.space, spec.replicas)  # fmt: skip
        gpu = self._gpu_options(spec, hardware)
        for warning in gpu.warnings:
            log.warning("%s: %s", spec.space, warning)
        if spec.data_volume:
            self._ensure_volume(spec.data_volume, spec)
        self._ensure_mount_volumes(spec)
        network_mode = self.prepare_network()
        host_port = free_port() if network_mode == HOST_NETWORK else None
        name = container_name(spec.space, spec.revision)
        kwargs = create_kwargs(
            spec, name=name, gpu=gpu, network_mode=network_mode, host_port=host_port
        )
        doing = f"starting {spec.space} ({name})"
        try:
            container = self._client.containers.create(**kwargs)
        except ENGINE_ERRORS as exc:
            raise container_error(exc, doing, image=spec.image, gpu=not gpu.is_empty) from exc
        try:
            self._limit_layer(container.attrs)
            container.start()
            container.reload()
        except DiskError:
            self._discard(container.id)
            raise
        except ENGINE_ERRORS as exc:
            self._discard(container.id)
            raise container_error(exc, doing, image=spec.image, gpu=not gpu.is_empty) from exc
        return info_from_attrs(container.attrs)

    def replace_app_files(self, container_id: str, change: AppFilesChange) -> None:
        """Change the running container's app files in place, for Gradio's reload watcher
        (runtime/livefiles.py: :class:`~spacehost.runtime.livefiles.LiveFiles`).

        Raises:
            NotFound, Conflict, EngineUnavailable; SpacehostError: the move failed.
        """
        replace_app_files(self._client, container_id, change)

    def start_existing(self, container_id: str) -> ContainerInfo:
        """Start a stopped container again: same filesystem, environment and volume.

        Returns:
            Its state; the engine may have published another host port (read it there).

        Raises:
            NotFound: the container does not exist.
            EngineUnavailable: the engine failed or is unreachable.
        """
        if self._limits is not None:  # after a reboot its disks must be mounted first
            try:
                attrs = self._client.api.inspect_container(container_id)
            except ENGINE_ERRORS as exc:
                raise container_error(exc, f"inspecting container {container_id}") from exc
            self._mount_disks(attrs)
            try:
                self._call("starting", container_id, "start")
            except Exception:
                # Typically the engine going down as we start (a daemon restart): a layer bind
                # left now would lie under the engine's own mount of its root when it comes
                # back, hidden, and keep the container from ever being removed.
                self._limits.unbind_layer(_name(attrs))
                raise
        else:
            self._call("starting", container_id, "start")
        info = self.inspect(container_id)
        if info is None:
            raise NotFound(f"container {container_id} vanished as it started")
        return info

    def _gpu_options(self, spec: ContainerSpec, hardware: str | None) -> GpuOptions:
        if not spec.gpu.wants_gpu:
            return GpuOptions()
        return gpu_run_options(
            spec.gpu,
            self.gpu_host,
            fallback=self._gpu_fallback,
            hardware=hardware or spec.labels.get(LABEL_HARDWARE),
            gpu_ids=spec.gpu_ids,
        )

    def _discard(self, container_id: str) -> None:
        try:
            self._release_layer(container_id)
            self._client.api.remove_container(container_id, force=True)
        except (*ENGINE_ERRORS, DiskError) as exc:
            log.warning("could not remove failed container %s: %s", container_id, exc)

    # --- disk limits (runtime/storage.py) -----------------------------------------------------

    def _limit_layer(self, attrs: dict[str, Any]) -> None:
        """Put a new container's writable layer on a disk of its own, before it starts."""
        if self._limits is None or not self._limits.layer_size:
            return
        driver = attrs.get("GraphDriver") or {}
        upper = (driver.get("Data") or {}).get("UpperDir")
        if driver.get("Name") != "overlay2" or not upper:
            raise DiskError(
                f"cannot limit a container's disk on the storage driver {driver.get('Name')!r}",
                hint="use overlay2, or set SPACEHOST_SPACE_DISK=0 (no limit on the writable layer)",
            )
        self._limits.limit_layer(_name(attrs), Path(upper).parent)

    def _mount_disks(self, attrs: dict[str, Any]) -> None:
        """Mount the disks of an existing container again (after a reboot): its layer's and
        its volumes'."""
        assert self._limits is not None
        disks = self._limits.disks
        if disks.exists(self._limits.layer(_name(attrs))):
            self._limit_layer(attrs)
        for m in attrs.get("Mounts") or []:
            if m.get("Type") == "volume" and disks.exists(self._limits.volume(m.get("Name", ""))):
                self._limits.volume_device(m["Name"])

    def _release_layer(self, container_id: str) -> None:
        """Stop the container (its overlay lets go of the disk) and release its layer disk."""
        if self._limits is None:
            return
        try:
            attrs = self._client.api.inspect_container(container_id)
        except DockerNotFound:
            return
        name = self._limits.layer(_name(attrs))
        if not self._limits.disks.exists(name):
            return
        if (attrs.get("State") or {}).get("Running"):
            try:
                self._client.api.stop(container_id, timeout=0)
            except APIError as exc:  # released lazily below; the removal kills it anyway
                log.warning("stopping container %s before its disk goes: %s", container_id, exc)
        self._limits.disks.release(name)

    def sweep_disks(self) -> list[str]:
        """Release the layer disks of containers that no longer exist (removed by hand, or
        while the platform was down); returns their container names."""
        if self._limits is None:
            return []
        gone = []
        for name in self._limits.layer_containers():
            try:
                self._client.api.inspect_container(name)
            except DockerNotFound:
                gone.append(name)
                self._limits.disks.release(self._limits.layer(name))
            except ENGINE_ERRORS as exc:
                raise container_error(exc, f"inspecting container {name}") from exc
        return gone

    def disk_usage(self, container_id: str) -> list[DiskUsage]:
        """How full the container's disks are: its writable layer (``"/"``) and its volumes
        (``"/data"``); none without disk limits or when the container is gone.

        Raises:
            EngineUnavailable: the engine failed or is unreachable.
        """
        if self._limits is None:
            return []
        try:
            attrs = self._client.api.inspect_container(container_id)
        except DockerNotFound:
            return []
        except ENGINE_ERRORS as exc:
            raise container_error(exc, f"inspecting container {container_id}") from exc
        disks = self._limits.disks
        found = [disks.usage(self._limits.layer(_name(attrs)), "/")]
        found += [
            disks.usage(self._limits.volume(m.get("Name", "")), m.get("Destination", ""))
            for m in attrs.get("Mounts") or []
            if m.get("Type") == "volume"
        ]
        return [u for u in found if u is not None]

    def _ensure_mount_volumes(self, spec: ContainerSpec) -> None:
        for m in spec.mounts:
            if m.volume:
                self._ensure_volume(m.host_path, spec, m.container_path)

    def _ensure_volume(self, name: str, spec: ContainerSpec, path: str = DATA_MOUNT) -> None:
        limited = self._limits is not None and bool(self._limits.volume_size)
        try:
            volume = self._client.volumes.get(name)
            if _lost_its_folder(volume.attrs):
                # a bind volume whose folder is gone (its data dir was deleted, the disks with
                # it): nothing is left to keep, and the engine could not mount it; made anew
                device = (volume.attrs.get("Options") or {}).get("device")
                log.warning("volume %s binds %s, which is gone: making it anew", name, device)
                volume.remove()
                raise DockerNotFound(f"volume {name} lost its folder")
            if (
                limited
                and self._limits is not None
                and self._limits.disks.exists(self._limits.volume(name))
            ):
                self._limits.volume_device(name)  # mounted again after a reboot
            return
        except DockerNotFound:
            pass
        except ENGINE_ERRORS as exc:
            raise container_error(exc, f"reading volume {name}") from exc
        try:
            labels = {LABEL_MANAGED: "true", LABEL_SPACE: str(spec.space)}
            if LABEL_INSTANCE in spec.labels:
                labels[LABEL_INSTANCE] = spec.labels[LABEL_INSTANCE]
            opts = None
            if limited and self._limits is not None:  # a bind of a folder on its own disk
                device = self._limits.volume_device(name)
                opts = {"type": "none", "o": "bind", "device": str(device)}
            self._client.volumes.create(name, labels=labels, driver="local", driver_opts=opts)
        except ENGINE_ERRORS as exc:
            raise container_error(exc, f"creating volume {name}") from exc
        self._chown_volume(name, spec.image, path)

    def _chown_volume(self, name: str, image: str, path: str = DATA_MOUNT) -> None:
        # A new volume is owned by root unless the image has a /data owned by uid 1000; the app
        # runs as 1000 and must be able to write its persistent storage either way.
        doing = f"preparing volume {name}"
        try:
            # mounted where the app sees it, so the engine fills a new volume from the image's
            # folder at that path first (as it will for the app)
            helper = self._client.containers.create(
                image,
                entrypoint=["chown", CONTAINER_USER, path],
                user="0:0",
                labels={LABEL_MANAGED: "true", LABEL_ROLE: "helper"},
                mounts=[DockerMount(path, name, type="volume")],
                network_mode="none",
            )
        except ENGINE_ERRORS as exc:
            # Undone so that the next start, with a rebuilt image, prepares the volume again.
            self.remove_volume(name)
            raise container_error(exc, doing, image=image) from exc
        try:
            helper.start()
            status = helper.wait(timeout=VOLUME_PREPARE_TIMEOUT_S).get("StatusCode")
            if status != 0:
                log.warning("%s: chown exited %s; %s may not be writable", doing, status, path)
        except ENGINE_ERRORS as exc:
            # An image without chown still runs; its app may just not write to the volume.
            log.warning("%s: %s; %s may not be writable", doing, exc, path)
        finally:
            self._discard(helper.id)

    # --- tasks ---------------------------------------------------------------------------------

    def run_task(self, spec: ContainerSpec, timeout: float) -> TaskResult:
        """Run *spec*'s command to completion in a helper container: no network, the
        container's user, the spec's environment and mounts; removed afterwards.

        Returns:
            Its exit code (``None`` when it was killed after *timeout* seconds) and output.

        Raises:
            NotFound: the image does not exist.
            EngineUnavailable: the engine failed or is unreachable.
        """
        if self._instance:  # the volumes it makes carry the instance label, as start's do
            spec = replace(spec, labels={**spec.labels, LABEL_INSTANCE: self._instance})
        self._ensure_mount_volumes(spec)
        labels = {LABEL_MANAGED: "true", LABEL_ROLE: "helper", LABEL_SPACE: str(spec.space)}
        if self._instance:
            labels[LABEL_INSTANCE] = self._instance
        doing = f"running a task for {spec.space}"
        try:
            helper = self._client.containers.create(
                spec.image,
                command=list(spec.command) if spec.command is not None else None,
                user=CONTAINER_USER,
                working_dir=CONTAINER_WORKDIR,
                environment={"HOME": CONTAINER_HOME, **spec.env},
                labels=labels,
                mounts=[
                    DockerMount(
                        m.container_path,
                        m.host_path,
                        type="volume" if m.volume else "bind",
                        read_only=m.read_only,
                    )
                    for m in spec.mounts
                ],
                network_mode="none",
                mem_limit=spec.memory_limit,
                nano_cpus=int(spec.cpus * 1e9),
                cpu_shares=spec.cpu_shares,
                pids_limit=spec.pids_limit,
                init=True,
                security_opt=["no-new-privileges"],
            )
        except ENGINE_ERRORS as exc:
            raise container_error(exc, doing, image=spec.image) from exc
        try:
            helper.start()
            code: int | None
            try:
                code = int(helper.wait(timeout=timeout).get("StatusCode", 1))
            except WAIT_EXPIRED:
                helper.kill()
                code = None
            raw = self._client.api.logs(helper.id, stdout=True, stderr=True)
            return TaskResult(code, tuple(split_lines([raw])))
        except ENGINE_ERRORS as exc:
            raise container_error(exc, doing, image=spec.image) from exc
        finally:
            self._discard(helper.id)

    # --- state ---------------------------------------------------------------------------------

    def inspect(self, container_id: str) -> ContainerInfo | None:
        """The container's current state.

        Args:
            container_id: id or name.

        Returns:
            Its state, or ``None`` when it no longer exists.

        Raises:
            EngineUnavailable: the engine failed or is unreachable.
        """
        try:
            attrs = self._client.api.inspect_container(container_id)
        except DockerNotFound:
            return None
        except ENGINE_ERRORS as exc:
            raise container_error(exc, f"inspecting container {container_id}") from exc
        return info_from_attrs(attrs)

    def list_managed(self, space: SpaceId | None = None) -> list[ContainerInfo]:
        """Every app container spacehost made, in any state.

        Args:
            space: only this space's containers when given.

        Returns:
            Their states, oldest first.

        Raises:
            EngineUnavailable: the engine failed or is unreachable.
        """
        labels = [f"{LABEL_MANAGED}=true", f"{LABEL_ROLE}=app"]
        if self._instance:
            labels.append(f"{LABEL_INSTANCE}={self._instance}")
        if space is not None:
            labels.append(f"{LABEL_SPACE}={space}")
        try:
            found = self._client.api.containers(all=True, filters={"label": labels})
        except ENGINE_ERRORS as exc:
            raise container_error(exc, "listing containers") from exc
        infos = (self.inspect(c["Id"]) for c in sorted(found, key=lambda c: c.get("Created", 0)))
        return [info for info in infos if info is not None]

    # --- control -------------------------------------------------------------------------------

    def stop(self, container_id: str, timeout: float = 10) -> None:
        """Stop the container: SIGTERM, then SIGKILL after *timeout* seconds.

        Args:
            container_id: id or name.
            timeout: seconds to wait before killing; a stopped container is left as is.

        Raises:
            NotFound: the container does not exist.
            EngineUnavailable: the engine failed or is unreachable.
        """
        self._call("stopping", container_id, "stop", timeout=max(0, round(timeout)))

    def remove(self, container_id: str) -> None:
        """Remove the container, killing it if needed; no error when it is already gone.

        Raises:
            EngineUnavailable: the engine failed or is unreachable.
        """
        try:
            self._release_layer(container_id)
            self._client.api.remove_container(container_id, force=True)
        except DockerNotFound:
            return
        except APIError as exc:
            if exc.status_code == 409 and "already in progress" in str(exc.explanation):
                return
            raise container_error(exc, f"removing container {container_id}") from exc
        except ENGINE_ERRORS as exc:
            raise container_error(exc, f"removing container {container_id}") from exc

    def pause(self, container_id: str) -> None:
        """Freeze every process of the container.

        Raises:
            NotFound: the container does not exist.
            Conflict: it is not running (or already paused).
            EngineUnavailable: the engine failed or is unreachable.
        """
        self._call("pausing", container_id, "pause")

    def unpause(self, container_id: str) -> None:
        """Thaw a paused container.

        Raises:
            NotFound: the container does not exist.
            Conflict: it is not paused.
            EngineUnavailable: the engine failed or is unreachable.
        """
        self._call("unpausing", container_id, "unpause")

    def remove_volume(self, name: str) -> None:
        """Remove a data volume; no error when it is already gone.

        Raises:
            Conflict: a container still uses it (remove the container first).
            EngineUnavailable: the engine failed or is unreachable.
        """
        try:
            self._client.api.remove_volume(name, force=True)
        except DockerNotFound:
            pass
        except ENGINE_ERRORS as exc:
            raise container_error(exc, f"removing volume {name}") from exc
        if self._limits is not None:
            self._limits.disks.release(self._limits.volume(name))

    def _call(self, doing: str, container_id: str, method: str, **kwargs: Any) -> None:
        try:
            getattr(self._client.api, method)(container_id, **kwargs)
        except ENGINE_ERRORS as exc:
            raise container_error(exc, f"{doing} container {container_id}") from exc

    # --- logs ----------------------------------------------------------------------------------

    def logs(self, container_id: str, tail: int | None = None) -> list[str]:
        """The container's output so far, stdout and stderr interleaved.

        Args:
            container_id: id or name.
            tail: only the last *tail* lines when given.

        Returns:
            The lines, without line ends, decoded as UTF-8 (bad bytes replaced).

        Raises:
            NotFound: the container does not exist.
            EngineUnavailable: the engine failed or is unreachable.
        """
        try:
            raw = self._client.api.logs(
                container_id, stdout=True, stderr=True, tail="all" if tail is None else tail
            )
        except ENGINE_ERRORS as exc:
            raise container_error(exc, f"reading the logs of container {container_id}") from exc
        return list(split_lines([raw]))

    def follow_logs(self, container_id: str, since: float | None = None) -> Iterator[str]:
        """Every output line of the container, past then new, as it is written.

        Args:
            container_id: id or name.
            since: only the lines written at or after this Unix time (following a container
                again, after a restart, without reading its earlier output twice).

        Returns:
            A blocking iterator that ends when the container stops; closing it closes the
            connection to the engine.

        Raises:
            NotFound: the container does not exist (raised on the first ``next``).
            EngineUnavailable: the engine failed or is unreachable.
        """
        doing = f"following the logs of container {container_id}"
        # the SDK refuses 0 and None alike as a time; no time at all means the whole log
        after: dict[str, float] = {"since": since} if since and since > 0 else {}
        try:
            stream = self._client.api.logs(
                container_id, stdout=True, stderr=True, stream=True, follow=True, **after
            )
        except ENGINE_ERRORS as exc:
            raise container_error(exc, doing) from exc
        recent: deque[str] = deque(maxlen=CATCH_UP_LINES)
        try:
            for line in split_lines(stream):
                recent.append(line)
                yield line
        except ENGINE_ERRORS as exc:
            raise container_error(exc, doing) from exc
        finally:
            stream.close()
        yield from self._missed_lines(container_id, recent, after)

    def _missed_lines(
        self, container_id: str, recent: deque[str], after: dict[str, float]
    ) -> list[str]:
        # The engine can end a follow when the container stops before it has written the
        # app's last output (an unterminated last line, notably), so the end of the log is read
        # once more and what the follower missed is added (from the same time on: an earlier
        # run's lines are not "missed").
        try:
            raw = self._client.api.logs(
                container_id, stdout=True, stderr=True, tail=CATCH_UP_LINES, **after
            )
        except ENGINE_ERRORS:
            return []
        return unseen_tail(list(recent), list(split_lines([raw])))


def _lost_its_folder(attrs: dict[str, Any]) -> bool:
    """Whether a volume is a bind of a host folder (``-o bind``) that no longer exists."""
    opts = attrs.get("Options") or {}
    device = opts.get("device")
    return opts.get("o") == "bind" and bool(device) and not Path(str(device)).exists()


def _name(attrs: dict[str, Any]) -> str:
    return str(attrs.get("Name", "")).lstrip("/")


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port free on *host* now, chosen by the kernel (binding port 0).

    Returns:
        The port; another process may take it before it is used, which the caller's start
        then reports as the app failing to bind.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
