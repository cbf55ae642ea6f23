"""Hub repos on Swarm nodes: a node-local volume per (repo, commit), filled from the platform's
hub by a one-shot task on the node before the space's service starts (docs/cluster.md, "Hub repos
on the nodes").

A node does not have the platform's hub folders that the Docker backend bind-mounts. So for each
:class:`~spacehost.runtime.hubsnapshot.HubSnapshot` of a space, a Swarm job pinned to the space's
node runs :mod:`spacehost.runtime.hubfill_script` in the platform's own runtime image (never the
space's: code a space's image carries must not write a cache other spaces read, nor see the
fill's token), in Python's isolated mode: it downloads the commit's
files from the hub's own download API (``SPACEHOST_SWARM_HUB_URL``), checks every hash, and
writes ``refs/main`` last; a volume that already has it is left as it is. The node is then
labelled ``spacehost.hub.<volume>=true`` and the space's service mounts the volume read-only
where the bind mount would have been, offline as on one host.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from docker import APIClient
from docker.errors import NotFound as DockerNotFound

from spacehost.dockerengine import ENGINE_ERRORS, manager_error
from spacehost.errors import AppFailed, HardwareUnavailable
from spacehost.nodelabels import Label
from spacehost.runtime.base import (
    LABEL_INSTANCE,
    LABEL_ROLE,
    LABEL_SPACE,
    ContainerSpec,
    Mount,
)
from spacehost.runtime.hubsnapshot import HubSnapshot
from spacehost.runtime.lines import split_lines
from spacehost.runtime.swarm_fillslots import FillSlots
from spacehost.runtime.swarm_info import latest_task, task_error, task_state
from spacehost.runtime.swarm_node_fence import HELPER_NETWORK
from spacehost.runtime.swarm_nodes import label_node, usable
from spacehost.runtime.swarm_room import Need, capacity, fits_in, room_for
from spacehost.runtime.swarm_spec import placement_constraints
from spacehost.runtime.swarm_unplaced import unplaced_error

log = logging.getLogger(__name__)

SCRIPT = (Path(__file__).parent / "hubfill_script.py").read_text()
CACHE_MOUNT = "/cache"  # the volume inside the fill task
HUB_NODE_LABEL = "spacehost.hub."  # spacehost.hub.<volume>=true on a node holding a filled volume
FILL_TIMEOUT_S = 1800.0  # a large model over a slow link
UNSCHEDULABLE_AFTER_S = 15.0
TOKEN_TTL_S = 3600
POLL_S = 0.3
NO_NODE_MARKER = "no suitable node"


class HubTokens(Protocol):
    """Short-lived read tokens for the fill tasks (server/shorttokens.py)."""

    def issue(self, user: str, purpose: str, ttl_s: int) -> tuple[str, int] | None:
        """A token of *user* that reads what *user* may read; None: *user* has no account."""

    def revoke(self, token_id: int) -> None: ...


def node_label(snapshot: HubSnapshot) -> str:
    """The node label that says a node holds *snapshot*'s filled volume."""
    return f"{HUB_NODE_LABEL}{snapshot.volume}"


def without_hub_binds(spec: ContainerSpec) -> ContainerSpec:
    """*spec* without the bind mounts of its hub repos (the host's folders), with a read-only
    mount of each repo's node-local volume in their place."""
    kept = tuple(m for m in spec.mounts if not any(s.covers(m.container_path) for s in spec.hub))
    volumes = tuple(Mount(s.volume, s.container_dir, read_only=True, volume=True) for s in spec.hub)
    return replace(spec, mounts=kept + volumes)


@dataclass(frozen=True)
class FillRequest:
    """What every fill of one placement of a space shares.

    Attributes:
        spec: the space (its hub snapshots, its owner for the fill's token).
        image: the fill tasks' image, as nodes pull it.
        name: the space's service name: its fill jobs are named after it.
        resources: the space's reservations: its fills go to a node with room for them
            (swarm_room.py), or, replicated, to nodes that can hold one replica.
        labels: the fill jobs' labels (a helper's: :func:`helper_labels`).
        avoid: nodes no fill may land on (found silent: runtime/swarm_silent.py).
        node_labels: labels from configuration every node the space (so its fills) runs on
            carries (nodelabels.py).
    """

    spec: ContainerSpec
    image: str
    name: str
    resources: Mapping[str, Any]
    labels: Mapping[str, str]
    avoid: tuple[str, ...] = ()
    node_labels: tuple[Label, ...] = ()


def fill_args(
    snapshot: HubSnapshot,
    request: FillRequest,
    name: str,
    *,
    hub_url: str,
    token: str | None,
    node_id: str,
) -> dict[str, Any]:
    """Keyword arguments for ``APIClient.create_service``: the one-shot fill task *name* of
    *snapshot*, as root, on *node_id*. It reserves nothing: on Docker 20.10 its ended task
    would keep its reservations counted on the node (swarm_room.py)."""
    env = {
        "HUB_URL": hub_url,
        "HUB_KIND": snapshot.kind,
        "HUB_REPO": snapshot.repo_id,
        "HUB_SHA": snapshot.sha,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if token:
        env["HUB_TOKEN"] = token  # short-lived, revoked when the fill ends
    # no VolumeOptions labels: dockerd 20.10 did not put them on the volume it made for the task
    # (measured); the volume's name says what it is
    mount = {"Type": "volume", "Source": snapshot.volume, "Target": CACHE_MOUNT}
    template: dict[str, Any] = {
        "ContainerSpec": {
            "Image": request.image,
            "Command": ["python3", "-I", "-c", SCRIPT, CACHE_MOUNT],
            "Args": [],
            "User": "0:0",
            "Env": [f"{k}={v}" for k, v in env.items()],
            "Mounts": [mount],
            "Labels": dict(request.labels),
        },
        "RestartPolicy": {"Condition": "none"},
        # the node's own network: the spaces' bridge refuses what its containers start, and
        # this task (the platform's code, never the space's) must reach the platform's hub URL
        "Networks": [{"Target": HELPER_NETWORK}],
    }
    constraints = placement_constraints(node_id, labels=request.node_labels)
    template["Placement"] = {"Constraints": constraints}
    return {
        "task_template": template,
        "name": name,
        "labels": dict(request.labels),
        "mode": {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}},
    }


def fits(node: Mapping[str, Any], resources: Mapping[str, Any]) -> bool:
    """Whether *node* has, in all, the CPUs, memory and GPUs one task of *resources* reserves
    (what it has free the manager checks when it places the task)."""
    return fits_in(capacity(node), Need.of(resources))


def held(node: Mapping[str, Any], snapshots: Sequence[HubSnapshot]) -> int:
    """How many of *snapshots* *node* holds filled (its labels)."""
    labels = (node.get("Spec") or {}).get("Labels") or {}
    return sum(1 for s in snapshots if labels.get(node_label(s)) == "true")


def spread_nodes(
    nodes: Sequence[Mapping[str, Any]], request: FillRequest, count: int
) -> list[Mapping[str, Any]]:
    """Up to *count* nodes for a space's replicas: usable ones that can take a replica,
    those already holding more of its repos first (they fill less)."""
    fitting = [
        n
        for n in nodes
        if usable(n, request.avoid, request.node_labels) and fits(n, request.resources)
    ]
    fitting.sort(key=lambda n: -held(n, request.spec.hub))  # stable: the manager's order
    return fitting[:count]


class SwarmHubCache:
    """Fills the node-local hub volumes a space needs, on the node(s) it will run on.

    Args:
        api: the manager's API client.
        hub_url: the platform's URL as tasks on the nodes reach it (``SPACEHOST_SWARM_HUB_URL``).
        image: the platform's image the fill tasks run in (one with ``python3``: the gradio
            runtime image), as the build engine names it; made when called.
        tokens: read tokens for the fill tasks (None: fills read without one: public repos).
        fill_timeout_s: how long one fill may take (image pull and download).
    """

    def __init__(
        self,
        api: APIClient,
        hub_url: str,
        image: Callable[[], str],
        tokens: HubTokens | None = None,
        *,
        fill_timeout_s: float = FILL_TIMEOUT_S,
    ) -> None:
        self._api = api
        self.hub_url = hub_url.rstrip("/")
        self.image = image
        self.tokens = tokens
        self._slots = FillSlots()  # one fill of a volume per node at a time
        self._fill_timeout_s = fill_timeout_s

    def holders(
        self,
        snapshots: Sequence[HubSnapshot],
        avoid: tuple[str, ...] = (),
        labels: tuple[Label, ...] = (),
    ) -> list[str]:
        """The ready, active nodes (carrying *labels*, none of *avoid*) already holding every
        one of *snapshots*."""
        if not snapshots:
            return []
        filters = {"node.label": [f"{node_label(s)}=true" for s in snapshots]}
        try:
            nodes = self._api.nodes(filters=filters)
        except ENGINE_ERRORS as exc:
            raise manager_error(exc, "listing the swarm's nodes") from exc
        return [str(node["ID"]) for node in nodes if usable(node, avoid, labels)]

    def holder(
        self,
        snapshots: Sequence[HubSnapshot],
        avoid: tuple[str, ...] = (),
        labels: tuple[Label, ...] = (),
    ) -> str | None:
        """A ready, active node (carrying *labels*, none of *avoid*) already holding every one
        of *snapshots* (so a space placed there fills nothing), or None."""
        found = self.holders(snapshots, avoid, labels)
        return found[0] if found else None

    def fill(self, request: FillRequest, node_id: str | None) -> str:
        """Fill every hub volume of the request's space on *node_id* (None: a node that holds
        them all, else one with room for the space: swarm_room.py), none of the request's
        ``avoid``.

        Returns:
            The node the space must run on.

        Raises:
            AppFailed: a fill failed (the hub unreachable, a hash mismatch): nothing half
                filled is used, the next start fills again.
            HardwareUnavailable: no node can take the space.
            EngineUnavailable: the manager failed or is unreachable.
        """
        node_id = node_id or self.holder(request.spec.hub, request.avoid, request.node_labels)
        node_id = node_id or self._room(request)
        for index, snapshot in enumerate(request.spec.hub):
            with self._slots.filling(snapshot.volume, node_id):  # a second start waits
                self._fill_one(request, snapshot, index, node_id)
        return node_id

    def _room(self, request: FillRequest) -> str:
        """A node with room for the request's space (swarm_room.py): its fills go there."""
        doing = f"placing {request.spec.space}"
        try:
            return room_for(self._api, Need.of(request.resources), doing, request.avoid,
                            request.node_labels)  # fmt: skip
        except ENGINE_ERRORS as exc:
            raise manager_error(exc, doing) from exc

    def fill_spread(self, request: FillRequest, count: int) -> tuple[str, ...]:
        """Fill the request's hub volumes on up to *count* nodes that can take one replica
        each (in parallel; nodes already holding them fill nothing), for a space with
        *count* replicas spread over the nodes.

        Returns:
            Every usable node holding all its volumes now (those filled, and others that
            already did): its service is constrained to them. A node whose fill failed is
            left out (the platform's log says so) while another has them.

        Raises:
            AppFailed: the fill failed on every node tried.
            HardwareUnavailable: no usable node can take one replica.
            EngineUnavailable: the manager failed or is unreachable.
        """
        try:
            nodes = self._api.nodes()
        except ENGINE_ERRORS as exc:
            raise manager_error(exc, "listing the swarm's nodes") from exc
        chosen = spread_nodes(nodes, request, count)
        if not chosen:
            raise unplaced_error(
                f"placing a replica of {request.spec.space}",
                "no ready, active node has its CPU and memory",
                request.node_labels,
                nodes,
            )
        snapshots = request.spec.hub
        lacking = [str(n["ID"]) for n in chosen if held(n, snapshots) < len(snapshots)]
        failed = self._fill_on(request, lacking) if lacking else {}
        if len(failed) == len(chosen):
            raise next(iter(failed.values()))
        if failed:
            log.warning(
                "%s: its hub repos could not be filled on node(s) %s (%s): its replicas run "
                "on the nodes that hold them",
                request.spec.space,
                ", ".join(failed),
                "; ".join(exc.message for exc in failed.values()),
            )
        return tuple(self.holders(request.spec.hub, request.avoid, request.node_labels))

    def _fill_on(
        self, request: FillRequest, nodes: Sequence[str]
    ) -> dict[str, AppFailed | HardwareUnavailable]:
        """Fill on each of *nodes* at once; what failed where."""
        failed: dict[str, AppFailed | HardwareUnavailable] = {}
        with ThreadPoolExecutor(len(nodes), thread_name_prefix="hub-fill") as pool:
            futures = {node: pool.submit(self.fill, request, node) for node in nodes}
            for node, future in futures.items():
                try:
                    future.result()
                except (AppFailed, HardwareUnavailable) as exc:
                    failed[node] = exc
        return failed

    def _fill_one(
        self, request: FillRequest, snapshot: HubSnapshot, index: int, node_id: str
    ) -> None:
        spec = request.spec
        doing = f"filling the hub cache of {snapshot.kind} {snapshot.repo_id} for {spec.space}"
        job = job_name(request.name, index, node_id)
        issued = self._token(spec, snapshot)
        args = fill_args(
            snapshot,
            request,
            job,
            hub_url=self.hub_url,
            token=issued[0] if issued else None,
            node_id=node_id,
        )
        try:
            try:
                created = self._api.create_service(**args)
            except ENGINE_ERRORS as exc:
                raise manager_error(exc, doing, image=request.image) from exc
            job_id = str(created["ID"])
            try:
                lines = self._wait(job_id, doing, request.node_labels)
            finally:
                self._remove(job_id)
        finally:
            if issued and self.tokens is not None:
                self.tokens.revoke(issued[1])
        said = lines[-1] if lines else "done"
        log.info("%s on node %s: %s", snapshot.volume, node_id, said)
        label_node(self._api, node_id, node_label(snapshot), doing)

    def _token(self, spec: ContainerSpec, snapshot: HubSnapshot) -> tuple[str, int] | None:
        if self.tokens is None:
            return None
        purpose = f"hub-fill-{snapshot.repo_id.replace('/', '-')}"
        return self.tokens.issue(spec.space.owner, purpose, TOKEN_TTL_S)

    def _wait(self, job_id: str, doing: str, labels: tuple[Label, ...] = ()) -> list[str]:
        """Wait for the fill job to complete; its last log lines."""
        deadline = time.monotonic() + self._fill_timeout_s
        waiting_since: float | None = None
        while True:
            try:
                task = latest_task(self._api.tasks(filters={"service": job_id}))
            except ENGINE_ERRORS as exc:
                raise manager_error(exc, doing) from exc
            state = task_state(task)
            if task is not None and state == "complete":
                return self._logs(job_id)
            if task is not None and state in ("failed", "rejected"):
                said = self._logs(job_id)[-3:] or [task_error(task) or state]
                raise AppFailed(
                    f"{doing}: {' / '.join(said)}",
                    hint="check that the nodes reach SPACEHOST_SWARM_HUB_URL and that the repo "
                    "is intact; restarting the space fills the cache again (docs/cluster.md)",
                )
            if NO_NODE_MARKER in task_error(task):
                waiting_since = waiting_since or time.monotonic()
                if time.monotonic() - waiting_since > UNSCHEDULABLE_AFTER_S:
                    raise self._unplaced(doing, task_error(task), labels)
            if time.monotonic() > deadline:
                raise AppFailed(
                    f"{doing}: not done after {self._fill_timeout_s:.0f} s",
                    hint="restart the space to try again; a large repo needs a faster link",
                )
            time.sleep(POLL_S)

    def _unplaced(self, doing: str, why: str, labels: tuple[Label, ...]) -> HardwareUnavailable:
        """No node takes the fill: naming the node labels the space needs when no ready node
        carries them (swarm_unplaced.py)."""
        try:
            nodes: list[Mapping[str, Any]] | None = list(self._api.nodes()) if labels else None
        except ENGINE_ERRORS:
            nodes = None
        return unplaced_error(doing, why, labels, nodes)

    def _logs(self, job_id: str) -> list[str]:
        try:
            chunks: Iterable[bytes] = self._api.service_logs(
                job_id, stdout=True, stderr=True, tail="20", follow=False
            )
            return [ln for ln in split_lines(chunks) if ln.strip()]
        except ENGINE_ERRORS:
            return []

    def _remove(self, job_id: str) -> None:
        try:
            self._api.remove_service(job_id)
        except DockerNotFound:
            return
        except ENGINE_ERRORS as exc:
            log.warning("could not remove the hub fill job %s: %s", job_id, exc)


def job_name(name: str, index: int, node_id: str | None) -> str:
    """The fill job of hub repo *index* of the space's service *name* (on *node_id*: fills
    of one space on several nodes run at once, each under its own name)."""
    suffix = f"-hub{index}" + (f"-{node_id[:10]}" if node_id else "")
    return f"{name}{suffix}"[-63:].lstrip("-")


def helper_labels(spec: ContainerSpec) -> dict[str, str]:
    """The labels of a fill task: a helper's (as the /data job's), the space's and the
    instance's."""
    labels = {LABEL_ROLE: "helper", LABEL_SPACE: str(spec.space)}
    instance = spec.labels.get(LABEL_INSTANCE)
    if instance:
        labels[LABEL_INSTANCE] = instance
    return labels
