"""The network jobs run on (docs/jobs.md, docs/security.md): one per platform instance, an
*internal* Docker bridge (no route out: no internet, no LAN, no other network), inter-container
traffic off, and iptables rules that let a job reach exactly one thing on the host — the
platform's job relay (runtime/jobrelay.py) on the bridge's gateway address, which hands the
connection to the router, so ``HF_ENDPOINT`` works from inside a job and nothing else does.

Made when the first job needs it (:class:`JobNetworkPath`), and removed with its rules when the
platform stops with no job container left on it: platforms that run no job make nothing, and
the Engine's pool of bridge subnets is not used up by finished platforms.

Spaces never reach the platform (their hub repos are mounted read-only); jobs download and push
with huggingface_hub, so they need the API, and only the API.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docker import DockerClient

from spacehost.dockerengine import ENGINE_ERRORS, container_error
from spacehost.errors import SpacehostError
from spacehost.runtime.base import LABEL_INSTANCE, LABEL_MANAGED, LABEL_ROLE
from spacehost.runtime.isolation import (
    BRIDGE_NAME_OPTION,
    CHAIN_FORWARD,
    CHAIN_INPUT,
    ICC_OPTION,
    MASQUERADE_OPTION,
    Firewall,
    Rule,
)
from spacehost.runtime.jobrelay import JobRelay

log = logging.getLogger(__name__)

ROLE_JOBS_NETWORK = "jobs-network"
_ANSWERS = ("-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "RETURN")
_REJECT = ("-j", "REJECT")


@dataclass(frozen=True)
class JobNetwork:
    """A platform instance's job network: its Docker name, bridge interface and gateway."""

    name: str
    interface: str
    gateway: str


def job_network_names(instance: str) -> tuple[str, str]:
    """``(network, interface)`` of *instance*'s job network (an interface name has at most 15
    characters)."""
    key = hashlib.sha256(instance.encode()).hexdigest()
    return f"spacehost-jobs-{key[:12]}", f"shjob{key[:10]}"


def ensure_job_network(client: DockerClient, instance: str) -> JobNetwork:
    """Make *instance*'s job network unless it exists.

    Raises:
        EngineUnavailable: the engine failed or is unreachable.
    """
    name, interface = job_network_names(instance)
    found = _find(client, name)
    if found is None:
        options = {ICC_OPTION: "false", BRIDGE_NAME_OPTION: interface, MASQUERADE_OPTION: "false"}
        labels = {LABEL_MANAGED: "true", LABEL_ROLE: ROLE_JOBS_NETWORK, LABEL_INSTANCE: instance}
        try:
            client.api.create_network(
                name, driver="bridge", internal=True, options=options, labels=labels,
                check_duplicate=True,
            )  # fmt: skip
            log.info("created network %s (bridge %s) for jobs", name, interface)
        except ENGINE_ERRORS as exc:
            if _find(client, name) is None:
                raise container_error(exc, f"creating network {name}") from exc
        found = _find(client, name)
        if found is None:
            raise container_error(RuntimeError("vanished"), f"reading network {name}")
    configs = (found.get("IPAM") or {}).get("Config") or [{}]
    gateway = str(configs[0].get("Gateway") or "").split("/")[0]
    return JobNetwork(name, interface, gateway)


def _find(client: DockerClient, name: str) -> dict[str, Any] | None:
    try:
        found = client.api.networks(names=[name])
    except ENGINE_ERRORS as exc:
        raise container_error(exc, f"reading network {name}") from exc
    match = next((n for n in found if n.get("Name") == name), None)
    if match is None:
        return None
    try:
        return dict(client.api.inspect_network(match["Id"]))
    except ENGINE_ERRORS as exc:
        raise container_error(exc, f"reading network {name}") from exc


def job_firewall_rules(network: JobNetwork, relay_port: int) -> list[Rule]:
    """The rules that fence a job network in, in their order: answers pass; a connection to the
    relay on the gateway passes; anything else a job starts towards the host or elsewhere is
    rejected."""
    inside = ("-i", network.interface)
    relay = ("-d", network.gateway, "-p", "tcp", "--dport", str(relay_port), "-j", "RETURN")
    return [
        (CHAIN_INPUT, (*inside, *_ANSWERS)),
        (CHAIN_INPUT, (*inside, *relay)),
        (CHAIN_INPUT, (*inside, *_REJECT)),
        (CHAIN_FORWARD, (*inside, *_REJECT)),
    ]


def fence_job_network(firewall: Firewall, network: JobNetwork, relay_port: int) -> None:
    """Install :func:`job_firewall_rules` (replacing this network's rules for an earlier relay
    port).

    Raises:
        SpacehostError: ``iptables`` is missing or refused.
    """
    firewall.ensure_rules(job_firewall_rules(network, relay_port), network.interface)


class JobNetworkPath:
    """How job containers reach the platform, made on first use: the network, the relay on its
    gateway to the router at *router*, and (with *firewall*) the rules.

    Args:
        client: the Docker client.
        instance: the platform's instance (names the network).
        router: the router's address on the host.
        port_file: where the relay's port is kept between starts.
        firewall: installs the rules; None: none (``SPACEHOST_SPACE_FIREWALL=off``).
    """

    def __init__(
        self,
        client: DockerClient,
        instance: str,
        router: tuple[str, int],
        port_file: Path,
        firewall: Firewall | None,
    ):
        self._client, self._instance, self._router = client, instance, router
        self._port_file, self._firewall = port_file, firewall
        self._lock = threading.Lock()
        self._made: tuple[JobNetwork, JobRelay] | None = None

    def ensure(self) -> tuple[str, str]:
        """``(network, HF_ENDPOINT)``, made unless they are.

        Raises:
            SpacehostError: the rules cannot be installed. EngineUnavailable: no engine.
        """
        with self._lock:
            if self._made is None:
                network = ensure_job_network(self._client, self._instance)
                relay = JobRelay(network.gateway, self._router, self._port_file)
                port = relay.start()
                if self._firewall is not None:
                    try:
                        fence_job_network(self._firewall, network, port)
                    except SpacehostError:
                        relay.close()
                        raise
                self._made = (network, relay)
            network, relay = self._made
            return network.name, f"http://{network.gateway}:{relay.port}"

    def close(self) -> None:
        """Stop the relay; remove the network and its rules when no container is on it (a job
        left running keeps both for the next start to adopt)."""
        with self._lock:
            if self._made is None:
                return
            network, relay = self._made
            self._made = None
        relay.close()
        try:
            self._client.api.remove_network(network.name)
        except ENGINE_ERRORS:
            return  # containers still attached (adopted at the next start), or no engine
        if self._firewall is not None:
            with contextlib.suppress(SpacehostError):
                self._firewall.remove_rules(network.interface)
