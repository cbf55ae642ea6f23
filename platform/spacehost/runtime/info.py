"""Reading a container's state back from the engine's inspect document. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spacehost.domain import SpaceId
from spacehost.runtime.base import (
    LABEL_GPUS,
    LABEL_PORT,
    LABEL_REVISION,
    LABEL_SPACE,
    ContainerInfo,
)
from spacehost.runtime.options import HOST_NETWORK, LOOPBACK

# The engine's "never happened" timestamp.
_ZERO_TIME_PREFIX = "0001-01-01"
_REACHABLE = ("running", "paused")
_FINISHED = ("exited", "dead")
_ANY_ADDRESS = ("", "0.0.0.0", "::")


def info_from_attrs(attrs: Mapping[str, Any]) -> ContainerInfo:
    """A :class:`ContainerInfo` from a container's inspect document.

    Args:
        attrs: ``docker inspect`` of a container spacehost made (it has spacehost's labels).

    Returns:
        The container's state; ``host``/``port`` only while it is running or paused,
        ``exit_code`` only once it has exited.

    Raises:
        InvalidSpaceName: the ``spacehost.space`` label is not ``owner/name``.
    """
    labels: Mapping[str, str] = (attrs.get("Config") or {}).get("Labels") or {}
    state: Mapping[str, Any] = attrs.get("State") or {}
    status = str(state.get("Status", "dead"))
    host, port = _address(attrs, labels) if status in _REACHABLE else (None, None)
    return ContainerInfo(
        id=str(attrs["Id"]),
        name=str(attrs.get("Name", "")).lstrip("/"),
        space=SpaceId.parse(labels[LABEL_SPACE]),
        revision=labels.get(LABEL_REVISION, ""),
        status=status,
        host=host,
        port=port,
        exit_code=int(state.get("ExitCode", 0)) if status in _FINISHED else None,
        oom_killed=bool(state.get("OOMKilled")),
        started_at=_time(state.get("StartedAt")),
        finished_at=_time(state.get("FinishedAt")),
        gpu_ids=tuple(i for i in labels.get(LABEL_GPUS, "").split(",") if i),
    )


def _address(attrs: Mapping[str, Any], labels: Mapping[str, str]) -> tuple[str | None, int | None]:
    port = labels.get(LABEL_PORT)
    if not port:
        return None, None
    if (attrs.get("HostConfig") or {}).get("NetworkMode") == HOST_NETWORK:
        return LOOPBACK, int(port)
    ports = (attrs.get("NetworkSettings") or {}).get("Ports") or {}
    for binding in ports.get(f"{port}/tcp") or ():
        if binding.get("HostPort"):
            ip = binding.get("HostIp") or ""
            return (LOOPBACK if ip in _ANY_ADDRESS else ip), int(binding["HostPort"])
    return None, None


def _time(value: Any) -> str | None:
    if not value or str(value).startswith(_ZERO_TIME_PREFIX):
        return None
    return str(value)
