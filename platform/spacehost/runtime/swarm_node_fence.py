"""What every Swarm node needs so that a space on it reaches nothing it was not given
(docs/cluster.md, "Networking"; docs/security.md, "Spaces on a Swarm"). Pure: the operator
applies it on each machine; the test cluster's nodes apply exactly this
(tests/support/swarm_engine.py).

A space's task sits on its node's default bridge (:data:`SPACES_BRIDGE`) with its app's port
published in host mode. The node's engine runs that bridge without inter-container traffic and
without masquerading (:data:`NODE_DAEMON_CONFIG`), and the node's firewall
(:func:`node_firewall_rules`) refuses every connection a container on it opens — to the node
itself (``INPUT``: its host ports, at the bridge's gateway or at the node's address) and through
it (``DOCKER-USER``: other spaces, other nodes, the platform's host and its registry, the LAN,
the internet) — while answers to connections made *to* a space pass: the router reaches the app
through its published port (DNAT; the reply needs no masquerading). A last rule admits new
connections to the published ports only from the platform's address.

Why not a swarm-scoped bridge network of spacehost's own (measured on Docker 20.10): its ``-o``
options are dropped unless it is made ``--config-from`` a config-only network on every node,
and after a node's engine dies with tasks on such a network, the node rejects every new task on
it ("network <id> exists", moby/moby#37087, open): a node that comes back could not run spaces.
The platform's own hub-cache fill tasks, which must reach the platform's hub URL, therefore run
on the node's ``host`` network instead of the fenced bridge (swarm_hubcache.py).
"""

from __future__ import annotations

# the default bridge's interface (dockerd's ``bridge`` setting left as it is)
SPACES_BRIDGE = "docker0"
# the node's /etc/docker/daemon.json (merged into what it has)
NODE_DAEMON_CONFIG: dict[str, bool] = {"icc": False, "userland-proxy": False, "ip-masq": False}
# the engine's ephemeral range: where host-mode published ports land
PUBLISHED_PORTS = "32768:60999"
# the network the platform's own helper tasks that must reach the platform run on
HELPER_NETWORK = "host"
# the bridge through which a container on an overlay network leaves its node (each engine makes
# it for its first such container): only jobs run on overlays (SPACEHOST_SWARM_JOBS=swarm, each
# on its own: runtime/swarm_jobs.py), and what they start through it reaches the platform only
JOBS_BRIDGE = "docker_gwbridge"

Rule = tuple[str, tuple[str, ...]]  # (chain, rule spec) for ``iptables -I CHAIN SPEC``


def node_firewall_rules(platform_addr: str, node_addr: str) -> list[Rule]:
    """The rules a node at *node_addr* inserts, in this order (each ``-I`` goes on top).

    Args:
        platform_addr: where the router runs, as the nodes see it.
        node_addr: this node's address (``docker node inspect``: ``Status.Addr``).
    """
    not_an_answer = ("-m", "conntrack", "!", "--ctstate", "ESTABLISHED,RELATED")
    refuse = ("-i", SPACES_BRIDGE, *not_an_answer, "-j", "REJECT")
    published = (
        "-p", "tcp", "!", "-s", platform_addr, "-m", "conntrack", "--ctstate", "NEW",
        "--ctorigdst", node_addr, "--ctorigdstport", PUBLISHED_PORTS, "-j", "DROP",
    )  # fmt: skip
    jobs_refused = ("-i", JOBS_BRIDGE, *not_an_answer, "-j", "REJECT")
    return [
        ("DOCKER-USER", published),
        ("DOCKER-USER", refuse),
        ("INPUT", refuse),
        ("DOCKER-USER", jobs_refused),
        ("INPUT", jobs_refused),
    ]


def job_admit_rules(platform_addr: str, platform_port: int) -> list[Rule]:
    """The rules a node inserts after :func:`node_firewall_rules` (on top of them) when jobs run
    on the swarm: a job's new connection through :data:`JOBS_BRIDGE` to the platform's address
    and port (the router, where ``HF_ENDPOINT`` points) passes — forwarded to another machine
    (``DOCKER-USER``) or to this one when the platform runs here (``INPUT``); every other
    connection a job opens stays refused.

    Args:
        platform_addr: where the router runs, as the nodes see it.
        platform_port: the router's port.
    """
    to_platform = (
        "-i",
        JOBS_BRIDGE,
        "-d",
        platform_addr,
        "-p",
        "tcp",
        "--dport",
        str(platform_port),
    )
    return [
        ("DOCKER-USER", (*to_platform, "-j", "RETURN")),
        ("INPUT", (*to_platform, "-j", "ACCEPT")),
    ]
