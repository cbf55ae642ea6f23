"""The nodes of a Swarm and what runs on each, read from the manager (``docker node ls``,
``docker service ls``, the services' tasks); drain and activate (``docker node update
--availability``). See :mod:`spacehost.runtime.nodes`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from docker import APIClient, DockerClient
from docker.errors import APIError

from spacehost.dockerengine import ENGINE_ERRORS, container_error, manager_error
from spacehost.errors import NotFound
from spacehost.nodelabels import Label, carries
from spacehost.runtime.base import LABEL_INSTANCE, LABEL_MANAGED, LABEL_ROLE, LABEL_SPACE
from spacehost.runtime.jobcontainers import LABEL_JOB
from spacehost.runtime.nodes import NodeInfo, Workload, checked_availability

_NANO = 1_000_000_000
_UPDATE_TRIES = 3  # a node's spec version moves when the manager updates it meanwhile


def generic_resources(node: Mapping[str, Any]) -> dict[str, int]:
    """The generic resources a node advertises, by kind (``{"gpu": 2}``): a discrete one
    counts its value, a named one (``gpu=GPU-UUID``) one each."""
    found: dict[str, int] = defaultdict(int)
    resources = (node.get("Description") or {}).get("Resources") or {}
    for res in resources.get("GenericResources") or ():
        discrete = res.get("DiscreteResourceSpec") or {}
        named = res.get("NamedResourceSpec") or {}
        if discrete.get("Kind"):
            found[str(discrete["Kind"])] += int(discrete.get("Value", 0))
        elif named.get("Kind"):
            found[str(named["Kind"])] += 1
    return dict(found)


def node_address(node: Mapping[str, Any]) -> str:
    """Where the node is reached: its reported address, or for a manager that reports
    ``0.0.0.0`` the address it advertises to the other managers."""
    addr = str((node.get("Status") or {}).get("Addr") or "")
    if addr in ("", "0.0.0.0"):
        manager = str((node.get("ManagerStatus") or {}).get("Addr") or "")
        addr = manager.rsplit(":", 1)[0] if manager else addr
    return addr


def workload_of(service: Mapping[str, Any], task: Mapping[str, Any]) -> Workload:
    """What *task* of *service* (a service spacehost made) is, for the node listing."""
    labels: Mapping[str, str] = (service.get("Spec") or {}).get("Labels") or {}
    state = str((task.get("Status") or {}).get("State", ""))
    if labels.get(LABEL_JOB):
        return Workload("job", labels[LABEL_JOB], state)
    kind = "space" if labels.get(LABEL_ROLE, "app") == "app" else "task"
    return Workload(kind, labels.get(LABEL_SPACE, str(service.get("ID", ""))), state)


_ENDED = frozenset({"complete", "shutdown", "failed", "rejected", "remove", "orphaned"})


def meant_to_run(task: Mapping[str, Any]) -> bool:
    """A space's task meant to run, or a job's (a ``ReplicatedJob`` task's desired state is
    ``complete``: it counts until it ended)."""
    desired = task.get("DesiredState")
    state = str((task.get("Status") or {}).get("State", ""))
    return desired == "running" or (desired == "complete" and state not in _ENDED)


def workloads_by_node(
    services: Iterable[Mapping[str, Any]], tasks: Iterable[Mapping[str, Any]]
) -> dict[str, list[Workload]]:
    """The tasks meant to run, of *services*, by the node they are on (tasks of other
    services, and tasks not yet given a node, are left out)."""
    by_id = {str(s["ID"]): s for s in services}
    found: dict[str, list[Workload]] = defaultdict(list)
    for task in tasks:
        service = by_id.get(str(task.get("ServiceID", "")))
        node = str(task.get("NodeID") or "")
        if service is None or not node or not meant_to_run(task):
            continue
        found[node].append(workload_of(service, task))
    return {node: sorted(w, key=lambda x: (x.kind, x.name)) for node, w in found.items()}


def node_info(node: Mapping[str, Any], workloads: Sequence[Workload] = ()) -> NodeInfo:
    """A :class:`NodeInfo` from ``docker node inspect`` of *node*."""
    spec = node.get("Spec") or {}
    desc = node.get("Description") or {}
    resources = desc.get("Resources") or {}
    return NodeInfo(
        id=str(node["ID"]),
        hostname=str(desc.get("Hostname", "")),
        role=str(spec.get("Role", "")),
        leader=bool((node.get("ManagerStatus") or {}).get("Leader")),
        state=str((node.get("Status") or {}).get("State", "unknown")),
        availability=str(spec.get("Availability", "")),
        address=node_address(node),
        cpus=int(resources.get("NanoCPUs", 0)) / _NANO,
        memory_bytes=int(resources.get("MemoryBytes", 0)),
        gpus=generic_resources(node),
        engine_version=str((desc.get("Engine") or {}).get("EngineVersion", "")),
        workloads=tuple(workloads),
        labels={str(k): str(v) for k, v in (spec.get("Labels") or {}).items()},
    )


def find_node(nodes: Sequence[Mapping[str, Any]], name: str) -> Mapping[str, Any]:
    """The node *name* names: its id, a unique start of its id, or its hostname.

    Raises:
        NotFound: none does, or a start of an id is not unique (the message says which).
    """
    for node in nodes:
        if node.get("ID") == name or (node.get("Description") or {}).get("Hostname") == name:
            return node
    starts = [n for n in nodes if name and str(n.get("ID", "")).startswith(name)]
    if len(starts) == 1:
        return starts[0]
    known = ", ".join(sorted(str((n.get("Description") or {}).get("Hostname")) for n in nodes))
    why = "names several nodes" if starts else "is no node of the swarm"
    raise NotFound(
        f"{name!r} {why}",
        hint=f"give a node's hostname or ID (`spacehost nodes` lists them: {known})",
    )


class SwarmNodes:
    """The nodes of the Swarm whose manager *manager* talks to (a :class:`NodeSource`).

    Args:
        manager: a client of the manager's engine; the caller owns it.
        instance: only services labelled ``spacehost.instance=<instance>`` are shown as
            workloads (another platform's services on the same swarm are not).
        manager_url: where the manager answers (``SPACEHOST_SWARM_URL``), named in the
            error when it does not.
    """

    backend = "swarm"

    def __init__(
        self, manager: DockerClient, instance: str | None = None, manager_url: str = ""
    ) -> None:
        self._api = manager.api
        self._instance = instance
        self._manager_url = manager_url

    def nodes(self) -> list[NodeInfo]:
        """Every node of the swarm, managers first, then by hostname."""
        labels = [f"{LABEL_MANAGED}=true"]
        if self._instance:
            labels.append(f"{LABEL_INSTANCE}={self._instance}")
        try:
            nodes = self._api.nodes()
            services = self._api.services(filters={"label": labels})
            tasks = self._api.tasks(filters={"desired-state": "running"})
        except ENGINE_ERRORS as exc:
            raise manager_error(exc, "listing the swarm's nodes", self._manager_url) from exc
        placed = workloads_by_node(services, tasks)
        infos = [node_info(n, placed.get(str(n["ID"]), ())) for n in nodes]
        return sorted(infos, key=lambda n: (n.role != "manager", n.hostname))

    def set_availability(self, node: str, availability: str) -> NodeInfo:
        """Drain, pause or activate *node*; the manager moves a drained node's tasks to the
        others by itself (see NodeSource.set_availability)."""
        checked_availability(availability)
        for attempt in range(_UPDATE_TRIES):
            try:
                found = find_node(self._api.nodes(), node)
                spec = {**found["Spec"], "Availability": availability}
                self._api.update_node(str(found["ID"]), found["Version"]["Index"], spec)
                break
            except APIError as exc:  # "update out of sequence": read it again
                if "out of sequence" not in str(exc) or attempt == _UPDATE_TRIES - 1:
                    raise container_error(exc, f"setting node {node} to {availability}") from exc
            except ENGINE_ERRORS as exc:
                doing = f"setting node {node} to {availability}"
                raise manager_error(exc, doing, self._manager_url) from exc
        return next(n for n in self.nodes() if n.id == str(found["ID"]))


def label_node(api: APIClient, node_id: str, label: str, doing: str) -> None:
    """Set the node label *label* ``=true`` on *node_id* (placement constraints read it).

    Raises:
        EngineUnavailable: the manager failed (the message says what was being done).
    """
    try:
        node = api.inspect_node(node_id)
        spec = dict(node["Spec"])
        spec["Labels"] = {**(spec.get("Labels") or {}), label: "true"}
        api.update_node(node_id, node["Version"]["Index"], spec)
    except ENGINE_ERRORS as exc:
        raise manager_error(exc, doing) from exc


def usable(node: Mapping[str, Any], avoid: tuple[str, ...], labels: tuple[Label, ...] = ()) -> bool:
    """A ready, active node not in *avoid*, carrying every one of *labels*."""
    ready = (node.get("Status") or {}).get("State") == "ready"
    active = (node.get("Spec") or {}).get("Availability") == "active"
    labelled = carries((node.get("Spec") or {}).get("Labels") or {}, labels)
    return ready and active and labelled and str(node.get("ID")) not in avoid
