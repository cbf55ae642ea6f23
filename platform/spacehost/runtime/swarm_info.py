"""Reading a space's state back from its Swarm service and tasks. Pure.

A service stands for the container of the Docker backend: its id is the "container id", its
latest task says the status (mapped onto the container statuses the lifecycle knows), and
where that task runs says where the router reaches the app: the node's address and the port
the task published there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from spacehost.domain import SpaceId
from spacehost.runtime.base import (
    DATA_MOUNT,
    LABEL_PORT,
    LABEL_REVISION,
    LABEL_SPACE,
    ContainerInfo,
)

# Task states (swarmkit's api.TaskState) as container statuses.
_STARTING = ("new", "pending", "assigned", "accepted", "ready", "preparing", "starting")
_FINISHED = ("complete", "failed", "shutdown")
_GONE = ("rejected", "orphaned", "remove")
_OOM_MARKERS = ("oom", "out of memory")


def replicas(service: Mapping[str, Any]) -> int:
    """The replicas the service asks for (0: asleep)."""
    mode = (service.get("Spec") or {}).get("Mode") or {}
    return int((mode.get("Replicated") or {}).get("Replicas", 0))


def latest_task(tasks: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The task that says the service's state: the newest one meant to run, else the newest.

    Tasks the manager keeps as history (earlier runs, shut down) are older; their order is
    the cluster store's version index, which only grows."""
    if not tasks:
        return None
    ordered = sorted(tasks, key=lambda t: int((t.get("Version") or {}).get("Index", 0)))
    wanted = [t for t in ordered if t.get("DesiredState") in ("running", "ready", "accepted")]
    return (wanted or ordered)[-1]


def task_state(task: Mapping[str, Any] | None) -> str:
    """The task's state, e.g. ``running``; ``""`` without a task."""
    return str(((task or {}).get("Status") or {}).get("State", ""))


def has_live_task(tasks: Sequence[Mapping[str, Any]]) -> bool:
    """True when some task is meant to run and runs or is on its way (not one the manager
    stopped or that ended)."""
    return any(
        t.get("DesiredState") in ("running", "ready", "accepted")
        and task_state(t) in (*_STARTING, "running")
        for t in tasks
    )


def forced_update(service: Mapping[str, Any]) -> dict[str, Any]:
    """The service's task template with its ``ForceUpdate`` counter one higher: an update
    that changes only it replaces the service's tasks (``docker service update --force``)."""
    template = dict((service.get("Spec") or {}).get("TaskTemplate") or {})
    template["ForceUpdate"] = int(template.get("ForceUpdate") or 0) + 1
    return template


def pinned_node(service: Mapping[str, Any]) -> bool:
    """True when the service's tasks may run on one node only: pinned (``node.id==``) to the
    node that holds its ``/data`` volume. A service pinned only to where its hub repos were
    filled (``/data`` a tmpfs, or none) may move: another node can be filled."""
    template = (service.get("Spec") or {}).get("TaskTemplate") or {}
    constraints = (template.get("Placement") or {}).get("Constraints") or ()
    mounts = (template.get("ContainerSpec") or {}).get("Mounts") or ()
    data_volume = any(m.get("Target") == DATA_MOUNT and m.get("Type") == "volume" for m in mounts)
    return data_volume and any(str(c).replace(" ", "").startswith("node.id==") for c in constraints)


def published_port(task: Mapping[str, Any], target: int) -> int | None:
    """The node port the task published for its container port *target*."""
    ports = ((task.get("Status") or {}).get("PortStatus") or {}).get("Ports") or ()
    for port in ports:
        if int(port.get("TargetPort", 0)) == target and port.get("PublishedPort"):
            return int(port["PublishedPort"])
    return None


def task_error(task: Mapping[str, Any] | None) -> str:
    """Why the task failed or waits (``no suitable node ...``), as the manager says it."""
    status = (task or {}).get("Status") or {}
    return str(status.get("Err") or "")


def _instant(stamp: object) -> datetime | None:
    """An engine timestamp (RFC 3339, up to nanoseconds) as a datetime; None when absent."""
    text = str(stamp or "")
    if not text:
        return None
    head, _, rest = text.rstrip("Z").partition(".")
    digits = "".join(c for c in rest if c.isdigit())[:6]
    try:
        return datetime.fromisoformat(f"{head}.{digits or '0'}+00:00")
    except ValueError:
        return None


def shut_down_since_update(service: Mapping[str, Any], task: Mapping[str, Any] | None) -> bool:
    """True when *task* was stopped after the service's last update: the manager took it away
    (its node drained or lost) and made none in its place (restart policy ``none``), rather
    than a scale-up the manager has not acted on yet."""
    updated = _instant(service.get("UpdatedAt"))
    stopped = _instant(((task or {}).get("Status") or {}).get("Timestamp"))
    return updated is not None and stopped is not None and stopped > updated


def updated_since_stop(service: Mapping[str, Any], task: Mapping[str, Any] | None) -> bool:
    """True when the service was updated after *task* stopped (both times known): the update
    asked for new tasks, which the manager has not made yet."""
    updated = _instant(service.get("UpdatedAt"))
    stopped = _instant(((task or {}).get("Status") or {}).get("Timestamp"))
    return updated is not None and stopped is not None and updated > stopped


def status_of(service: Mapping[str, Any], task: Mapping[str, Any] | None) -> str:
    """The container status the service's state maps to."""
    state = task_state(task)
    if state == "running":
        return "running"
    # scaled up again, before the manager made the new task: the newest is the one it shut
    # down at the scale-down (a crashed task is "failed", a finished one "complete")
    waking = replicas(service) > 0 and (
        (state in ("", "shutdown") and not shut_down_since_update(service, task))
        # a forced update (a wake of a service whose task ended) replaces an ended task
        or (state in ("complete", "failed") and updated_since_stop(service, task))
    )
    if state in _STARTING or waking:
        return "created"
    if state in _GONE:
        return "dead"
    return "exited"  # finished, or scaled to zero


def info_from_service(
    service: Mapping[str, Any],
    task: Mapping[str, Any] | None,
    node_addr: str | None,
    *,
    node_down: bool = False,
) -> ContainerInfo:
    """A :class:`ContainerInfo` from a service spacehost made and its latest task.

    Args:
        service: ``docker service inspect`` of it.
        task: its latest task (:func:`latest_task`), or None when it has none.
        node_addr: the address of the node the task runs on.
        node_down: the manager lost that node: a task it says runs there is ``dead`` (it
            keeps the task's last reported state, "running", until it sees the node again).

    Returns:
        ``host``/``port`` only while the task runs; the exit code once it finished.

    Raises:
        InvalidSpaceName: the ``spacehost.space`` label is not ``owner/name``.
    """
    spec = service.get("Spec") or {}
    labels: Mapping[str, str] = spec.get("Labels") or {}
    status = status_of(service, task)
    if node_down and status in ("running", "created"):
        status = "dead"
    host: str | None = None
    port: int | None = None
    if status == "running" and task is not None and labels.get(LABEL_PORT):
        port = published_port(task, int(labels[LABEL_PORT]))
        host = node_addr if port is not None else None
        port = port if host is not None else None
    t_status = (task or {}).get("Status") or {}
    exit_code: int | None = None
    if status == "exited" and task_state(task) in _FINISHED:
        exit_code = int((t_status.get("ContainerStatus") or {}).get("ExitCode") or 0)
    started = str(t_status.get("Timestamp") or "") if status == "running" else None
    finished = str(t_status.get("Timestamp") or "") if exit_code is not None else None
    return ContainerInfo(
        id=str(service["ID"]),
        name=str(spec.get("Name", "")),
        space=SpaceId.parse(labels[LABEL_SPACE]),
        revision=labels.get(LABEL_REVISION, ""),
        status=status,
        host=host,
        port=port,
        exit_code=exit_code,
        oom_killed=any(m in task_error(task).lower() for m in _OOM_MARKERS),
        started_at=started or None,
        finished_at=finished or None,
    )
