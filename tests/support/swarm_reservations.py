"""What tasks on a live Swarm reserve of their node: on Docker 20.10 the ended task of a removed
``ReplicatedJob`` stays in the manager's store and the constraint enforcer counts its
reservations for good (docs/cluster.md "Two Docker 20.10 bugs"), so the platform's one-shot
jobs and helpers must leave none."""

from __future__ import annotations

from typing import Any

from docker import DockerClient


def reserved(task: dict[str, Any]) -> dict[str, Any]:
    """What a task reserves of its node (CPU, memory, generic resources)."""
    found = ((task.get("Spec") or {}).get("Resources") or {}).get("Reservations") or {}
    return {k: v for k, v in found.items() if v}


def reserving_helpers(manager: DockerClient, instance: str) -> list[dict[str, Any]]:
    """The tasks of *instance*'s helper jobs (``/data`` preparation, hub fills, datasets
    preparation) that reserve anything, their services removed or not."""
    found = []
    for task in manager.api.tasks():
        labels = ((task.get("Spec") or {}).get("ContainerSpec") or {}).get("Labels") or {}
        mine = labels.get("spacehost.instance") == instance
        if mine and labels.get("spacehost.role") == "helper" and reserved(task):
            found.append(task)
    return found
