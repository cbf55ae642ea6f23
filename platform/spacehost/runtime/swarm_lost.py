"""Noticing a Swarm node that stopped answering before the manager does (issue 17).

The manager learns that a node died from missed heartbeats: 10-20 s with the default 5 s
heartbeat, while it still says the node's tasks run. The platform looks itself, from where the
router stands: a TCP connect to the task's published port *and* to the node engine's own gossip
port (7946, which every node of a swarm listens on) both failing, twice in a row, is a node
whose engine is gone (or cut off), not an app that is merely slow (a slow app's kernel still
accepts connections) nor one that crashed (its node's engine answers, and reports the task).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

GOSSIP_PORT = 7946  # swarm's node-to-node gossip (TCP and UDP): its engine's, on every node
CONNECT_TIMEOUT_S = 1.0
CONFIRM_AFTER_S = 0.3  # the second look: a lost packet or a momentary refusal is not a loss

Connect = Callable[[str, int], bool]


def connects(host: str, port: int, timeout: float = CONNECT_TIMEOUT_S) -> bool:
    """Whether a TCP connection to ``host:port`` is accepted within *timeout*."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def node_silent(
    addr: str,
    task_port: int,
    connect: Connect = connects,
    pause: Callable[[float], None] = time.sleep,
) -> bool:
    """True when neither the task's port nor the node's gossip port takes a connection, in
    two looks :data:`CONFIRM_AFTER_S` apart."""
    for look in range(2):
        if look:
            pause(CONFIRM_AFTER_S)
        if connect(addr, task_port) or connect(addr, GOSSIP_PORT):
            return False
    return True


def node_back(addr: str, connect: Connect = connects) -> bool:
    """Whether a node found silent answers on its gossip port again (its engine restarted)."""
    return connect(addr, GOSSIP_PORT)
