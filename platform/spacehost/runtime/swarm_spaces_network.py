"""The network a Swarm space's tasks sit on, and what every node needs for it (docs/cluster.md,
"Networking"; docs/security.md, "Spaces on a Swarm").

On a node's default bridge a space reached the platform's host (the cluster registry: every
private space's image), its own node's host ports, the other nodes and the outside world. So
space services join one *swarm-scoped bridge network*, :data:`SPACES_NETWORK`: the manager
knows it, yet each node makes it as a local bridge of its own, from the node's *config-only*
network :data:`NODE_CONFIG_NETWORK`, which fixes the bridge's name (:data:`SPACES_BRIDGE`),
turns inter-container traffic and masquerading off and names the subnet. Docker 20.10 ignores
``-o`` options given to a swarm-scoped bridge network itself (it made ``br-<id>`` with icc and
masquerading on); ``--config-from`` is what carries them to every node. Each node's firewall
(:func:`node_firewall_rules`) then refuses every connection a space opens — to the node itself
(``INPUT``) and through it (``DOCKER-USER``) — while answers to connections made *to* a space
pass: the router reaches the app through the port its task publishes in host mode (DNAT; the
reply needs no masquerading).

The platform's own helper tasks (hub-cache fills, ``/data`` preparation) stay off this network,
on the node's default bridge: they must reach the platform's hub URL.
"""

from __future__ import annotations

from typing import Any

import docker.errors
from docker import APIClient

from spacehost.dockerengine import ENGINE_ERRORS, container_error
from spacehost.errors import EngineUnavailable

SPACES_NETWORK = "spacehost-swarm-spaces"
NODE_CONFIG_NETWORK = "spacehost-swarm-spaces-node"
SPACES_BRIDGE = "spacehostsw0"  # fixed (at most 15 characters): the nodes' rules name it
NODE_NETWORK_OPTIONS = {
    "com.docker.network.bridge.name": SPACES_BRIDGE,
    "com.docker.network.bridge.enable_icc": "false",
    "com.docker.network.bridge.enable_ip_masquerade": "false",
}
# a subnet for the docs' example; any one unused on the nodes works (each node's bridge is its own)
EXAMPLE_SUBNET = "172.30.0.0/16"
_NOT_AN_ANSWER = ("-m", "conntrack", "!", "--ctstate", "ESTABLISHED,RELATED")


def node_firewall_rules() -> list[tuple[str, tuple[str, ...]]]:
    """``(chain, rule)`` pairs every node inserts (``iptables -I CHAIN RULE``): whatever a
    space starts from :data:`SPACES_BRIDGE` is refused at once, to the node itself and through
    it (other spaces, other nodes, the platform's host, the outside); answers pass."""
    rule = ("-i", SPACES_BRIDGE, *_NOT_AN_ANSWER, "-j", "REJECT")
    return [("INPUT", rule), ("DOCKER-USER", rule)]


def attachment() -> list[dict[str, Any]]:
    """A space service's ``TaskTemplate.Networks``."""
    return [{"Target": SPACES_NETWORK}]


def ensure_spaces_network(api: APIClient) -> None:
    """Create :data:`SPACES_NETWORK` through the manager unless it exists (idempotent; two
    platforms racing leave one).

    Raises:
        EngineUnavailable: the manager has no :data:`NODE_CONFIG_NETWORK` (the node set-up of
            docs/cluster.md was not done on it), or it failed or is unreachable.
    """
    doing = f"creating the spaces' network {SPACES_NETWORK}"
    try:
        if _exists(api):
            return
        _create(api)
    except docker.errors.APIError as exc:
        if exc.status_code == 409 or _exists(api):
            return  # made meanwhile (another platform, or a retry)
        if "not found" in str(exc.explanation or exc).lower():
            raise _set_up_missing(exc) from exc
        raise container_error(exc, doing) from exc
    except ENGINE_ERRORS as exc:
        raise container_error(exc, doing) from exc


def _create(api: APIClient) -> None:
    # the SDK's create_network has no ConfigFrom; the engine's API (1.30+) has
    body = {
        "Name": SPACES_NETWORK,
        "Driver": "bridge",
        "Scope": "swarm",
        "CheckDuplicate": True,
        "ConfigFrom": {"Network": NODE_CONFIG_NETWORK},
    }
    api._result(api._post_json(api._url("/networks/create"), data=body), json=True)


def _exists(api: APIClient) -> bool:
    found = api.networks(names=[SPACES_NETWORK])
    return any(n.get("Name") == SPACES_NETWORK and n.get("Scope") == "swarm" for n in found)


def _set_up_missing(exc: docker.errors.APIError) -> EngineUnavailable:
    return EngineUnavailable(
        f"the swarm's manager has no network {NODE_CONFIG_NETWORK}, which the spaces' network "
        f"{SPACES_NETWORK} is made from ({exc.explanation or exc})",
        hint='set up every node as docs/cluster.md says ("Networking"): `docker network '
        f"create --config-only --subnet {EXAMPLE_SUBNET} "
        + " ".join(f"-o {k}={v}" for k, v in NODE_NETWORK_OPTIONS.items())
        + f" {NODE_CONFIG_NETWORK}` and its firewall rules",
    )
