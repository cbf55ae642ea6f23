"""A space with ``spacehost_replicas: 3`` on a live three-node swarm
(tests/support/swarm_cluster.py): its service runs a task on every node, the router spreads
gradio_client sessions over them and keeps each on its replica (``gr.State`` counts on, one
hostname answers); a replica killed under load fails only its own sessions, the Swarm replaces
it and the router gets the new endpoint (docs/cluster.md, "Replicas")."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from docker import DockerClient
from gradio_client import Client

from spacehost.routetable import RouteEntry, parse_routes
from spacehost.settings import Settings
from tests.e2e.conftest import Running, remove_containers, start_platform, stop_platform
from tests.support.polling import wait_for
from tests.support.ports import free_port
from tests.support.replica_space import write_replica_space
from tests.support.swarm_cluster import SwarmCluster

pytestmark = [pytest.mark.docker, pytest.mark.swarm]
SPACE = "e2e/swarm-replicas"
CALL_TIMEOUT_S = 30
SESSIONS = 9
Answers = list[tuple[str, int] | Exception]  # per call: (hostname, count) or what failed


@pytest.fixture(scope="module")
def replicated(
    swarm_cluster: SwarmCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    data = tmp_path_factory.mktemp("swarmrep")
    env = swarm_cluster.platform_env()
    proc, running = start_platform(data, free_port(), extra_env=env)
    try:
        src = write_replica_space(tmp_path_factory.mktemp("src") / "space", 3)
        running.cli("push", str(src), "--name", SPACE, check=True)
        wait_for(lambda: len(route(running).replicas) == 3, timeout=300, what="3 replicas routed")
        yield running
    finally:
        running.cli("rm", "--yes", SPACE)
        stop_platform(proc, running, "swarm-replicas")
        remove_containers(data)


def route(running: Running) -> RouteEntry:
    text = Settings(data_dir=running.data_dir).routes_file.read_text()
    (found,) = [r for r in parse_routes(text) if r.space == SPACE]
    return found


def running_tasks(cluster: SwarmCluster, running: Running) -> list[dict[str, Any]]:
    manager = DockerClient(base_url=cluster.manager_url)
    try:
        instance = Settings(data_dir=running.data_dir).instance
        (service,) = manager.api.services(
            filters={"label": [f"spacehost.instance={instance}", "spacehost.role=app"]}
        )
        tasks: list[dict[str, Any]] = manager.api.tasks(filters={"service": service["ID"]})
    finally:
        manager.close()
    return [t for t in tasks if t["Status"]["State"] == "running"]


def call(client: Client, pause: float) -> tuple[str, int] | Exception:
    """One call: the answering replica's hostname and the session's call count."""
    try:
        answer = client.submit(pause, api_name="/step").result(CALL_TIMEOUT_S)
    except Exception as exc:  # a failed call is what the test counts
        return exc
    host, count = str(answer).split(":")
    return host, int(count)


def session(url: str, calls: int, pause: float, downloads: Path) -> Answers:
    client = Client(url, verbose=False, download_files=str(downloads / uuid.uuid4().hex))
    try:
        return [call(client, pause) for _ in range(calls)]
    finally:
        client.close()


def one_host(answers: Answers) -> str:
    """The one replica that answered every call of a session, its ``gr.State`` kept."""
    assert all(isinstance(a, tuple) for a in answers), answers
    got = [a for a in answers if isinstance(a, tuple)]
    assert [count for _, count in got] == list(range(1, len(got) + 1)), answers
    hosts = {host for host, _ in got}
    assert len(hosts) == 1, answers
    return hosts.pop()


def test_tasks_on_every_node_and_sessions_spread_and_sticky(
    replicated: Running, swarm_cluster: SwarmCluster, tmp_path: Path
) -> None:
    tasks = running_tasks(swarm_cluster, replicated)
    assert {t["NodeID"] for t in tasks} == {swarm_cluster.node_id(i) for i in range(3)}
    url = replicated.space_url(SPACE, "path")
    with ThreadPoolExecutor(SESSIONS) as pool:
        runs = list(pool.map(lambda _: session(url, 4, 0.2, tmp_path), range(SESSIONS)))
    hosts = [one_host(answers) for answers in runs]
    assert len(set(hosts)) == 3, hosts  # spread over the three replicas
    assert min(hosts.count(h) for h in set(hosts)) >= 2, hosts


def test_a_killed_replica_fails_only_its_sessions_and_is_replaced(
    replicated: Running, swarm_cluster: SwarmCluster, tmp_path: Path
) -> None:
    url = replicated.space_url(SPACE, "path")
    before = set(route(replicated).replicas)
    clients = [Client(url, verbose=False, download_files=str(tmp_path / f"c{i}"))
               for i in range(SESSIONS)]  # fmt: skip
    first = [call(c, 0) for c in clients]
    hosts = [one_host([a]) for a in first]
    victim = hosts[0]
    rest: list[Answers] = [[] for _ in clients]

    def go_on(i: int) -> None:
        try:
            for _ in range(6):
                rest[i].append(call(clients[i], 0.5))
        finally:
            clients[i].close()

    with ThreadPoolExecutor(SESSIONS) as pool:
        loads = [pool.submit(go_on, i) for i in range(SESSIONS)]
        wait_for(lambda: all(rest), timeout=CALL_TIMEOUT_S, what="a call of each session")
        kill_container(swarm_cluster, victim)
        for load in loads:
            load.result()
    on_victim = [h == victim for h in hosts]
    failed = [any(isinstance(a, Exception) for a in answers) for answers in rest]
    print(f"sessions on the killed replica: {on_victim.count(True)}, failed: {failed.count(True)}")
    assert failed == on_victim, rest  # exactly the sessions on the killed replica failed
    for host, answers in zip(hosts, rest, strict=True):
        if host != victim:
            assert one_host([(host, 1), *answers]) == host

    # the Swarm replaces the task; the router is given the new endpoint
    wait_for(
        lambda: len(route(replicated).replicas) == 3 and set(route(replicated).replicas) != before,
        timeout=120,
        what="the replacement replica routed",
    )
    with ThreadPoolExecutor(6) as pool:
        after = list(pool.map(lambda _: session(url, 2, 0.0, tmp_path), range(6)))
    new_hosts = {one_host(answers) for answers in after}
    assert victim not in new_hosts and len(new_hosts) == 3, new_hosts


def kill_container(cluster: SwarmCluster, hostname: str) -> None:
    """``docker kill`` the task container whose hostname (its short id) is *hostname*, on
    whichever node runs it."""
    for i in range(len(cluster.node_addrs)):
        node = cluster.client(i)
        try:
            for container in node.containers.list():
                if container.id.startswith(hostname):
                    container.kill()
                    return
        finally:
            node.close()
    raise AssertionError(f"no node runs container {hostname}")
