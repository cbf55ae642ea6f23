"""Short tasks of a space on the node it will run on (a Swarm job), as the Docker backend runs
them beside its containers: preparing a space's hub datasets writes the space's own datasets
cache, a volume that must be on the node the space runs on (docs/cluster.md, "Hub repos on the
nodes")."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from docker import APIClient

from spacehost.dockerengine import ENGINE_ERRORS, manager_error
from spacehost.errors import AppFailed
from spacehost.runtime.base import TaskResult
from spacehost.runtime.swarm_info import latest_task, task_error, task_state

POLL_S = 0.3


def exit_code(task: Mapping[str, Any]) -> int:
    """The exit code of a finished task's container (0 when the engine gave none)."""
    status = (task.get("Status") or {}).get("ContainerStatus") or {}
    return int(status.get("ExitCode") or 0)


def task_outcome(task: Mapping[str, Any] | None) -> int | None:
    """The exit code of a job's task once it ended (``complete`` or ``failed``), else None.

    Raises:
        AppFailed: the node refused the task (``rejected``: its image could not be pulled, a
            volume could not be made): nothing of the task ran.
    """
    state = task_state(task)
    if task is None or state not in ("complete", "failed", "rejected"):
        return None
    if state == "rejected":
        raise AppFailed(
            f"the node refused the task: {task_error(task) or state}",
            hint="check that the node can pull the space's image (a plain-HTTP registry must "
            "be in the node's insecure-registries, docs/cluster.md)",
        )
    return 0 if state == "complete" else exit_code(task)


def wait_task(
    api: APIClient,
    job_id: str,
    timeout: float,
    doing: str,
    read_lines: Callable[[str], list[str]],
) -> TaskResult:
    """Wait for the one-shot job *job_id* to end, at most *timeout* seconds.

    Returns:
        Its exit code (None: still not done after *timeout*) and its output (*read_lines*).

    Raises:
        AppFailed: the node refused the task.
        EngineUnavailable: the manager failed or is unreachable.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            task = latest_task(api.tasks(filters={"service": job_id}))
        except ENGINE_ERRORS as exc:
            raise manager_error(exc, doing) from exc
        try:
            code = task_outcome(task)
        except AppFailed as exc:
            raise AppFailed(f"{doing}: {exc.message}", hint=exc.hint) from exc
        if code is not None:
            return TaskResult(code, tuple(read_lines(job_id)))
        if time.monotonic() > deadline:
            return TaskResult(None, tuple(read_lines(job_id)))
        time.sleep(POLL_S)
