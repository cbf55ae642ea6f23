"""The host side of the test cluster's network (tests/support/swarm_cluster.py): one bridge,
one network namespace per node joined to it by a veth pair, and the one firewall rule that
lets the bridge forward.

Names and addresses are fixed by the cluster's *prefix* so that a run killed half-way is
swept by the next start (:func:`sweep_network`)::

    host   bridge  shsw<id>          10.231.0.1/24
    node i netns   shsw-<id>-<i>     eth0 10.231.0.(10+i)/24, default route via the host
           veth    shsw<id>-<i> (host end, a port of the bridge)

The host's FORWARD chain belongs to the machine's own Docker Engine (policy DROP, with the
DOCKER-USER chain for rules of others); bridged frames pass it (br_netfilter), so the cluster
adds one ACCEPT scoped to its own bridge, tagged with a comment, removed at teardown.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from dataclasses import dataclass

# SPACEHOST_TEST_CLUSTER_SLOT=N (1-9) gives a test process its own cluster (prefix shsN, subnet
# 10.(240+N).0.0/24) beside the default one (slot 0: shsw, 10.231.0.0/24), so engineers working in
# parallel do not queue on one lock; CI uses slot 0.
SLOT = int(os.environ.get("SPACEHOST_TEST_CLUSTER_SLOT") or 0)
if not 0 <= SLOT <= 9:
    raise ValueError("SPACEHOST_TEST_CLUSTER_SLOT must be a digit, 0-9")
PREFIX = "shsw" if SLOT == 0 else f"shs{SLOT}"
SUBNET = "10.231.0" if SLOT == 0 else f"10.{240 + SLOT}.0"
HOST_ADDR = f"{SUBNET}.1"
FIRST_NODE_HOST = 10


@dataclass(frozen=True)
class NodeLink:
    """The network of one node: its namespace, its address, the host end of its veth."""

    netns: str
    addr: str
    host_veth: str


def bridge_name(cluster_id: str) -> str:
    return f"{PREFIX}{cluster_id}"


def node_link(cluster_id: str, index: int) -> NodeLink:
    return NodeLink(
        netns=f"{PREFIX}-{cluster_id}-{index}",
        addr=f"{SUBNET}.{FIRST_NODE_HOST + index}",
        host_veth=f"{PREFIX}{cluster_id}-{index}",
    )


def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a host command (ip, iptables); a failure names the command and its stderr."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return done


def create_bridge(cluster_id: str) -> None:
    bridge = bridge_name(cluster_id)
    run("ip", "link", "add", bridge, "type", "bridge")
    run("ip", "addr", "add", f"{HOST_ADDR}/24", "dev", bridge)
    run("ip", "link", "set", bridge, "up")


def create_node_link(cluster_id: str, link: NodeLink) -> None:
    """A namespace with loopback up and eth0 on the cluster's bridge."""
    run("ip", "netns", "add", link.netns)
    peer = ("peer", "name", "eth0", "netns", link.netns)
    run("ip", "link", "add", link.host_veth, "type", "veth", *peer)
    run("ip", "link", "set", link.host_veth, "master", bridge_name(cluster_id), "up")
    inside = ("ip", "-n", link.netns)
    run(*inside, "link", "set", "lo", "up")
    run(*inside, "addr", "add", f"{link.addr}/24", "dev", "eth0")
    run(*inside, "link", "set", "eth0", "up")
    run(*inside, "route", "add", "default", "via", HOST_ADDR)


def remove_node_link(link: NodeLink) -> None:
    """Delete a node's namespace (its veth goes with it); its processes must be gone."""
    run("ip", "netns", "delete", link.netns)


def netns_inode(netns: str) -> int | None:
    """The inode of a named namespace (what /proc/PID/ns/net of its processes shows)."""
    try:
        return os.stat(f"/run/netns/{netns}").st_ino
    except OSError:
        return None


def _forward_chain() -> str:
    has_user_chain = run("iptables", "-n", "-L", "DOCKER-USER", check=False).returncode == 0
    return "DOCKER-USER" if has_user_chain else "FORWARD"


def _forward_rule(cluster_id: str) -> list[str]:
    bridge = bridge_name(cluster_id)
    tag = f"{PREFIX}-{cluster_id}"
    return ["-i", bridge, "-o", bridge, "-m", "comment", "--comment", tag, "-j", "ACCEPT"]


def allow_forwarding(cluster_id: str) -> None:
    """Accept frames from the cluster's bridge to itself (node to node), nothing else."""
    run("iptables", "-I", _forward_chain(), "1", *_forward_rule(cluster_id))


def remove_forwarding_rules() -> None:
    """Delete every rule tagged with the prefix's comment, in DOCKER-USER and FORWARD."""
    for chain in ("DOCKER-USER", "FORWARD"):
        listed = run("iptables", "-S", chain, check=False).stdout.splitlines()
        for line in listed:
            if f'--comment "{PREFIX}-' in line or f"--comment {PREFIX}-" in line:
                spec = line.split()[2:]  # "-A CHAIN <spec>"
                run("iptables", "-D", chain, *[part.strip('"') for part in spec], check=False)


def sweep_network() -> None:
    """Remove every namespace, link and firewall rule with the prefix (this run's or a
    leftover of a killed one); the processes inside must be gone first."""
    namespaces = run("ip", "netns", "list", check=False).stdout.split()
    for name in namespaces:
        if name.startswith(f"{PREFIX}-"):
            run("ip", "netns", "delete", name, check=False)
    for name in os.listdir("/sys/class/net"):
        if name.startswith(PREFIX):
            run("ip", "link", "delete", name, check=False)
    remove_forwarding_rules()


def ip_tools_present() -> bool:
    with contextlib.suppress(OSError):
        return run("ip", "netns", "list", check=False).returncode == 0
    return False
