"""SwarmBackend against a real swarm of Docker Engines in network namespaces
(tests/support/swarm_cluster.py) and a registry: the tiny test image is built on the machine's
own engine, pushed, pulled by digest on a node and served at the node's address."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from docker import DockerClient

from spacehost.domain import GpuRequest
from spacehost.errors import Conflict, HardwareUnavailable, NotSupported
from spacehost.nodelabels import NodeLabels
from spacehost.runtime.base import Mount
from spacehost.runtime.docker_backend import DockerBackend
from spacehost.runtime.gpu import GpuHost
from spacehost.runtime.imagepush import ImagePusher
from spacehost.runtime.swarm_backend import SwarmBackend
from spacehost.runtime.swarm_spec import volume_label
from tests.support.docker_runtime import RUN_ID, http_status, make_spec, sh, space
from tests.support.polling import wait_for
from tests.support.swarm_cluster import SwarmCluster
from tests.support.swarm_reservations import reserving_helpers

pytestmark = [pytest.mark.docker, pytest.mark.swarm]

INSTANCE = f"swarmtest-{RUN_ID}"
SMALL = {"memory_limit": 128 << 20, "cpus": 0.25, "pids_limit": 64}


def make_backend(
    client: DockerClient,
    manager: DockerClient,
    cluster: SwarmCluster,
    node_labels: NodeLabels | None = None,
) -> SwarmBackend:
    local = DockerBackend(client, gpu_host=GpuHost())
    pusher = ImagePusher(client, cluster.registry_push, cluster.registry_pull)
    return SwarmBackend(manager, local, pusher, instance=INSTANCE, node_labels=node_labels)


@pytest.fixture
def backend(
    client: DockerClient, image: str, manager: DockerClient, swarm_cluster: SwarmCluster
) -> Iterator[SwarmBackend]:
    made = make_backend(client, manager, swarm_cluster)
    yield made
    for service in manager.api.services(filters={"label": f"spacehost.instance={INSTANCE}"}):
        manager.api.remove_service(service["ID"])


def test_a_service_is_served_at_its_node_sleeps_wakes_and_is_found_again(
    backend: SwarmBackend, client: DockerClient, manager: DockerClient, swarm_cluster: SwarmCluster
) -> None:
    cluster = swarm_cluster
    info = backend.start(make_spec(**SMALL))
    assert (info.status, info.space, info.revision) == ("running", space(), "0123456789abcdef")
    assert info.host in cluster.node_addrs and info.port is not None
    assert wait_for(lambda: http_status(info.host or "", info.port or 0) == 200, what="HTTP 200")
    task = manager.api.tasks(filters={"service": info.id})[0]
    assert "@sha256:" in task["Spec"]["ContainerSpec"]["Image"]
    assert task["Spec"]["ContainerSpec"]["Image"].startswith(cluster.registry_pull)
    assert wait_for(lambda: any("GET /" in ln for ln in backend.logs(info.id)), what="a log line")

    backend.stop(info.id)
    stopped = backend.inspect(info.id)
    assert stopped is not None and (stopped.status, stopped.host) == ("exited", None)
    woken = backend.start_existing(info.id)
    assert woken.status == "running" and woken.host in cluster.node_addrs
    assert wait_for(lambda: http_status(woken.host or "", woken.port or 0) == 200, what="200")

    # a manager restart: a new backend object finds the service by its labels alone
    again = make_backend(client, manager, cluster)
    found = again.list_managed(space())
    assert [(f.id, f.status, f.host, f.port) for f in found] == [
        (info.id, "running", woken.host, woken.port)
    ]
    again.remove(info.id)
    assert again.inspect(info.id) is None
    again.remove(info.id)  # already gone: no error


def test_follow_logs_ends_when_the_service_is_scaled_to_zero(backend: SwarmBackend) -> None:
    info = backend.start(make_spec(sh("echo first; exec python3 -m http.server 7860"), **SMALL))
    lines = backend.follow_logs(info.id)
    assert wait_for(lambda: next(lines) == "first", what="the first line")
    backend.stop(info.id)
    rest = list(lines)  # ends by itself once the task stopped
    assert "first" not in rest


def test_data_volume_is_writable_and_pins_the_space_to_its_node(
    backend: SwarmBackend, manager: DockerClient
) -> None:
    """Its /data job reserves nothing (regression: it reserved the space's CPU and memory so
    that the manager placed it, and on Docker 20.10 its ended task kept them counted on the
    node for good)."""
    volume = f"rttest-{RUN_ID}-swarmdata"
    script = "echo kept >> /data/runs && exec python3 -m http.server 7860"
    info = backend.start(make_spec(sh(script), data_volume=volume, **SMALL))
    try:
        assert info.status == "running"
        assert reserving_helpers(manager, INSTANCE) == []
        held = manager.api.nodes(filters={"node.label": f"{volume_label(volume)}=true"})
        assert len(held) == 1
        task = manager.api.tasks(filters={"service": info.id})[0]
        assert task["NodeID"] == held[0]["ID"]
        constraints = task["Spec"]["Placement"]["Constraints"]
        assert constraints == [f"node.id=={held[0]['ID']}"]
        assert wait_for(lambda: http_status(info.host or "", info.port or 0) == 200, what="200")
    finally:
        backend.remove(info.id)
        backend.remove_volume(volume)
    assert manager.api.nodes(filters={"node.label": f"{volume_label(volume)}=true"}) == []


def test_a_gpu_space_is_refused_when_no_node_has_a_gpu(
    backend: SwarmBackend, manager: DockerClient
) -> None:
    with pytest.raises(HardwareUnavailable, match="no node of the swarm advertises"):
        backend.start(make_spec(gpu=GpuRequest(count=1), **SMALL))
    assert backend.list_managed(space()) == []


def test_host_folders_are_refused_with_what_to_do(backend: SwarmBackend) -> None:
    mount = Mount("/srv/models", "/home/user/.cache/huggingface")
    with pytest.raises(NotSupported, match="host folders") as caught:
        backend.start(make_spec(mounts=(mount,), **SMALL))
    assert "SPACEHOST_RUNTIME=docker" in caught.value.hint


def test_pause_scales_to_zero_and_unpause_is_refused_so_the_space_is_started_again(
    backend: SwarmBackend,
) -> None:
    info = backend.start(make_spec(**SMALL))
    backend.pause(info.id)
    asleep = backend.inspect(info.id)
    assert asleep is not None and (asleep.status, asleep.host) == ("exited", None)
    with pytest.raises(Conflict, match="scaled to zero"):
        backend.unpause(info.id)
    woken = backend.start_existing(info.id)
    assert wait_for(lambda: http_status(woken.host or "", woken.port or 0) == 200, what="200")


def test_a_wake_starts_a_task_when_the_service_wants_one_but_has_none(
    backend: SwarmBackend, manager: DockerClient, swarm_cluster: SwarmCluster
) -> None:
    """Swarm stopped the task and made none in its place (restart policy ``none``: its
    container died, its node was lost and came back, or a new control plane adopted it):
    the service still asks for its one replica, so scaling to one changes nothing."""
    info = backend.start(make_spec(**SMALL))
    task = manager.api.tasks(filters={"service": info.id})[0]
    node = next(
        n for n in range(len(swarm_cluster.nodes)) if swarm_cluster.node_id(n) == task["NodeID"]
    )
    container = task["Status"]["ContainerStatus"]["ContainerID"]
    with contextlib.closing(swarm_cluster.client(node)) as on_node:
        on_node.api.kill(container)
    assert wait_for(
        lambda: (backend.inspect(info.id) or info).status != "running", what="the task stopped"
    )
    woken = backend.start_existing(info.id)
    assert woken.status == "running" and woken.host in swarm_cluster.node_addrs
    assert wait_for(lambda: http_status(woken.host or "", woken.port or 0) == 200, what="200")


def set_node_label(manager: DockerClient, node_id: str, key: str, value: str | None) -> None:
    """``docker node update --label-add key=value`` (``--label-rm key`` with None)."""
    node = manager.api.inspect_node(node_id)
    spec = dict(node["Spec"])
    labels = {k: v for k, v in (spec.get("Labels") or {}).items() if k != key}
    spec["Labels"] = labels if value is None else {**labels, key: value}
    manager.api.update_node(node_id, node["Version"]["Index"], spec)


def test_node_labels_from_configuration_place_a_space_on_the_labelled_worker_only(
    backend: SwarmBackend, client: DockerClient, manager: DockerClient, swarm_cluster: SwarmCluster
) -> None:
    worker = swarm_cluster.node_id(2)
    key = f"zone-{RUN_ID}"  # no other test's node carries it
    set_node_label(manager, worker, key, "eu")
    try:
        labelled = make_backend(client, manager, swarm_cluster, NodeLabels(((key, "eu"),)))
        info = labelled.start(make_spec(**SMALL))
        assert info.status == "running" and info.host == swarm_cluster.node_addrs[2]
        task = manager.api.tasks(filters={"service": info.id})[0]
        assert task["NodeID"] == worker
        assert f"node.labels.{key}==eu" in task["Spec"]["Placement"]["Constraints"]
        labelled.remove(info.id)

        nowhere = make_backend(client, manager, swarm_cluster, NodeLabels(((key, "us"),)))
        with pytest.raises(HardwareUnavailable) as caught:
            nowhere.start(make_spec(**SMALL))
        assert f"no ready node of the swarm carries {key}=us" in caught.value.message
        assert f"docker node update --label-add {key}=us NODE" in caught.value.hint
        assert nowhere.list_managed(space()) == []  # the unschedulable service is gone
    finally:
        set_node_label(manager, worker, key, None)
