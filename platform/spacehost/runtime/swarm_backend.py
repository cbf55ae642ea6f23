"""The Swarm runtime backend: each space revision is a Swarm service (docs/cluster.md).

A "container" of :class:`~spacehost.runtime.base.RuntimeBackend` is a service here: its id is
the service id, sleeping is scaling to zero replicas and waking scaling back to one. Short tasks
that read hub repos (preparing hub datasets) run as jobs on the node the space will run on
(runtime/swarm_tasks.py); other short tasks need the build engine and run there, through a
:class:`~spacehost.runtime.docker_backend.DockerBackend`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from docker import DockerClient
from docker.errors import NotFound as DockerNotFound
from docker.types import CancellableStream

from spacehost.dockerengine import ENGINE_ERRORS, manager_error
from spacehost.domain import GpuRequest, SpaceId
from spacehost.errors import (
    AppFailed,
    Conflict,
    HardwareUnavailable,
    NotFound,
    NotSupported,
    SpacehostError,
)
from spacehost.nodelabels import Label, NodeLabels, carries, describe, from_constraints
from spacehost.runtime.base import (
    LABEL_HARDWARE,
    LABEL_INSTANCE,
    LABEL_MANAGED,
    LABEL_PORT,
    LABEL_ROLE,
    LABEL_SPACE,
    ContainerInfo,
    ContainerSpec,
    DiskUsage,
    NodeLoss,
    RuntimeBackend,
    TaskResult,
)
from spacehost.runtime.docker_backend import DockerBackend
from spacehost.runtime.imagepush import ImagePusher
from spacehost.runtime.lines import split_lines, unseen_tail
from spacehost.runtime.options import container_name
from spacehost.runtime.swarm_data import ephemeral_data
from spacehost.runtime.swarm_hubcache import (
    HUB_NODE_LABEL,
    FillRequest,
    SwarmHubCache,
    helper_labels,
    node_label,
    without_hub_binds,
)
from spacehost.runtime.swarm_info import (
    forced_update,
    has_live_task,
    info_from_service,
    latest_task,
    pinned_node,
    published_port,
    replicas,
    task_error,
    task_state,
)
from spacehost.runtime.swarm_lost import node_silent
from spacehost.runtime.swarm_nodes import label_node
from spacehost.runtime.swarm_placement import Placement
from spacehost.runtime.swarm_replicas import awake_replicas, serving_task, task_endpoints
from spacehost.runtime.swarm_room import Need, room_for
from spacehost.runtime.swarm_shared_data import SharedData, with_shared_data
from spacehost.runtime.swarm_silent import SilentNodes
from spacehost.runtime.swarm_spec import (
    VOLUME_NODE_LABEL,
    avoiding,
    create_args,
    gpu_count,
    prep_args,
    resources,
    service_name,
    task_args,
    volume_label,
)
from spacehost.runtime.swarm_tasks import task_outcome, wait_task
from spacehost.runtime.swarm_unplaced import unplaced_error

log = logging.getLogger(__name__)

START_TIMEOUT_S = 600.0  # pulling a space's image onto a node for the first time included
UNSCHEDULABLE_AFTER_S = 15.0  # a task no node can take is given up after this long
POLL_S = 0.2
FOLLOW_POLL_S = 0.5
NODE_TTL_S = 1.0
LOG_READ_TIMEOUT_S = 15.0  # a read of a service's log so far (each read of its stream)
CATCH_UP_LINES = 50  # how far back the end of a followed log is compared when the follow ends
NO_NODE_MARKER = "no suitable node"


class SwarmBackend(RuntimeBackend):
    """Runs space revisions as services of a Docker Swarm (implements
    :class:`RuntimeBackend`).

    Args:
        manager: a client of a Swarm manager's engine (``SPACEHOST_SWARM_URL``); the caller
            owns it.
        local: the backend of the build engine, for short tasks that need its images.
        pusher: pushes built images to the registry nodes pull from.
        instance: labels every service ``spacehost.instance=<instance>``; only those are
            listed, so two platforms sharing one swarm never touch each other's services.
        gpu_fallback: ``"cpu"`` starts GPU spaces without a GPU when no node has one.
        hub: fills node-local volumes with the hub repos spaces read (None: spaces with
            ``models:``/``datasets:`` are refused, as their host folders are not on the nodes).
        start_timeout_s: how long a start waits for its task to run (image pull included).
        data: ``pinned``, ``ephemeral`` or ``shared`` (``SPACEHOST_SWARM_DATA``,
            runtime/swarm_data.py).
        shared: the spaces' ``/data`` folders under ``SPACEHOST_SWARM_SHARED_DIR`` (with
            *data* ``shared``: runtime/swarm_shared_data.py).
        manager_url: where the manager answers (``SPACEHOST_SWARM_URL``), named in the
            errors when it does not.
        node_labels: the node labels every node a space (of a flavor) runs on carries
            (``SPACEHOST_SWARM_NODE_LABELS``, ``SPACEHOST_SWARM_HARDWARE_LABELS``:
            nodelabels.py).
    """

    def __init__(
        self,
        manager: DockerClient,
        local: DockerBackend,
        pusher: ImagePusher,
        *,
        instance: str | None = None,
        gpu_fallback: str = "error",
        hub: SwarmHubCache | None = None,
        start_timeout_s: float = START_TIMEOUT_S,
        data: str = "pinned",
        shared: SharedData | None = None,
        manager_url: str = "",
        node_labels: NodeLabels | None = None,
    ) -> None:
        self.hub = hub
        self._api = manager.api
        self.local = local
        self._pusher = pusher
        self._instance = instance
        self._gpu_fallback = gpu_fallback
        self._start_timeout_s = start_timeout_s
        self._data = data  # where /data lives: swarm_data.py
        self._shared = shared if data == "shared" else None
        self._manager_url = manager_url
        self._node_labels = node_labels or NodeLabels()
        self._nodes: dict[str, tuple[float, str | None, bool]] = {}  # id: (read at, addr, down)
        self._silent = SilentNodes()  # found silent before the manager knew: every placement

    # --- start ---------------------------------------------------------------------------------

    def start(self, spec: ContainerSpec, *, hardware: str | None = None) -> ContainerInfo:
        """Push the image, create the space's service and wait for its task to run.

        Returns:
            The service's state: running (host = the node's address, port = the port it
            published), or exited/dead when the task failed before it ran.

        Raises:
            NotSupported: the spec bind-mounts host folders (hub repos, buckets, the GPU
                broker's socket): those exist on the manager's host only.
            HardwareUnavailable: it wants GPUs no node advertises, or no node can take it.
            AppFailed: a hub fill failed, or the node refused the task (an image it cannot
                pull: a plain-HTTP registry not in its insecure-registries).
            NotFound: its image is gone from the build engine (rebuild the space).
            EngineUnavailable: the manager, the build engine or the registry failed.
        """
        spec, at = self._placed(spec, hardware)
        doing = f"starting {spec.space} ({at.name})"
        args = create_args(spec, at.image, at.name, gpus=at.gpus, node_id=at.node_id,
                           avoid=at.avoid, require=at.require, node_labels=at.labels)  # fmt: skip
        try:
            created = self._api.create_service(**self._with_data(spec, args, at.pinned))
        except ENGINE_ERRORS as exc:
            raise self._error(exc, doing, image=at.image) from exc
        service_id = str(created["ID"])
        try:
            info = self._wait_started(service_id, doing)
            if info.status == "dead":
                self._raise_if_refused(service_id, doing)
            return info
        except (HardwareUnavailable, AppFailed):
            self.remove(service_id)
            raise

    def _with_data(self, spec: ContainerSpec, args: dict[str, Any], pinned: bool) -> dict[str, Any]:
        """*args* with the ``/data`` of the data mode: the node's volume (pinned), a folder
        every node mounts (shared, made now when new), else a tmpfs."""
        if not spec.data_volume or pinned:
            return args
        if self._shared is not None:
            return with_shared_data(args, self._shared.prepare(spec.data_volume))
        return ephemeral_data(args)

    def _error(self, exc: BaseException, doing: str, *, image: str = "") -> SpacehostError:
        """The error for a failed call to the manager (it names the manager when unreachable)."""
        return manager_error(exc, doing, self._manager_url, image=image)

    def _raise_if_refused(self, service_id: str, doing: str) -> None:
        """Raises AppFailed, saying why, when the node refused the service's task (e.g. it
        could not pull the image: a plain-HTTP registry it does not trust)."""
        _service, task = self._service_and_task(service_id, doing)
        try:
            task_outcome(task)
        except AppFailed as exc:
            raise AppFailed(f"{doing}: {exc.message}", hint=exc.hint) from exc

    def _placed(self, spec: ContainerSpec, hardware: str | None) -> tuple[ContainerSpec, Placement]:
        """*spec* as it runs on the Swarm, and where — its image pushed, its hub repos filled on
        the node(s) it is placed on, the nodes found silent avoided, on nodes carrying the
        labels from configuration its flavor needs (start and run_task place a space alike)."""
        spec = self._on_swarm(spec)
        flavor = hardware or spec.labels.get(LABEL_HARDWARE)
        at = Placement(
            gpus=self._gpus(spec, hardware),
            image=self._pusher.pull_reference(spec.image),
            name=service_name(container_name(spec.space, spec.revision)),
            pinned=bool(spec.data_volume) and self._data == "pinned",
            avoid=self._silent_nodes(),
            labels=self._node_labels.required(flavor),
        )
        return spec, self._place(spec, at)

    def _on_swarm(self, spec: ContainerSpec) -> ContainerSpec:
        """*spec* as a service runs it: the instance's label, its hub repos' node volumes in
        place of the host's folders (other host folders are refused)."""
        if self._instance:
            spec = replace(spec, labels={**spec.labels, LABEL_INSTANCE: self._instance})
        if spec.hub and self.hub is not None:
            spec = without_hub_binds(spec)
        _refuse_binds(spec)
        return spec

    def _place(self, spec: ContainerSpec, at: Placement) -> Placement:
        """Where *spec* runs: on the node holding its ``/data`` volume (made now when new,
        pinned), else on one already holding its hub repos; its hub repos are filled there (on
        the node the manager picks when none). A space with replicas and hub repos runs on the
        nodes holding them, filled on as many nodes as it has replicas."""
        if not spec.hub or self.hub is None:
            return replace(at, node_id=self._volume_node(spec, at) if at.pinned else None)
        request = FillRequest(
            spec=spec,
            image=self._pusher.pull_reference(self.hub.image()),
            name=at.name,
            resources=resources(spec, at.gpus),
            labels=helper_labels(spec),
            avoid=at.avoid,
            node_labels=at.labels,
        )
        if spec.replicas > 1 and not at.pinned:
            nodes = self.hub.fill_spread(request, spec.replicas)
            return replace(at, require=tuple(node_label(s) for s in spec.hub), hub_nodes=nodes)
        # a node that already holds the space's hub repos takes its new /data too (no fill)
        holder = self.hub.holder(spec.hub, at.avoid, at.labels)
        node_id = self._volume_node(spec, at, holder) if at.pinned else None
        return replace(at, node_id=self.hub.fill(request, node_id))

    def start_existing(self, container_id: str) -> ContainerInfo:
        """Wake a service scaled to zero: its replicas again (one, or the N it was made with),
        on its pinned node if it has ``/data``; a new task publishes another port (read it in
        the result).

        Raises:
            NotFound: the service does not exist.
            HardwareUnavailable: no node can take it now.
            EngineUnavailable: the manager failed or is unreachable.
        """
        self._scale(container_id, self._awake_replicas(container_id), "waking")
        return self._wait_started(container_id, f"waking service {container_id}")

    def _awake_replicas(self, service_id: str) -> int:
        try:
            return awake_replicas(self._api.inspect_service(service_id))
        except DockerNotFound:
            return 1  # _scale says it is gone
        except ENGINE_ERRORS as exc:
            raise self._error(exc, f"waking service {service_id}") from exc

    def _wait_started(self, service_id: str, doing: str) -> ContainerInfo:
        deadline = time.monotonic() + self._start_timeout_s
        waiting_since: float | None = None
        while True:
            service, task = self._service_and_task(service_id, doing)
            info = self._info(service, task)
            if awake_replicas(service) > 1 and info.status == "created":
                info = self._replicated_info(service_id, doing)  # one replica runs: it serves
            if info.status != "created":
                return info
            if NO_NODE_MARKER in task_error(task):
                waiting_since = waiting_since or time.monotonic()
                if time.monotonic() - waiting_since > UNSCHEDULABLE_AFTER_S:
                    raise self._unplaced(doing, task_error(task), _configured(service))
            if time.monotonic() > deadline:
                return info  # the lifecycle's health wait reports it
            time.sleep(POLL_S)

    def _gpus(self, spec: ContainerSpec, hardware: str | None) -> int:
        return self._gpu_grant(spec.gpu, hardware or spec.labels.get(LABEL_HARDWARE), spec.space)

    def check_gpu(self, request: GpuRequest, hardware: str | None = None) -> list[str]:
        """What the platform checks at push: whether some node can give *request*.

        Returns:
            Warnings (running on CPU instead, with SPACEHOST_GPU_FALLBACK=cpu).

        Raises:
            HardwareUnavailable: no node advertises enough GPUs (and the fallback is "error").
            EngineUnavailable: the manager failed or is unreachable.
        """
        if not request.wants_gpu:
            return []
        granted = self._gpu_grant(request, hardware, "this space")
        return [] if granted else ["no node of the swarm has a GPU: it runs on CPU"]

    def _gpu_grant(self, request: GpuRequest, hardware: str | None, who: object) -> int:
        if not request.wants_gpu:
            return 0
        wanted = max(1, request.count)
        try:
            nodes = self._api.nodes()
        except ENGINE_ERRORS as exc:
            raise self._error(exc, "listing the swarm's nodes") from exc
        needed = self._node_labels.required(hardware)  # only nodes it may run on count
        most = max((gpu_count(n) for n in nodes if _carries(n, needed)), default=0)
        if most >= wanted:
            return wanted
        if self._gpu_fallback == "cpu":
            log.warning("%s: no node has %d GPU(s); running on CPU", who, wanted)
            return 0
        flavor = hardware or "a GPU flavor"
        carrying = f" carrying {describe(needed)}" if needed else ""
        raise HardwareUnavailable(
            f"{who} asks for {wanted} GPU(s) ({flavor}) but no node of the swarm{carrying} "
            f"advertises that many (the most on one node: {most})",
            hint="add a GPU node (dockerd --node-generic-resource NVIDIA-GPU=<uuid>, "
            "docs/cluster.md), or set SPACEHOST_GPU_FALLBACK=cpu to run it on CPU",
            details={"wanted": wanted, "available": most},
        )

    # --- /data: one node holds the volume ------------------------------------------------------

    def _volume_node(self, spec: ContainerSpec, at: Placement, prefer: str | None = None) -> str:
        """The node holding the space's /data volume; a new volume is made (owned by the app's
        user) on *prefer*, else on a node with room for the space (swarm_room.py: carrying the
        labels *at* needs, none of the nodes it avoids), which is labelled as its holder."""
        assert spec.data_volume is not None
        label = volume_label(spec.data_volume)
        try:
            held = self._api.nodes(filters={"node.label": f"{label}=true"})
        except ENGINE_ERRORS as exc:
            raise self._error(exc, "listing the swarm's nodes") from exc
        if held:
            return str(held[0]["ID"])
        doing = f"preparing the /data volume of {spec.space}"
        need = Need.of(resources(spec, at.gpus))
        try:
            node_id = prefer or room_for(self._api, need, doing, at.avoid, at.labels)
            name = service_name(f"{at.name}-data")
            job = self._api.create_service(
                **prep_args(spec, at.image, name, node_id=node_id, node_labels=at.labels)
            )
        except ENGINE_ERRORS as exc:
            raise self._error(exc, doing, image=at.image) from exc
        try:
            self._wait_job(str(job["ID"]), doing, at.labels)
        finally:
            self.remove(str(job["ID"]))
        label_node(self._api, node_id, label, doing)
        return node_id

    def _wait_job(self, job_id: str, doing: str, labels: tuple[Label, ...] = ()) -> None:
        deadline = time.monotonic() + self._start_timeout_s
        while True:
            _service, task = self._service_and_task(job_id, doing)
            state = task_state(task)
            if task is not None and state == "complete":
                return
            if task is not None and state in ("failed", "rejected"):
                raise HardwareUnavailable(
                    f"{doing}: {task_error(task) or state}",
                    hint="check the node's engine (`docker service ps` on the manager)",
                )
            if NO_NODE_MARKER in task_error(task) or time.monotonic() > deadline:
                raise self._unplaced(doing, task_error(task) or "timed out", labels)
            time.sleep(POLL_S)

    def _unplaced(self, doing: str, why: str, labels: tuple[Label, ...]) -> HardwareUnavailable:
        """The error for a task no node takes: naming the node *labels* it needs when no ready
        node carries them (swarm_unplaced.py)."""
        try:
            nodes: list[Mapping[str, Any]] | None = list(self._api.nodes()) if labels else None
        except ENGINE_ERRORS:
            nodes = None  # the error says what the manager said
        return unplaced_error(doing, why, labels, nodes)

    def remove_volume(self, name: str) -> None:
        """Forget which node holds the volume *name*: the next start makes a new one; with
        ``SPACEHOST_SWARM_DATA=shared`` its folder in the shared folder is removed too.

        A node's volume itself stays on its node (the manager cannot remove a node's volumes;
        ``docker volume rm`` there frees the space, docs/cluster.md).

        Raises:
            Conflict: a service of this platform still mounts it (remove the service first).
            InvalidRequest: its shared folder could not be removed (saying what is left).
            EngineUnavailable: the manager failed or is unreachable.
        """
        folder = self._shared.folder(name) if self._shared is not None else None
        self._refuse_in_use(name, folder)
        if self._shared is not None:
            self._shared.remove(name)
        label = volume_label(name)
        try:
            held = self._api.nodes(filters={"node.label": f"{label}=true"})
            for listed in held:
                node = self._api.inspect_node(listed["ID"])
                spec = dict(node["Spec"])
                labels = {k: v for k, v in (spec.get("Labels") or {}).items() if k != label}
                spec["Labels"] = labels
                self._api.update_node(node["ID"], node["Version"]["Index"], spec)
                log.info("volume %s stays on node %s (unpinned)", name, node["ID"])
        except ENGINE_ERRORS as exc:
            raise self._error(exc, f"unpinning volume {name}") from exc

    def _refuse_in_use(self, volume: str, folder: Path | None = None) -> None:
        labels = [f"{LABEL_MANAGED}=true"]
        if self._instance:
            labels.append(f"{LABEL_INSTANCE}={self._instance}")
        try:
            found = self._api.services(filters={"label": labels})
        except ENGINE_ERRORS as exc:
            raise self._error(exc, "listing services") from exc
        for service in found:
            container = service["Spec"]["TaskTemplate"].get("ContainerSpec") or {}
            sources = {m.get("Source") for m in container.get("Mounts") or ()}
            if volume in sources or (folder is not None and str(folder) in sources):
                raise Conflict(
                    f"volume {volume} is in use by service {service['Spec'].get('Name')}",
                    hint="remove the service first",
                )

    # --- state ---------------------------------------------------------------------------------

    def inspect(self, container_id: str) -> ContainerInfo | None:
        """The service's state, or ``None`` when it no longer exists.

        Raises:
            EngineUnavailable: the manager failed or is unreachable.
        """
        try:
            return self._replicated_info(container_id, "inspecting")
        except DockerServiceGone:
            return None

    def list_managed(self, space: SpaceId | None = None) -> list[ContainerInfo]:
        """Every space service spacehost (this instance) made, oldest first.

        Raises:
            EngineUnavailable: the manager failed or is unreachable.
        """
        labels = [f"{LABEL_MANAGED}=true", f"{LABEL_ROLE}=app"]
        if self._instance:
            labels.append(f"{LABEL_INSTANCE}={self._instance}")
        if space is not None:
            labels.append(f"{LABEL_SPACE}={space}")
        try:
            found = self._api.services(filters={"label": labels})
        except ENGINE_ERRORS as exc:
            raise self._error(exc, "listing services") from exc
        found.sort(key=lambda s: str(s.get("CreatedAt", "")))
        infos = (self.inspect(str(s["ID"])) for s in found)
        return [info for info in infos if info is not None]

    def _service_and_task(
        self, service_id: str, doing: str
    ) -> tuple[Mapping[str, Any], Mapping[str, Any] | None]:
        service, tasks = self._service_and_tasks(service_id, doing)
        return service, latest_task(tasks)

    def _service_and_tasks(
        self, service_id: str, doing: str
    ) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]]:
        try:
            service = self._api.inspect_service(service_id)
            tasks = self._api.tasks(filters={"service": str(service["ID"])})
        except DockerNotFound as exc:
            raise DockerServiceGone(service_id) from exc
        except ENGINE_ERRORS as exc:
            raise self._error(exc, f"{doing} service {service_id}") from exc
        return service, list(tasks)

    def _info(self, service: Mapping[str, Any], task: Mapping[str, Any] | None) -> ContainerInfo:
        node_id = str((task or {}).get("NodeID") or "")
        if not node_id:
            return info_from_service(service, task, None)
        addr, down = self._node(node_id)
        return info_from_service(service, task, addr, node_down=down)

    def _replicated_info(self, service_id: str, doing: str) -> ContainerInfo:
        """The state of a service that runs several replicas: it serves while any task runs
        (that task's endpoint first), and ``endpoints`` lists every running task's."""
        service, tasks = self._service_and_tasks(service_id, doing)
        if awake_replicas(service) <= 1:
            return self._info(service, latest_task(tasks))
        info = self._info(service, serving_task(tasks))
        found = task_endpoints(service, tasks, self._node)
        first = f"{info.host}:{info.port}" if info.host and info.port else None
        ordered = ((first,) if first in found else ()) + tuple(e for e in found if e != first)
        return replace(info, endpoints=ordered)

    def _node(self, node_id: str) -> tuple[str | None, bool]:
        """A node's address and whether the manager lost it (read at most once a second:
        the health and log watchers ask many times a second)."""
        now = time.monotonic()
        cached = self._nodes.get(node_id)
        if cached is not None and now - cached[0] < NODE_TTL_S:
            return cached[1], cached[2]
        try:
            node = self._api.inspect_node(node_id)
        except DockerNotFound:  # removed from the swarm: its tasks are gone with it
            self._nodes[node_id] = (now, None, True)
            return None, True
        except ENGINE_ERRORS as exc:
            raise self._error(exc, f"inspecting node {node_id}") from exc
        status = node.get("Status") or {}
        addr = str(status.get("Addr") or "") or None
        down = status.get("State") in ("down", "disconnected")
        self._nodes[node_id] = (now, addr, down)
        return addr, down

    # --- a node lost before the manager knows: swarm_lost.py -----------------------------------

    def lost_node(self, container_id: str) -> NodeLoss | None:
        """Whether the node running the service's one task stopped answering (its published
        port and its engine's gossip port both refuse or time out, twice), though the
        manager may still count it ready; the node is then avoided by later starts until
        the manager marks it down or it answers again. None for a service with several
        replicas (the Swarm replaces those itself), or one not running.

        Raises:
            EngineUnavailable: the manager failed or is unreachable.
        """
        doing = "checking the node of"
        try:
            service, tasks = self._service_and_tasks(container_id, doing)
        except DockerServiceGone:
            return None
        task = latest_task(tasks)
        labels = (service.get("Spec") or {}).get("Labels") or {}
        if awake_replicas(service) > 1 or task is None or task_state(task) != "running":
            return None
        port = published_port(task, int(labels.get(LABEL_PORT) or 0))
        node_id = str(task.get("NodeID") or "")
        node = self._inspect_node(node_id) if node_id and port else None
        addr = str(((node or {}).get("Status") or {}).get("Addr") or "")
        if node is None or port is None or not addr or not node_silent(addr, port):
            return None
        self._silent.found(node_id, addr)
        hostname = str((node.get("Description") or {}).get("Hostname") or node_id[:12])
        movable = not pinned_node(service)
        return NodeLoss(
            hostname, addr, movable=movable, keeps_data=movable and self._shared is not None
        )

    def _inspect_node(self, node_id: str) -> Mapping[str, Any] | None:
        try:
            found: Mapping[str, Any] = self._api.inspect_node(node_id)
        except DockerNotFound:
            return None
        except ENGINE_ERRORS as exc:
            raise self._error(exc, f"inspecting node {node_id}") from exc
        return found

    def _silent_nodes(self) -> tuple[str, ...]:
        """The nodes found silent that the manager still counts and that still do not
        answer: no task, job or fill may be placed there (swarm_silent.py)."""
        return self._silent.current(self._inspect_node)

    # --- control -------------------------------------------------------------------------------

    def stop(self, container_id: str, timeout: float = 10) -> None:
        """Scale the service to zero (its task gets SIGTERM, SIGKILL after its grace period)
        and wait until no task of it runs.

        Raises:
            NotFound: the service does not exist.
            EngineUnavailable: the manager failed or is unreachable.
        """
        self._scale(container_id, 0, "stopping")
        deadline = time.monotonic() + max(timeout, 0) + 20
        while time.monotonic() < deadline:
            info = self.inspect(container_id)
            if info is None or info.status not in ("running", "created"):
                return
            time.sleep(POLL_S)
        log.warning("service %s still runs a task after being scaled to zero", container_id)

    def remove(self, container_id: str) -> None:
        """Remove the service (its task is stopped); no error when it is already gone.

        Raises:
            EngineUnavailable: the manager failed or is unreachable.
        """
        try:
            self._api.remove_service(container_id)
        except DockerNotFound:
            return
        except ENGINE_ERRORS as exc:
            raise self._error(exc, f"removing service {container_id}") from exc

    def pause(self, container_id: str) -> None:
        """Swarm cannot freeze a task: this sleep is scaling to zero as :meth:`stop` does
        (memory freed; the wake is a cold start, docs/cluster.md).

        Raises:
            NotFound, EngineUnavailable: as :meth:`stop`.
        """
        self.stop(container_id)

    def unpause(self, container_id: str) -> None:
        """Refused: a service scaled to zero has no frozen process to thaw.

        Raises:
            NotFound: the service does not exist.
            Conflict: otherwise always; the lifecycle then starts it again
                (:meth:`start_existing`), on whichever node can take it, and reads the new
                address back.
        """
        if self.inspect(container_id) is None:
            raise NotFound(f"unpausing service {container_id}: no such service",
                           hint="it was removed meanwhile; refresh the space's state")  # fmt: skip
        raise Conflict(
            f"service {container_id} is scaled to zero, not frozen: it cannot be unpaused",
            hint="start it again (a Swarm space's sleep is scale-to-zero; docs/cluster.md)",
        )

    def _scale(self, service_id: str, count: int, doing: str) -> None:
        """Ask for *count* replicas. A service that already asks for them but runs none (the
        manager stopped its task and, restart policy ``none``, made no other: its container
        died, its node was lost, a new control plane adopted it) gets a forced update, which
        starts new tasks; scaling to the same count would change nothing."""
        what = f"{doing} service {service_id}"
        try:
            service = self._api.inspect_service(service_id)
            # a wake avoids the nodes found silent, as a start does
            moved = avoiding(forced_update(service), self._silent_nodes()) if count else None
            if replicas(service) != count:
                self._api.update_service(
                    service_id,
                    service["Version"]["Index"],
                    mode={"Replicated": {"Replicas": count}},
                    fetch_current_spec=True,
                    **({"task_template": moved} if moved else {}),
                )
            elif count > 0 and not has_live_task(self._api.tasks(filters={"service": service_id})):
                log.info(
                    "service %s wants %d task(s) but runs none: forcing new ones", service_id, count
                )
                self._api.update_service(
                    service_id,
                    service["Version"]["Index"],
                    task_template=moved or forced_update(service),
                    fetch_current_spec=True,
                )
        except ENGINE_ERRORS as exc:
            raise self._error(exc, what) from exc

    # --- logs ----------------------------------------------------------------------------------

    def logs(self, container_id: str, tail: int | None = None) -> list[str]:
        """The service's output so far (all its runs), stdout and stderr.

        Raises:
            NotFound: the service does not exist.
            EngineUnavailable: the manager failed or is unreachable.
        """
        return self._read_logs(container_id, tail=tail)

    def _read_logs(
        self, service_id: str, *, tail: int | None = None, since: float | None = None
    ) -> list[str]:
        doing = f"reading the logs of service {service_id}"
        if self._on_lost_node(service_id, doing):
            return []  # the manager would wait for the lost node; the platform kept the lines
        params = _log_params(follow=False, tail=tail, since=since)
        stream = self._log_stream(service_id, params, doing, timeout=LOG_READ_TIMEOUT_S)
        try:
            return list(split_lines(stream))
        except ENGINE_ERRORS as exc:
            raise self._error(exc, doing) from exc
        finally:
            stream.close()

    def _on_lost_node(self, service_id: str, doing: str) -> bool:
        try:
            _service, task = self._service_and_task(service_id, doing)
        except DockerServiceGone:
            return False  # the read itself says NotFound
        node_id = str((task or {}).get("NodeID") or "")
        return bool(node_id) and self._node(node_id)[1]

    def follow_logs(self, container_id: str, since: float | None = None) -> Iterator[str]:
        """Every output line of the service, past then new; ends once its task no longer runs.

        The manager's stream of a service never ends by itself (the service may run another
        task), so a watcher closes it when the task stops; the end of the log is then read
        once more and what the stream had not delivered yet is added (nodes send their lines
        to the manager with a delay).

        Raises:
            NotFound: the service does not exist (on the first ``next``).
            EngineUnavailable: the manager failed or is unreachable.
        """
        doing = f"following the logs of service {container_id}"
        stream = self._log_stream(container_id, _log_params(follow=True, since=since), doing)
        stop = threading.Event()
        watcher = threading.Thread(
            target=self._close_when_stopped,
            args=(container_id, stream, stop),
            name=f"swarm-logs-{container_id[:12]}",
            daemon=True,
        )
        watcher.start()
        recent: deque[str] = deque(maxlen=CATCH_UP_LINES)
        try:
            for line in split_lines(stream):
                recent.append(line)
                yield line
        except ENGINE_ERRORS as exc:
            if not stop.is_set():
                raise self._error(exc, doing) from exc
        finally:
            stop.set()
            stream.close()
        try:
            latest = self._read_logs(container_id, tail=CATCH_UP_LINES, since=since)
        except SpacehostError:
            return
        yield from unseen_tail(list(recent), latest)

    def _log_stream(
        self,
        service_id: str,
        params: Mapping[str, Any],
        doing: str,
        timeout: float | None = None,
    ) -> CancellableStream:
        """The manager's log stream; *timeout* bounds each read (None: a follow, which may be
        quiet for hours, waits as long as it takes; its watcher ends it)."""
        api = self._api
        url = api._url("/services/{0}/logs", service_id)
        try:
            res = api._get(url, params=params, stream=True, timeout=timeout)
            api._raise_for_status(res)
        except ENGINE_ERRORS as exc:
            raise self._error(exc, doing) from exc
        return CancellableStream(api._multiplexed_response_stream_helper(res), res)

    def _close_when_stopped(
        self, service_id: str, stream: CancellableStream, stop: threading.Event
    ) -> None:
        while not stop.wait(FOLLOW_POLL_S):
            try:
                info = self.inspect(service_id)
            except Exception:  # the manager is away: the stream fails by itself, or resumes
                continue
            if info is None or info.status not in ("running", "created"):
                stop.set()
                stream.close()
                return

    # --- what runs elsewhere or not at all -----------------------------------------------------

    def disk_usage(self, container_id: str) -> list[DiskUsage]:
        """None: disks are limited per node, by the node's operator (docs/cluster.md)."""
        return []

    def run_task(self, spec: ContainerSpec, timeout: float) -> TaskResult:
        """Run a short task of a space.

        One that reads hub repos (preparing the space's hub datasets for ``load_dataset``,
        lifecycle/datasetprep.py) runs as a job on the node the space will run on — placed as
        :meth:`start` places the space, its repos filled there — in the space's image with
        its volumes, so what it writes into them (the datasets cache) is on that node when the
        space starts there. Any other runs on the build engine (it has the image and the
        host's folders).

        Returns:
            Its exit code (``None`` when it did not end within *timeout* seconds) and output.

        Raises:
            AppFailed: a hub fill failed, or the node refused the task (an image it cannot
                pull).
            HardwareUnavailable: no node can take the space.
            EngineUnavailable: the manager, the build engine or the registry failed.
        """
        if not spec.hub or self.hub is None:
            return self.local.run_task(spec, timeout)
        spec, at = self._placed(spec, None)
        nodes = at.hub_nodes or ((at.node_id,) if at.node_id else ())
        assert nodes  # spec.hub is not empty: the fill chose the node(s)
        result = self._task_on(spec, at, nodes[0], timeout)
        for node_id in nodes[1:]:  # each node a replica may run on prepares its own volumes
            if result.exit_code != 0:
                break
            result = self._task_on(spec, at, node_id, timeout)
        return result

    def _task_on(
        self, spec: ContainerSpec, at: Placement, node_id: str, timeout: float
    ) -> TaskResult:
        doing = f"running a task for {spec.space} on node {node_id}"
        name = service_name(f"{at.name}-task")
        args = task_args(spec, at.image, name, helper_labels(spec), node_id=node_id,
                         node_labels=at.labels)  # fmt: skip
        try:
            job = self._api.create_service(**args)
        except ENGINE_ERRORS as exc:
            raise self._error(exc, doing, image=at.image) from exc
        job_id = str(job["ID"])
        try:
            return wait_task(self._api, job_id, timeout, doing, self._read_logs)
        finally:
            self.remove(job_id)


def _log_params(
    *, follow: bool, tail: int | None = None, since: float | None = None
) -> dict[str, Any]:
    params: dict[str, Any] = {"follow": follow, "stdout": True, "stderr": True,
                              "tail": "all" if tail is None else str(tail)}  # fmt: skip
    if since and since > 0:
        params["since"] = f"{since:.9f}"  # the engine reads fractions: a restart's lines only
    return params


class DockerServiceGone(Exception):
    """The service asked about does not exist (internal: inspect answers None)."""


def _carries(node: Mapping[str, Any], labels: tuple[Label, ...]) -> bool:
    return carries((node.get("Spec") or {}).get("Labels") or {}, labels)


def _configured(service: Mapping[str, Any]) -> tuple[Label, ...]:
    """The node labels from configuration a service's constraints ask for (not spacehost's own
    labels of the nodes holding its /data or hub volumes)."""
    template = (service.get("Spec") or {}).get("TaskTemplate") or {}
    found = from_constraints((template.get("Placement") or {}).get("Constraints") or ())
    own = (VOLUME_NODE_LABEL, HUB_NODE_LABEL)
    return tuple(label for label in found if not label[0].startswith(own))


def _refuse_binds(spec: ContainerSpec) -> None:
    binds = [m.container_path for m in spec.mounts if not m.volume]
    if binds:
        raise NotSupported(
            f"{spec.space} needs host folders mounted at {', '.join(binds)} (hub models or "
            "datasets, a bucket, the shared-GPU socket), which a Swarm node does not have",
            hint="run this space on the Docker backend (SPACEHOST_RUNTIME=docker), or remove "
            "models:/datasets:/buckets from it (docs/cluster.md)",
        )
