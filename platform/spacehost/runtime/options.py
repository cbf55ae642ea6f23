"""What a space container is created with: name, labels, environment, engine options. Pure."""

from __future__ import annotations

import re
import secrets
from typing import Any

from docker.types import LogConfig
from docker.types import Mount as DockerMount

from spacehost.domain import SpaceId
from spacehost.errors import SpacehostError
from spacehost.runtime.base import (
    CONTAINER_HOME,
    CONTAINER_USER,
    DATA_MOUNT,
    LABEL_MANAGED,
    LABEL_PORT,
    LABEL_REVISION,
    LABEL_ROLE,
    LABEL_SPACE,
    ContainerSpec,
)
from spacehost.runtime.gpu import GpuOptions

LOOPBACK = "127.0.0.1"
HOST_NETWORK = "host"
# Enough for a crash's traceback, without letting a chatty app fill the disk.
LOG_MAX_SIZE = "10m"
LOG_MAX_FILES = "2"

_UNSAFE_NAME_CHARS = re.compile(r"[^a-z0-9_.-]+")


def container_name(space: SpaceId, revision: str, suffix: str | None = None) -> str:
    """``spacehost-{space.slug}-{revision[:12]}-{suffix}``.

    Args:
        space: the space.
        revision: the revision id; characters Docker refuses in names are replaced by ``-``.
        suffix: 4 random hex characters when omitted, so that two containers of one revision
            (a restart while the old one is still removed) never clash.

    Returns:
        A valid Docker container name.
    """
    rev = _UNSAFE_NAME_CHARS.sub("-", revision[:12].lower()) or "norev"
    return f"spacehost-{space.slug}-{rev}-{suffix or secrets.token_hex(2)}"


def container_labels(spec: ContainerSpec, port: int) -> dict[str, str]:
    """The spec's extra labels plus spacehost's own, which always win.

    Args:
        spec: the container spec.
        port: the port the app listens on (the chosen host port with host networking).

    Returns:
        The labels to create the container with.
    """
    return {
        **spec.labels,
        LABEL_MANAGED: "true",
        LABEL_SPACE: str(spec.space),
        LABEL_REVISION: spec.revision,
        LABEL_ROLE: "app",
        LABEL_PORT: str(port),
    }


def merged_env(spec: ContainerSpec, gpu: GpuOptions, host_port: int | None) -> dict[str, str]:
    """The environment handed to the engine: the spec's ``env`` merged with ``HOME``, the
    GPU's variables and, with host networking, the app's port (the space's own contract
    variables are already in the spec: :func:`spacehost.lifecycle.contract.contract_env`).

    Args:
        spec: its ``env`` is the base; ``HOME`` is added when missing (the images have no
            passwd entry for uid 1000, so the engine would set ``HOME=/``).
        gpu: its variables win over the spec's, except ``LD_LIBRARY_PATH``, which is joined
            (GPU directories first) so that a space's own path keeps working.
        host_port: with host networking, the port chosen for the app: ``PORT`` and
            ``GRADIO_SERVER_PORT`` are set to it and Gradio binds to loopback only, since the
            app shares the host's network and must not be reachable from outside.

    Returns:
        The merged environment.
    """
    env = {"HOME": CONTAINER_HOME, **spec.env}
    for key, value in gpu.env.items():
        if key == "LD_LIBRARY_PATH" and env.get(key):
            env[key] = f"{value}:{env[key]}"
        else:
            env[key] = value
    if host_port is not None:
        env.update(
            {"PORT": str(host_port), "GRADIO_SERVER_PORT": str(host_port),
             "GRADIO_SERVER_NAME": LOOPBACK}
        )  # fmt: skip
    return env


def create_kwargs(
    spec: ContainerSpec,
    *,
    name: str,
    gpu: GpuOptions,
    network_mode: str,
    host_port: int | None = None,
) -> dict[str, Any]:
    """Keyword arguments for ``DockerClient.containers.create`` that run *spec*.

    Args:
        spec: the container spec.
        name: the container name (see :func:`container_name`).
        gpu: the GPU options (see :func:`spacehost.runtime.gpu.gpu_run_options`).
        network_mode: ``"host"`` (then *host_port* is required and nothing is published) or a
            bridge network (the spec's port is published on 127.0.0.1, random host port).
        host_port: the app's port with host networking.

    Returns:
        The keyword arguments.

    Raises:
        SpacehostError: host networking without a *host_port* (a caller bug).
    """
    host_net = network_mode == HOST_NETWORK
    if host_net and host_port is None:
        raise SpacehostError(
            "host networking needs a host port for the app", hint="this is a bug in spacehost"
        )
    port = host_port if host_net and host_port is not None else spec.port
    kwargs: dict[str, Any] = {
        "image": spec.image,
        "command": list(spec.command) if spec.command is not None else None,
        "name": name,
        "user": CONTAINER_USER,
        "working_dir": spec.workdir,
        "environment": merged_env(spec, gpu, host_port if host_net else None),
        "labels": container_labels(spec, port),
        "mem_limit": spec.memory_limit,
        # Equal to the memory limit: no swap, so a runaway app is OOM-killed, not slowed down.
        "memswap_limit": spec.memory_limit,
        "nano_cpus": int(spec.cpus * 1e9),
        # below the engine's default of 1024: among busy containers, spaces yield to others
        "cpu_shares": spec.cpu_shares,
        "pids_limit": spec.pids_limit,
        # tini as PID 1 forwards SIGTERM to the app and reaps zombies.
        "init": True,
        "restart_policy": {"Name": "no"},
        "security_opt": ["no-new-privileges"],
        "log_config": LogConfig(
            type=LogConfig.types.JSON, config={"max-size": LOG_MAX_SIZE, "max-file": LOG_MAX_FILES}
        ),
        "network_mode": network_mode,
        "mounts": _mounts(spec, gpu),
    }
    if not host_net:
        kwargs["ports"] = {f"{spec.port}/tcp": (LOOPBACK, None)}
    if gpu.devices:
        kwargs["devices"] = list(gpu.devices)
    if gpu.device_requests:
        kwargs["device_requests"] = list(gpu.device_requests)
    return kwargs


def _mounts(spec: ContainerSpec, gpu: GpuOptions) -> list[DockerMount]:
    mounts = [
        DockerMount(
            m.container_path,
            m.host_path,
            type="volume" if m.volume else "bind",
            read_only=m.read_only,
        )
        for m in (*spec.mounts, *gpu.mounts)
    ]
    if spec.data_volume:
        mounts.append(DockerMount(DATA_MOUNT, spec.data_volume, type="volume"))
    return mounts
