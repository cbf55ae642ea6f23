"""A live Docker Swarm on this one machine, for the cluster backend's tests (issue 17).

``SwarmCluster`` brings up N Docker Engines (Debian's dockerd), each in its own network
namespace with its own data root and containerd (tests/support/swarm_engine.py), on one host
bridge (tests/support/swarm_network.py); node 0 initialises the swarm, the others join as
workers. A registry (spacehost.runtime.registry_server, Debian's docker-registry) listens on
the host: the machine's own engine pushes to ``registry_push`` (loopback: no engine config),
the nodes pull from ``registry_pull`` (the host's address on the bridge; the bridge's subnet is
an insecure registry range in each node's flags). The machine's own engine is never touched.

::

    with SwarmCluster() as cluster:          # 3 nodes Ready in about 4 s
        docker.DockerClient(cluster.manager_url).services.create(...)
        cluster.kill_node(2)                 # a power cut: the swarm notices by itself
        cluster.restart_node(2)

Everything carries the prefix ``shsw`` and the subnet 10.231.0.0/24 (or those of another slot:
swarm_network.SLOT). One cluster a slot: a lock (``/run/shsw.lock``) serialises test processes;
holding it, a start
first sweeps whatever a killed run left (processes, namespaces, links, firewall rules,
cgroups, folders), and teardown removes everything, even after a failed start.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from docker import DockerClient

from spacehost.runtime.registry_server import DEFAULT_BINARY, RegistryServer
from tests.support.polling import wait_for
from tests.support.ports import free_port
from tests.support.swarm_engine import DATA_BASE, DOCKERD, NodeEngine, sweep_engines
from tests.support.swarm_network import (
    HOST_ADDR,
    PREFIX,
    SUBNET,
    allow_forwarding,
    create_bridge,
    create_node_link,
    ip_tools_present,
    node_link,
    remove_node_link,
    sweep_network,
)

LOCK_PATH = Path(f"/run/{PREFIX}.lock")
SWARM_PORT = 2377


def unavailable_reason() -> str | None:
    """Why no cluster can be built here (a skip reason), or None when one can."""
    if os.geteuid() != 0:
        return "the test cluster needs root (network namespaces, bridges, extra dockerds)"
    if not ip_tools_present():
        return "no network namespaces here (`ip netns` from iproute2 failed)"
    if not os.access(DOCKERD, os.X_OK):
        return f"{DOCKERD} missing (Debian's docker.io; scripts/setup.sh installs it)"
    if not os.access(DEFAULT_BINARY, os.X_OK):
        return f"{DEFAULT_BINARY} missing (Debian's docker-registry; scripts/setup.sh installs it)"
    return None


class SwarmCluster:
    """N Docker Engines joined into one swarm, and a registry every node pulls from.

    Args:
        nodes: how many engines (node 0 is the manager, the others workers).
        lock_timeout: how long to wait for another process's cluster to go (s).
        heartbeat_s: the swarm's dispatcher heartbeat (``docker swarm update
            --dispatcher-heartbeat``); None keeps the swarm's default, 5 s. A node is marked
            down after missing about three.
    """

    def __init__(
        self, nodes: int = 3, *, lock_timeout: float = 900.0, heartbeat_s: float | None = None
    ) -> None:
        self.size = nodes
        self.lock_timeout = lock_timeout
        self.heartbeat_s = heartbeat_s
        self.cluster_id = secrets.token_hex(2)
        self.nodes: list[NodeEngine] = []
        self.registry: RegistryServer | None = None
        self._lock: IO[str] | None = None
        self._worker_token = ""
        #: seconds from start() to every node Ready, for docs/benchmarks.md
        self.bring_up_s = 0.0

    # -- the fields the backend codes against -------------------------------------------

    @property
    def manager_url(self) -> str:
        """Docker URL of node 0, the swarm manager."""
        return self.nodes[0].url

    @property
    def node_urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    @property
    def node_addrs(self) -> list[str]:
        """Each node's address on the cluster bridge (10.231.0.10, .11, ...)."""
        return [node.link.addr for node in self.nodes]

    @property
    def registry_push(self) -> str:
        """``127.0.0.1:PORT``: where the machine's own engine pushes images."""
        assert self.registry is not None
        return f"127.0.0.1:{self.registry.port}"

    @property
    def registry_pull(self) -> str:
        """``10.231.0.1:PORT``: the same registry as the nodes reach it."""
        assert self.registry is not None
        return f"{HOST_ADDR}:{self.registry.port}"

    def platform_env(self, **extra: str) -> dict[str, str]:
        """The environment of a ``spacehost up`` running its spaces on this cluster, with small
        spaces (0.5 CPU, 1 GiB: the nodes share this machine's CPUs) and no built-in content;
        *extra* (``SPACEHOST_*`` names) over it."""
        return {
            "SPACEHOST_RUNTIME": "swarm",
            "SPACEHOST_SWARM_URL": self.manager_url,
            "SPACEHOST_REGISTRY": self.registry_push,
            "SPACEHOST_REGISTRY_PULL": self.registry_pull,
            "SPACEHOST_CPUS": "0.5",
            "SPACEHOST_MEMORY_LIMIT": "1g",
            "SPACEHOST_BUILTIN_CONTENT": "0",
            **extra,
        }

    def client(self, index: int = 0, timeout: int = 60) -> DockerClient:
        """A docker SDK client of node *index* (0: the manager); the caller closes it."""
        return self.nodes[index].client(timeout)

    def node_id(self, index: int) -> str:
        """The swarm's ID of node *index*."""
        with contextlib.closing(self.client(index)) as client:
            return str(client.info()["Swarm"]["NodeID"])

    # -- life ---------------------------------------------------------------------------

    def start(self) -> None:
        """Bring the cluster up: lock, sweep leftovers, network, registry, engines, swarm.

        Raises:
            RuntimeError/AssertionError: a step failed or timed out (everything made so far
            is removed first).
        """
        began = time.monotonic()
        self._acquire_lock()
        try:
            self._sweep()
            create_bridge(self.cluster_id)
            allow_forwarding(self.cluster_id)
            self._start_registry()
            for _ in range(self.size):
                self._add_engine()
            self._init_swarm()
            for index in range(1, self.size):
                self._join(index)
            self._wait_ready(range(self.size))
        except BaseException:
            self.close()
            raise
        self.bring_up_s = time.monotonic() - began

    def close(self) -> None:
        """Remove everything the cluster made (safe after a failed start, and twice)."""
        if self._lock is None:
            return
        try:
            for node in self.nodes:
                node.kill()
            if self.registry is not None:
                self.registry.stop()
            self._sweep()
        finally:
            self.nodes = []
            self.registry = None
            self._release_lock()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- failures and capacity ----------------------------------------------------------

    def kill_node(self, index: int) -> None:
        """SIGKILL node *index*'s dockerd, containerd, shims and containers at once; the
        swarm is left to notice (heartbeats) by itself."""
        self.nodes[index].kill()

    def restart_node(self, index: int, timeout: float = 120.0) -> None:
        """Start node *index*'s engine again on its data root; it rejoins by itself. Waits
        until the manager sees it Ready."""
        self.nodes[index].start()
        self._wait_ready([index], timeout)

    def admit_jobs(self, platform_port: int) -> None:
        """Give every node the node set-up's rules for jobs on the swarm: jobs reach the
        platform's host (the bridge's address) at *platform_port*, the router's port."""
        for node in self.nodes:
            node.admit_jobs(platform_port)

    def drain(self, index: int) -> None:
        """Set node *index* to availability ``drain``: the manager moves its tasks away."""
        self._set_availability(index, "drain")

    def activate(self, index: int) -> None:
        """Set node *index* back to availability ``active``."""
        self._set_availability(index, "active")

    def add_node(self) -> int:
        """Start one more engine, join it as a worker, wait until it is Ready; its index."""
        index = self._add_engine()
        self._join(index)
        self._wait_ready([index])
        return index

    def remove_last_node(self) -> None:
        """Take the last node out (the inverse of :meth:`add_node`, so indexes stay stable):
        its engine and namespace go and the manager forgets it (``docker node rm --force``)."""
        if len(self.nodes) <= 1:
            raise ValueError("the manager (node 0) is the cluster; it cannot be removed")
        node_id = self.node_id(len(self.nodes) - 1)
        node = self.nodes.pop()
        node.kill()
        remove_node_link(node.link)
        shutil.rmtree(node.data_root, ignore_errors=True)
        with contextlib.closing(self.client(0)) as client:
            client.nodes.get(node_id).remove(force=True)

    def node_states(self) -> dict[str, tuple[str, str]]:
        """The manager's view: node hostname -> (state, availability)."""
        with contextlib.closing(self.client(0)) as client:
            return {
                node.attrs["Description"]["Hostname"]: (
                    node.attrs["Status"]["State"],
                    node.attrs["Spec"]["Availability"],
                )
                for node in client.nodes.list()
            }

    # -- steps --------------------------------------------------------------------------

    def _acquire_lock(self) -> None:
        lock = LOCK_PATH.open("a+")

        def taken() -> bool:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        try:
            wait_for(taken, self.lock_timeout, 0.5, f"{LOCK_PATH} (another test cluster runs)")
        except AssertionError:
            lock.close()
            raise
        lock.truncate(0)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        self._lock = lock

    def _release_lock(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def _sweep(self) -> None:
        sweep_engines()
        sweep_network()
        shutil.rmtree(DATA_BASE, ignore_errors=True)

    def _start_registry(self) -> None:
        # every address: loopback for the machine's engine, the bridge's for the nodes
        root = DATA_BASE / self.cluster_id / "registry"
        self.registry = RegistryServer(root, host="0.0.0.0", port=free_port())
        self.registry.start()

    def _add_engine(self) -> int:
        index = len(self.nodes)
        link = node_link(self.cluster_id, index)
        create_node_link(self.cluster_id, link)
        # the bridge's whole subnet: the cluster's registry and any a platform under test starts
        # itself on the host's bridge address (a port of its own, docs/cluster.md)
        node = NodeEngine(self.cluster_id, index, link, insecure_registry=f"{SUBNET}.0/24")
        self.nodes.append(node)
        node.start()
        return index

    def _init_swarm(self) -> None:
        addr = self.nodes[0].link.addr
        with contextlib.closing(self.client(0)) as client:
            heartbeat = {}
            if self.heartbeat_s is not None:
                heartbeat["dispatcher_heartbeat_period"] = int(self.heartbeat_s * 1e9)
            client.swarm.init(advertise_addr=addr, listen_addr=f"{addr}:{SWARM_PORT}", **heartbeat)
            self._worker_token = str(client.swarm.attrs["JoinTokens"]["Worker"])

    def _join(self, index: int) -> None:
        addr = self.nodes[index].link.addr
        with contextlib.closing(self.client(index)) as client:
            client.swarm.join(
                remote_addrs=[f"{self.nodes[0].link.addr}:{SWARM_PORT}"],
                join_token=self._worker_token,
                advertise_addr=addr,
                listen_addr=f"{addr}:{SWARM_PORT}",
            )

    def _wait_ready(self, indexes: Any, timeout: float = 120.0) -> None:
        names = {self.nodes[i].name for i in indexes}

        def ready() -> bool:
            with contextlib.suppress(Exception):
                states = self.node_states()
                return all(states.get(name, ("", ""))[0] == "ready" for name in names)
            return False

        wait_for(ready, timeout, 0.25, f"nodes {sorted(names)} Ready in the swarm")

    def _set_availability(self, index: int, availability: str) -> None:
        node_id = self.node_id(index)
        with contextlib.closing(self.client(0)) as client:
            node = client.nodes.get(node_id)
            spec = dict(node.attrs["Spec"], Availability=availability)
            node.update(spec)


def cluster_for_tests(nodes: int = 3) -> Iterator[SwarmCluster]:
    """A started cluster for a pytest fixture (``yield from``), torn down after; skips the
    test (with the reason) where no cluster can be built."""
    import pytest

    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    with SwarmCluster(nodes) as cluster:
        yield cluster
