"""The network jobs run on (docs/jobs.md, docs/security.md): one per platform instance, an
*internal* Docker bridge (no route out: no internet, no LAN, no other network), inter-container
traffic off, and iptables rules that let a job reach exactly one thing on the host — the
platform's job relay (server/jobrelay.py) on the bridge's gateway address, which hands the
connection to the router, so ``HF_ENDPOINT`` works from inside a job and nothing else does.

Spaces never reach the platform (their hub repos are mounted read-only); jobs download and push
with huggingface_hub, so they need the API, and only the API.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from docker import DockerClient

from spacehost.dockerengine import ENGINE_ERRORS, container_error
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
