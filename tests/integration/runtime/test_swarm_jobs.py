"""Jobs as one-shot Swarm services (runtime/swarm_jobs.py, SPACEHOST_SWARM_JOBS=swarm) on the
live test cluster: a job on a worker reaches the platform's address and port (where its
HF_ENDPOINT points) and nothing else — not a space on its node (published port, container
address, the bridge's gateway), not a node (gossip, cluster management), not the cluster
registry, not the outside — with the node set-up of docs/cluster.md (the fence's
``docker_gwbridge`` rules, runtime/swarm_node_fence.py). Its output is followed through the
manager, its end is its task's exit code, and cancel removes its service and network.

Measured on the prototype before the ``docker_gwbridge`` rules: the same job opened the nodes'
gossip ports, the manager's 2377 and the registry."""

from __future__ import annotations

import contextlib
import http.server
import json
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from docker import DockerClient
from docker.errors import NotFound

from spacehost.errors import HardwareUnavailable
from spacehost.runtime.docker_backend import DockerBackend
from spacehost.runtime.gpu import GpuHost
from spacehost.runtime.imagepush import ImagePusher
from spacehost.runtime.jobcontainers import DockerJobContainers, JobContainerSpec
from spacehost.runtime.swarm_jobs import SwarmJobContainers, job_service_name
from tests.support.docker_runtime import RUN_ID
from tests.support.polling import wait_for
from tests.support.swarm_cluster import SwarmCluster
from tests.support.swarm_network import HOST_ADDR
from tests.support.swarm_reservations import reserved

pytestmark = [pytest.mark.docker, pytest.mark.swarm]

INSTANCE = f"swarmjobs-{RUN_ID}"
SPACE_NODE = 1
# GETs argv[1] (the platform), then tries a TCP connection to each HOST:PORT after it; prints
# one JSON line: the platform's answer and each connect's error number (0: it opened)
PROBE = r"""
import json, socket, sys, urllib.request
out = {}
try:
    out["platform"] = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode()
except Exception as exc:
    out["platform"] = repr(exc)
for target in sys.argv[2:]:
    host, port = target.rsplit(":", 1)
    s = socket.socket()
    s.settimeout(3)
    out[target] = s.connect_ex((host, int(port)))
print("PROBE " + json.dumps(out), flush=True)
sys.exit(3)
"""


class _Platform(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"the platform"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def platform_port(swarm_cluster: SwarmCluster) -> Iterator[int]:
    """A stand-in for the router on every address of the host; the nodes admit jobs to it."""
    server = http.server.ThreadingHTTPServer(("0.0.0.0", 0), _Platform)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = int(server.server_address[1])
    swarm_cluster.admit_jobs(port)
    yield port
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def jobs(
    client: DockerClient, swarm_cluster: SwarmCluster, platform_port: int
) -> Iterator[SwarmJobContainers]:
    manager = DockerClient(base_url=swarm_cluster.manager_url)
    local = DockerBackend(client, gpu_host=GpuHost())
    pusher = ImagePusher(client, swarm_cluster.registry_push, swarm_cluster.registry_pull)
    engine = DockerJobContainers(client, local, INSTANCE, None, "")
    yield SwarmJobContainers(
        manager.api, engine, pusher, INSTANCE, f"http://{HOST_ADDR}:{platform_port}"
    )
    for service in manager.api.services(filters={"label": f"spacehost.instance={INSTANCE}"}):
        manager.api.remove_service(service["ID"])
    manager.close()


@pytest.fixture(scope="module")
def space(image: str, swarm_cluster: SwarmCluster) -> Iterator[dict[str, str]]:
    """A space-like service on worker SPACE_NODE's fenced default bridge, its port published in
    host mode: its node address and port, its container's address."""
    pusher = ImagePusher(DockerClient.from_env(), swarm_cluster.registry_push,
                         swarm_cluster.registry_pull)  # fmt: skip
    ref = pusher.pull_reference(image)
    with contextlib.closing(swarm_cluster.client(0)) as manager:
        service = manager.api.create_service(
            {
                "ContainerSpec": {"Image": ref, "Args": ["python3", "-m", "http.server", "7860"],
                                  "Labels": {"spacehost.instance": INSTANCE}},
                "Placement": {"Constraints": [f"node.id=={swarm_cluster.node_id(SPACE_NODE)}"]},
            },
            name=f"swarmjobs-space-{RUN_ID}",
            labels={"spacehost.instance": INSTANCE},
            endpoint_spec={"Ports": [{"Protocol": "tcp", "TargetPort": 7860,
                                      "PublishMode": "host"}]},
        )  # fmt: skip

        def running() -> dict[str, Any] | None:
            tasks = manager.api.tasks(filters={"service": service["ID"]})
            return next((t for t in tasks if t["Status"]["State"] == "running"), None)

        task = wait_for(running, 120, 0.3, what="the space's task to run")
    assert task is not None
    port = task["Status"]["PortStatus"]["Ports"][0]["PublishedPort"]
    with contextlib.closing(swarm_cluster.client(SPACE_NODE)) as node:
        cid = task["Status"]["ContainerStatus"]["ContainerID"]
        networks = node.api.inspect_container(cid)["NetworkSettings"]["Networks"]
    yield {
        "published": f"{swarm_cluster.node_addrs[SPACE_NODE]}:{port}",
        "container": f"{networks['bridge']['IPAddress']}:7860",
        "gateway": f"{networks['bridge']['Gateway']}:{port}",
    }


@contextlib.contextmanager
def only_node(cluster: SwarmCluster, index: int) -> Iterator[None]:
    """Every other node drained meanwhile (as it was found afterwards), so a job lands on
    node *index*, beside the space."""
    states = cluster.node_states()
    others = [i for i in range(len(cluster.node_addrs)) if i != index]
    was = {i: states[cluster.nodes[i].name][1] for i in others}
    for i in others:
        cluster.drain(i)
    try:
        yield
    finally:
        for i in others:
            if was[i] == "active":
                cluster.activate(i)


def outside_address() -> str:
    """The machine's own address beyond the cluster's bridge."""
    route = subprocess.run(["ip", "-4", "route", "get", "1.1.1.1"], capture_output=True,
                           text=True, check=True).stdout  # fmt: skip
    return route.split(" src ")[1].split()[0]


def spec(job_id: str, image: str, argv: list[str], endpoint: str) -> JobContainerSpec:
    return JobContainerSpec(job_id, image, tuple(argv), {"HF_ENDPOINT": endpoint}, 0.2, 96 << 20)


def test_a_job_on_a_worker_reaches_the_platform_and_nothing_else(
    jobs: SwarmJobContainers, space: dict[str, str], swarm_cluster: SwarmCluster, image: str
) -> None:
    addrs = swarm_cluster.node_addrs
    forbidden = [
        space["published"], space["container"], space["gateway"],
        *(f"{a}:7946" for a in addrs), f"{addrs[0]}:2377",
        swarm_cluster.registry_pull, f"{outside_address()}:22",
    ]  # fmt: skip
    job_id = f"probe{RUN_ID}"
    argv = ["python3", "-I", "-c", PROBE, jobs.endpoint() + "/", *forbidden]
    with only_node(swarm_cluster, SPACE_NODE):
        sid = jobs.start(spec(job_id, image, argv, jobs.endpoint()))
        lines = list(jobs.follow_logs(sid))
    state = jobs.state(sid)
    jobs.remove(sid)

    probe = next(json.loads(ln.split("PROBE ", 1)[1]) for ln in lines if "PROBE " in ln)
    assert probe.pop("platform") == "the platform"
    assert {t: code for t, code in probe.items() if code == 0} == {}
    assert state is not None and (state.running, state.exit_code) == (False, 3)
    assert jobs.state(sid) is None
    wait_for(lambda: not network_exists(swarm_cluster, job_id), 30, 0.3, what="its network gone")


def test_cancel_stops_the_running_job_and_removes_its_service_and_network(
    jobs: SwarmJobContainers, swarm_cluster: SwarmCluster, image: str
) -> None:
    """Regression: on Docker 20.10 removing a ``ReplicatedJob`` service leaves its task running
    on its node (its container ran on after cancel)."""
    job_id = f"cancel{RUN_ID}"
    sid = jobs.start(spec(job_id, image, ["sleep", "300"], jobs.endpoint()))
    with contextlib.closing(swarm_cluster.client(0)) as manager:
        wait_for(lambda: task_state(manager, sid) == "running", 120, 0.3,
                 what="the job's task to run")  # fmt: skip
        node = manager.api.tasks(filters={"service": sid})[0]["NodeID"]
    assert [s.job_id for s in jobs.list_jobs()] == [job_id]

    jobs.stop(sid)
    jobs.remove(sid)

    assert jobs.state(sid) is None and jobs.list_jobs() == []
    index = next(i for i in range(len(swarm_cluster.node_addrs))
                 if swarm_cluster.node_id(i) == node)  # fmt: skip
    with contextlib.closing(swarm_cluster.client(index)) as on_node:
        wait_for(lambda: on_node.api.containers(filters={"label": f"spacehost.job={job_id}"})
                 == [], 30, 0.3, what="the job's container on its node stopped")  # fmt: skip
    wait_for(lambda: not network_exists(swarm_cluster, job_id), 30, 0.3, what="its network gone")


def network_exists(cluster: SwarmCluster, job_id: str) -> bool:
    with contextlib.closing(cluster.client(0)) as manager:
        try:
            manager.api.inspect_network(job_service_name(job_id))
        except NotFound:
            return False
    return True


def test_back_to_back_jobs_on_one_node_both_run_and_leave_nothing_reserved(
    jobs: SwarmJobContainers, swarm_cluster: SwarmCluster, image: str
) -> None:
    """Regression: on Docker 20.10 the task of a removed ``ReplicatedJob`` service stays in the
    manager's store (desired state ``complete``) and the constraint enforcer counts its
    reservations against its node at every node update: a job submitted right after another
    one on that node was rejected ("assigned node no longer meets constraints")."""
    node = JOB_NODE
    with contextlib.closing(swarm_cluster.client(0)) as manager:
        node_id = swarm_cluster.node_id(node)
        whole = manager.api.inspect_node(node_id)["Description"]["Resources"]["NanoCPUs"] / 1e9

        def job(name: str, argv: list[str]) -> JobContainerSpec:
            return JobContainerSpec(f"{name}{RUN_ID}", image, tuple(argv), {}, whole, 96 << 20)

        with only_node(swarm_cluster, node):
            first = jobs.start(job("first", ["true"]))
            assert list(jobs.follow_logs(first)) == []
            jobs.remove(first)
            second = jobs.start(job("second", ["sh", "-c", "sleep 2; echo second ran"]))
            wait_for(lambda: task_state(manager, second) not in WAITING, 120, 0.3,
                     what="the second job's task to start")  # fmt: skip
            touch_node(manager, node_id)  # the enforcer looks at the node again
            lines = list(jobs.follow_logs(second))
            state = jobs.state(second)
            jobs.remove(second)
        # these two jobs' tasks (other modules' helper jobs of spaces may have left theirs)
        left = [t for t in manager.api.tasks(filters={"node": node_id})
                if t.get("ServiceID") in (first, second)
                and t["DesiredState"] == "complete" and reserved(t)]  # fmt: skip

    assert lines == ["second ran"], f"the second job: {state}"
    assert state is not None and (state.running, state.exit_code) == (False, 0)
    assert left == [], "ended jobs' tasks still reserve their node"


JOB_NODE = 2
WAITING = ("new", "pending", "assigned", "accepted", "ready", "preparing", "starting")


def task_state(manager: DockerClient, service_id: str) -> str:
    tasks = manager.api.tasks(filters={"service": service_id})
    return str(tasks[0]["Status"]["State"]) if tasks else "new"


def touch_node(manager: DockerClient, node_id: str) -> None:
    """A node update (a label), as the manager's own updates of a node (its network
    attachments, its status) make: the constraint enforcer checks the node's tasks again."""
    node = manager.api.inspect_node(node_id)
    spec = node["Spec"]
    spec["Labels"] = {**(spec.get("Labels") or {}), "spacehost.test.touched": RUN_ID}
    manager.api.update_node(node_id, node["Version"]["Index"], spec)


def test_a_flavor_no_node_can_hold_is_refused_before_anything_is_made(
    jobs: SwarmJobContainers, swarm_cluster: SwarmCluster, image: str
) -> None:
    job_id = f"huge{RUN_ID}"
    huge = JobContainerSpec(job_id, image, ("true",), {}, 64.0, 1 << 30, gpu_ids=("0",))
    with pytest.raises(HardwareUnavailable) as refused:
        jobs.start(huge)
    assert "needs 64 CPU(s), 1.0 GiB of memory and 1 GPU(s)" in str(refused.value)
    assert not network_exists(swarm_cluster, job_id)
