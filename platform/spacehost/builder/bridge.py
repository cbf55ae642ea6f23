"""Where build containers reach this host: the IPv4 gateway of the Engine's default bridge.

A fresh Debian ``docker.io`` 20.10 engine reports its default bridge's IPAM config as
``[{"Subnet": "172.17.0.0/16"}]``, without ``Gateway`` (issue 11, B13), so the gateway is found
in this order: the config's ``Gateway``; the address of the bridge's interface (the network's
``com.docker.network.bridge.name`` option, ``docker0``) when this host has that interface and
its address lies in the bridge's subnet (the Engine may run elsewhere, or in another network
namespace, where a same-named interface of ours means nothing); the subnet's first host, which
is what the Engine gives the bridge when nothing else configures it.
"""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct
from collections.abc import Callable, Mapping
from typing import Any

BRIDGE_NAME_OPTION = "com.docker.network.bridge.name"
DEFAULT_BRIDGE_INTERFACE = "docker0"
_SIOCGIFADDR = 0x8915  # <linux/sockios.h>: an interface's (primary) IPv4 address
_IFNAMSIZ = 16


def interface_ipv4(name: str) -> str:
    """The primary IPv4 address of network interface *name* in this network namespace.

    Returns:
        The address, or "" when there is no such interface or it has no IPv4 address.
    """
    if not name or len(name) >= _IFNAMSIZ:
        return ""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            packed = fcntl.ioctl(sock.fileno(), _SIOCGIFADDR, struct.pack("256s", name.encode()))
        except OSError:
            return ""
    return socket.inet_ntoa(packed[20:24])  # struct ifreq: name, then sockaddr_in's address


def gateway_from_attrs(
    attrs: Mapping[str, Any], interface_address: Callable[[str], str] = interface_ipv4
) -> str:
    """The IPv4 gateway of a bridge network, from its ``docker network inspect`` document.

    Args:
        attrs: the network's inspect document (``IPAM.Config``, ``Options``).
        interface_address: returns an interface's IPv4 address on this host ("" when absent).

    Returns:
        The address, or "" when the network has no IPv4 subnet or gateway at all.
    """
    configs = [c for c in (attrs.get("IPAM") or {}).get("Config") or [] if isinstance(c, dict)]
    for config in configs:
        gateway = str(config.get("Gateway") or "").split("/")[0]
        if _ipv4(gateway):
            return gateway
    subnets = [net for net in (_ipv4_subnet(c.get("Subnet")) for c in configs) if net]
    options = attrs.get("Options") or {}
    name = str(options.get(BRIDGE_NAME_OPTION) or DEFAULT_BRIDGE_INTERFACE)
    address = interface_address(name)
    if _ipv4(address) and any(ipaddress.IPv4Address(address) in net for net in subnets):
        return address
    for net in subnets:
        if net.num_addresses > 2:
            return str(net.network_address + 1)
    return ""


def _ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _ipv4_subnet(value: object) -> ipaddress.IPv4Network | None:
    try:
        net = ipaddress.ip_network(str(value or ""), strict=False)
    except ValueError:
        return None
    return net if isinstance(net, ipaddress.IPv4Network) else None
