"""Which runtime backend a platform runs spaces on (``SPACEHOST_RUNTIME``, docs/cluster.md).

``docker`` (the default): containers on the build engine itself. ``swarm``: services on the
Swarm whose manager answers at ``SPACEHOST_SWARM_URL``; images are still built on the build
engine (the runtime images live there) and reach the nodes through ``SPACEHOST_REGISTRY``.
"""

from __future__ import annotations

from pathlib import Path

from docker import DockerClient

from spacehost.builder import DockerBuilder
from spacehost.dockerengine import connect, probe
from spacehost.runtime import DockerBackend, GpuHost
from spacehost.runtime.base import RuntimeBackend
from spacehost.runtime.host_node import HostNode
from spacehost.runtime.imagepush import ImagePusher
from spacehost.runtime.isolation import Isolation
from spacehost.runtime.nodes import NodeSource
from spacehost.runtime.storage import disk_limits
from spacehost.runtime.swarm_backend import SwarmBackend
from spacehost.runtime.swarm_hubcache import SwarmHubCache
from spacehost.runtime.swarm_nodes import SwarmNodes
from spacehost.runtime.swarm_shared_data import SharedData, check_shared_dir
from spacehost.settings import Settings


def docker_backend(settings: Settings, client: DockerClient, gpu_host: GpuHost) -> DockerBackend:
    """The build engine's backend: it runs the spaces with ``SPACEHOST_RUNTIME=docker`` and
    short tasks (and jobs) either way."""
    return DockerBackend(
        client,
        gpu_host=gpu_host,
        network_mode=settings.network_mode,
        gpu_fallback=settings.gpu_fallback,
        instance=settings.instance,
        disk_limits=disk_limits(settings.data_dir, settings.space_disk, settings.data_disk),
        isolation=Isolation(egress=settings.space_egress, firewall=settings.space_firewall),
    )


def swarm_backend(settings: Settings, client: DockerClient, local: DockerBackend) -> SwarmBackend:
    """The Swarm backend over the manager at ``SPACEHOST_SWARM_URL``.

    Raises:
        EngineUnavailable: the manager does not answer.
    """
    manager = connect(settings.with_(docker_url=settings.swarm_url))
    pusher = ImagePusher(client, settings.push_registry, settings.pull_registry)
    builder = DockerBuilder(client, settings)

    def fill_image() -> str:  # the platform's own gradio runtime image (python3, no space code)
        return builder.ensure_runtime(on_log=lambda _line: None)

    hub = SwarmHubCache(manager.api, settings.swarm_hub_url or settings.base_url, fill_image)
    return SwarmBackend(
        manager,
        local,
        pusher,
        instance=settings.instance,
        gpu_fallback=settings.gpu_fallback,
        hub=hub,
        data=settings.swarm_data,
        shared=shared_data(settings),
        manager_url=settings.swarm_url,
        node_labels=settings.node_labels,
    )


def shared_data(settings: Settings) -> SharedData | None:
    """The spaces' /data folders with ``SPACEHOST_SWARM_DATA=shared``, the folder checked now
    (the platform does not start without it).

    Raises:
        InvalidRequest: SPACEHOST_SWARM_SHARED_DIR is missing here or not writable.
    """
    if settings.runtime != "swarm" or settings.swarm_data != "shared":
        return None
    root = Path(settings.swarm_shared_dir)
    check_shared_dir(root)
    return SharedData(root, settings.instance)


def runtime_backend(
    settings: Settings, client: DockerClient, local: DockerBackend
) -> RuntimeBackend:
    """The backend *settings* choose; *local* is the build engine's."""
    if settings.runtime == "swarm":
        return swarm_backend(settings, client, local)
    return local


def engines_probe(settings: Settings, client: DockerClient) -> None:
    """Raises EngineUnavailable unless the engines spaces need answer: the build engine,
    and the Swarm manager with ``SPACEHOST_RUNTIME=swarm``."""
    probe(client)
    if settings.runtime == "swarm":
        manager = connect(settings.with_(docker_url=settings.swarm_url), timeout=10)
        manager.close()


def node_source(settings: Settings, runtime: RuntimeBackend) -> NodeSource:
    """The nodes spaces run on (``GET /api/nodes``): the Swarm's, or this machine alone.

    Raises:
        EngineUnavailable: the engine (or the manager) does not answer.
    """
    if settings.runtime == "swarm":
        manager = connect(settings.with_(docker_url=settings.swarm_url))
        return SwarmNodes(manager, settings.instance, manager_url=settings.swarm_url)
    return HostNode(runtime, connect(settings), settings.instance)
