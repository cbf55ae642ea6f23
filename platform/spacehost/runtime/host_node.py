"""The one node of the Docker backend: this machine, with the spaces and jobs its engine runs
(see :mod:`spacehost.runtime.nodes`)."""

from __future__ import annotations

import os
import socket
from typing import Any

from docker import DockerClient

from spacehost.dockerengine import ENGINE_ERRORS, container_error
from spacehost.errors import NotSupported
from spacehost.runtime.base import LABEL_INSTANCE, LABEL_MANAGED, LABEL_ROLE, RuntimeBackend
from spacehost.runtime.jobcontainers import LABEL_JOB, ROLE_JOB
from spacehost.runtime.nodes import NodeInfo, Workload, checked_availability

_LIVE = ("created", "running", "paused", "restarting")


def _meminfo_bytes() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class HostNode:
    """This machine as the one node spaces run on (a :class:`NodeSource`).

    Args:
        runtime: the backend whose containers are the node's spaces.
        engine: the engine's client, for its facts (CPUs, memory, version) and its job
            containers; without one (unit tests), the machine's own facts and no jobs.
        instance: the platform's instance label: only its jobs are shown.
    """

    backend = "docker"

    def __init__(
        self,
        runtime: RuntimeBackend,
        engine: DockerClient | None = None,
        instance: str | None = None,
    ) -> None:
        self._runtime = runtime
        self._engine = engine
        self._instance = instance

    def nodes(self) -> list[NodeInfo]:
        facts = self._engine_facts() if self._engine is not None else {}
        spaces = [
            Workload("space", str(c.space), c.status)
            for c in self._runtime.list_managed()
            if c.status in _LIVE
        ]
        workloads = sorted(spaces + self._jobs(), key=lambda w: (w.kind, w.name))
        return [
            NodeInfo(
                id=str(facts.get("ID") or "local"),
                hostname=str(facts.get("Name") or socket.gethostname()),
                role="manager",
                leader=True,
                state="ready",
                availability="active",
                address="127.0.0.1",
                cpus=float(facts.get("NCPU") or os.cpu_count() or 0),
                memory_bytes=int(facts.get("MemTotal") or _meminfo_bytes()),
                engine_version=str(facts.get("ServerVersion", "")),
                workloads=tuple(workloads),
            )
        ]

    def set_availability(self, node: str, availability: str) -> NodeInfo:
        checked_availability(availability)
        raise NotSupported(
            "the Docker backend runs every space on this one machine: there is no other node "
            f"to move them to, so {node!r} cannot be set to {availability}",
            hint="run spacehost on a Swarm (SPACEHOST_RUNTIME=swarm, docs/cluster.md) to "
            "drain nodes",
        )

    def _engine_facts(self) -> dict[str, Any]:
        assert self._engine is not None
        try:
            facts: dict[str, Any] = self._engine.info()
        except ENGINE_ERRORS as exc:
            raise container_error(exc, "reading the engine's facts") from exc
        return facts

    def _jobs(self) -> list[Workload]:
        if self._engine is None:
            return []
        labels = [f"{LABEL_MANAGED}=true", f"{LABEL_ROLE}={ROLE_JOB}"]
        if self._instance:
            labels.append(f"{LABEL_INSTANCE}={self._instance}")
        try:
            found = self._engine.api.containers(filters={"label": labels})
        except ENGINE_ERRORS as exc:
            raise container_error(exc, "listing job containers") from exc
        return [
            Workload("job", str((c.get("Labels") or {}).get(LABEL_JOB, "")), str(c.get("State")))
            for c in found
        ]
