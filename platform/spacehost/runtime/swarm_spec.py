"""What a space's Swarm service is created with: name, labels, task template, endpoint. Pure.

One service per space revision, labelled as containers are (runtime/options.py), so reconcile
reads services exactly as it reads containers. The app's port is published in *host* mode on
the node the task lands on (docs/cluster.md, "The Swarm backend": why not the ingress mesh).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from spacehost.nodelabels import Label, constraints
from spacehost.runtime.base import (
    CONTAINER_USER,
    DATA_MOUNT,
    LABEL_INSTANCE,
    LABEL_ROLE,
    ContainerSpec,
)
from spacehost.runtime.gpu import GpuOptions
from spacehost.runtime.options import LOG_MAX_FILES, LOG_MAX_SIZE, container_labels, merged_env
from spacehost.runtime.swarm_replicas import replica_labels, spread_template

# The generic resource kind GPU nodes advertise (dockerd --node-generic-resource NVIDIA-GPU=...).
GPU_RESOURCE = "NVIDIA-GPU"
# Node label that pins a /data volume: spacehost.volume.<volume name>=true on the node holding it.
VOLUME_NODE_LABEL = "spacehost.volume."
STOP_GRACE_NS = 10 * 10**9
_MAX_NAME = 63
_UNSAFE = re.compile(r"[^a-z0-9-]+")


def service_name(container_name: str) -> str:
    """A valid Swarm service name (letters, digits, ``-``; at most 63) from a container name."""
    name = _UNSAFE.sub("-", container_name.lower()).strip("-")
    return name[-_MAX_NAME:].lstrip("-") or "spacehost-space"


def volume_label(volume: str) -> str:
    """The node label that says a node holds *volume*."""
    return f"{VOLUME_NODE_LABEL}{volume}"


def service_labels(spec: ContainerSpec) -> dict[str, str]:
    """The service's (and its containers') labels: the spec's plus spacehost's own; the port
    is the app's port inside its container (the published one is read from the task)."""
    return container_labels(spec, spec.port)


def resources(spec: ContainerSpec, gpus: int) -> dict[str, Any]:
    """Limits and, equal to them, reservations: the manager places a task only on a node that
    can give it its whole memory and CPU limit (and *gpus* of :data:`GPU_RESOURCE`)."""
    nano = int(spec.cpus * 1e9)
    limits: dict[str, Any] = {"NanoCPUs": nano, "MemoryBytes": spec.memory_limit}
    if spec.pids_limit:
        limits["Pids"] = spec.pids_limit
    reservations: dict[str, Any] = {"NanoCPUs": nano, "MemoryBytes": spec.memory_limit}
    if gpus:
        reservations["GenericResources"] = [
            {"DiscreteResourceSpec": {"Kind": GPU_RESOURCE, "Value": gpus}}
        ]
    return {"Limits": limits, "Reservations": reservations}


def _mounts(spec: ContainerSpec) -> list[dict[str, Any]]:
    found = [
        {"Type": "volume", "Source": m.host_path, "Target": m.container_path,
         "ReadOnly": m.read_only}
        for m in spec.mounts
        if m.volume
    ]  # fmt: skip
    if spec.data_volume:
        found.append({"Type": "volume", "Source": spec.data_volume, "Target": DATA_MOUNT})
    return found


def placement_constraints(
    node_id: str | None = None,
    avoid: tuple[str, ...] = (),
    require: tuple[str, ...] = (),
    labels: tuple[Label, ...] = (),
) -> list[str]:
    """Swarm placement constraints: the node *labels* from configuration (nodelabels.py: where
    spaces and jobs may run, always); then on *node_id* only, else on a node carrying every
    node label of *require* (``=true``: e.g. the nodes holding a space's hub volumes) and none
    of *avoid* (nodes found silent: swarm_silent.py)."""
    configured = constraints(labels)
    if node_id:
        return [*configured, f"node.id=={node_id}"]
    required = [f"node.labels.{label}==true" for label in require]
    return configured + required + [f"node.id!={n}" for n in avoid]


def avoiding(template: Mapping[str, Any], avoid: tuple[str, ...]) -> dict[str, Any] | None:
    """*template* (a service's ``TaskTemplate``) with its ``node.id!=`` constraints replaced
    by *avoid*'s, or None when that changes nothing or the template is pinned to one node
    (``node.id==``): what a wake updates before it scales up."""
    placement = dict(template.get("Placement") or {})
    constraints = [str(c) for c in placement.get("Constraints") or ()]
    if any(c.replace(" ", "").startswith("node.id==") for c in constraints):
        return None
    kept = [c for c in constraints if not c.replace(" ", "").startswith("node.id!=")]
    wanted = kept + [f"node.id!={n}" for n in avoid]
    if wanted == constraints:
        return None
    placement["Constraints"] = wanted
    return {**template, "Placement": placement}


def task_template(
    spec: ContainerSpec,
    image: str,
    *,
    gpus: int = 0,
    node_id: str | None = None,
    avoid: tuple[str, ...] = (),
    require: tuple[str, ...] = (),
    labels: tuple[Label, ...] = (),
) -> dict[str, Any]:
    """The service's ``TaskTemplate``.

    Args:
        spec: what to run; its ``command`` replaces the image's CMD (its ENTRYPOINT stays, as
            with the Docker backend), its env is merged as there (``HOME``).
        image: the reference nodes pull (``registry/name@sha256:...``).
        gpus: GPUs to reserve as generic resources.
        node_id: pin every task to this node (the one holding the space's ``/data``).
        avoid: place no task on these nodes (found silent before the manager noticed:
            swarm_silent.py); ignored with *node_id*.
        require: node labels every node it runs on carries (the hub volumes the space
            mounts: swarm_hubcache.py); ignored with *node_id*.
        labels: node labels from configuration every node it runs on carries
            (``SPACEHOST_SWARM_NODE_LABELS``, its flavor's: nodelabels.py), also with *node_id*.

    Returns:
        The task template, restart policy ``none``: the lifecycle restarts crashed apps
        itself, with its back-off, exactly as on one host.
    """
    container: dict[str, Any] = {
        "Image": image,
        "Env": [f"{k}={v}" for k, v in merged_env(spec, GpuOptions(), None).items()],
        "User": CONTAINER_USER,
        "Labels": service_labels(spec),
        "Mounts": _mounts(spec),
        "StopGracePeriod": STOP_GRACE_NS,
        "Init": True,
    }
    if spec.command is not None:
        container["Args"] = list(spec.command)
    if spec.workdir:
        container["Dir"] = spec.workdir
    template: dict[str, Any] = {
        "ContainerSpec": container,
        "Resources": resources(spec, gpus),
        "RestartPolicy": {"Condition": "none"},
        "LogDriver": {
            "Name": "json-file",
            "Options": {"max-size": LOG_MAX_SIZE, "max-file": LOG_MAX_FILES},
        },
    }
    placed = placement_constraints(node_id, avoid, require, labels)
    if placed:
        template["Placement"] = {"Constraints": placed}
    return template


def endpoint(port: int) -> dict[str, Any]:
    """The app's port published in host mode on a port the node picks."""
    return {"Ports": [{"Protocol": "tcp", "TargetPort": port, "PublishMode": "host"}]}


def create_args(
    spec: ContainerSpec,
    image: str,
    name: str,
    *,
    gpus: int = 0,
    node_id: str | None = None,
    avoid: tuple[str, ...] = (),
    require: tuple[str, ...] = (),
    node_labels: tuple[Label, ...] = (),
) -> dict[str, Any]:
    """Keyword arguments for ``APIClient.create_service`` that run *spec* as its replicas
    (one task, or ``spec.replicas`` spread over the nodes: swarm_replicas.py), on *node_id*
    only, or on nodes labelled with all of *require* and none of *avoid*; always on nodes
    carrying *node_labels* (nodelabels.py), as its helper jobs (:func:`prep_args`,
    :func:`task_args`)."""
    template = task_template(spec, image, gpus=gpus, node_id=node_id, avoid=avoid,
                             require=require, labels=node_labels)  # fmt: skip
    return {
        "task_template": spread_template(template, spec),
        "name": name,
        "labels": {**service_labels(spec), **replica_labels(spec)},
        "mode": {"Replicated": {"Replicas": max(1, spec.replicas)}},
        "endpoint_spec": endpoint(spec.port),
    }


def prep_args(
    spec: ContainerSpec,
    image: str,
    name: str,
    *,
    node_id: str,
    node_labels: tuple[Label, ...] = (),
) -> dict[str, Any]:
    """A one-shot job, as root, that makes the space's new ``/data`` volume on *node_id* (the
    node the space will be pinned to: swarm_room.py picks it) and gives it to the app's user.
    It reserves nothing (:func:`unreserved`)."""
    template = unreserved(task_template(spec, image, node_id=node_id, labels=node_labels))
    container = template["ContainerSpec"]
    container.update({"User": "0:0", "Command": ["chown", CONTAINER_USER, DATA_MOUNT], "Args": []})
    container.pop("Dir", None)
    labels = {k: v for k, v in service_labels(spec).items() if k == LABEL_INSTANCE}
    labels[LABEL_ROLE] = "helper"
    container["Labels"] = labels
    return {
        "task_template": template,
        "name": name,
        "labels": labels,
        "mode": {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}},
    }


def unreserved(template: dict[str, Any]) -> dict[str, Any]:
    """*template* with its limits but no reservations: a one-shot helper job pinned to its
    node. On Docker 20.10 a removed ``ReplicatedJob``'s ended task stays in the manager's
    store and its reservations count against its node for good (docs/cluster.md "Two Docker
    20.10 bugs"): a helper that reserved the space's CPU and memory left them counted."""
    limits = (template.get("Resources") or {}).get("Limits")
    template["Resources"] = {"Limits": limits} if limits else {}
    return template


def task_args(
    spec: ContainerSpec,
    image: str,
    name: str,
    labels: Mapping[str, str],
    *,
    node_id: str,
    node_labels: tuple[Label, ...] = (),
) -> dict[str, Any]:
    """A one-shot job that runs *spec*'s command on *node_id* in the space's image, as the app's
    user with its environment and volumes (its hub repos read-only, the caches it writes) but
    no ``/data``, no published port and no GPU: e.g. preparing the space's hub datasets where
    it will run (the Docker backend's ``run_task``, on a node). Labelled *labels* (a helper's:
    reconcile never takes it for a space); *node_labels* as the space's (nodelabels.py). It
    reserves nothing (:func:`unreserved`)."""
    template = unreserved(task_template(replace(spec, data_volume=None), image,
                                        node_id=node_id, labels=node_labels))  # fmt: skip
    template["ContainerSpec"]["Labels"] = dict(labels)
    return {
        "task_template": template,
        "name": name,
        "labels": dict(labels),
        "mode": {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}},
    }


def gpu_count(node: Mapping[str, Any]) -> int:
    """How many :data:`GPU_RESOURCE` a node advertises (``docker node inspect``)."""
    resources_ = (node.get("Description") or {}).get("Resources") or {}
    total = 0
    for res in resources_.get("GenericResources") or ():
        discrete = res.get("DiscreteResourceSpec") or {}
        named = res.get("NamedResourceSpec") or {}
        if discrete.get("Kind") == GPU_RESOURCE:
            total += int(discrete.get("Value", 0))
        elif named.get("Kind") == GPU_RESOURCE:
            total += 1
    return total
