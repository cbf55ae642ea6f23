"""The default bridge's gateway (where builds reach the local pip mirror) is found whatever the
Engine reports: issue 11, B13 — a fresh Debian docker.io 20.10 engine's bridge has no
``Gateway`` in its IPAM config. The inspect documents below are the shapes real engines return.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from spacehost.builder.bridge import gateway_from_attrs, interface_ipv4
from spacehost.builder.build_run import bridge_gateway

# `docker network inspect bridge` on a fresh Debian docker.io 20.10.24 engine (this project's
# CI machine): IPAM.Config holds the subnet only.
FRESH_DEBIAN_BRIDGE: dict[str, Any] = {
    "Name": "bridge",
    "Driver": "bridge",
    "IPAM": {"Driver": "default", "Options": None, "Config": [{"Subnet": "172.17.0.0/16"}]},
    "Options": {
        "com.docker.network.bridge.default_bridge": "true",
        "com.docker.network.bridge.enable_icc": "true",
        "com.docker.network.bridge.enable_ip_masquerade": "true",
        "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
        "com.docker.network.bridge.name": "docker0",
        "com.docker.network.driver.mtu": "1500",
    },
}
# The same network on an engine that reports the gateway (Docker CE, or dockerd --bip).
WITH_GATEWAY: dict[str, Any] = {
    **FRESH_DEBIAN_BRIDGE,
    "IPAM": {
        "Driver": "default",
        "Options": None,
        "Config": [{"Subnet": "10.20.0.0/24", "Gateway": "10.20.0.254"}],
    },
}


class _Network:
    def __init__(self, attrs: dict[str, Any]) -> None:
        self.attrs = attrs


class _Networks:
    def __init__(self, attrs: dict[str, Any]) -> None:
        self._attrs = attrs

    def get(self, name: str) -> _Network:
        assert name == "bridge"
        return _Network(self._attrs)


class _Client:
    """Only what bridge_gateway reads of a docker.DockerClient: networks.get(name).attrs."""

    def __init__(self, attrs: dict[str, Any]) -> None:
        self.networks = _Networks(attrs)


def _no_interface(name: str) -> str:
    return ""


def test_a_fresh_debian_engine_without_gateway_field_still_gives_the_gateway() -> None:
    assert bridge_gateway(_Client(FRESH_DEBIAN_BRIDGE)) == "172.17.0.1"  # type: ignore[arg-type]


def test_the_reported_gateway_wins() -> None:
    assert gateway_from_attrs(WITH_GATEWAY, lambda name: "10.20.0.1") == "10.20.0.254"


def test_the_bridge_interface_address_is_used_when_it_lies_in_the_subnet() -> None:
    asked: list[str] = []

    def address(name: str) -> str:
        asked.append(name)
        return "172.17.42.1"

    assert gateway_from_attrs(FRESH_DEBIAN_BRIDGE, address) == "172.17.42.1"
    assert asked == ["docker0"]


def test_an_interface_named_by_the_network_option_is_asked() -> None:
    attrs = copy.deepcopy(FRESH_DEBIAN_BRIDGE)
    attrs["Options"]["com.docker.network.bridge.name"] = "br-spacehost"
    asked: list[str] = []
    gateway_from_attrs(attrs, lambda name: asked.append(name) or "")
    assert asked == ["br-spacehost"]


def test_a_same_named_interface_outside_the_subnet_is_not_believed() -> None:
    # the Engine runs elsewhere (another host, another network namespace): our docker0 is not its
    attrs = copy.deepcopy(FRESH_DEBIAN_BRIDGE)
    attrs["IPAM"]["Config"] = [{"Subnet": "10.213.0.0/24"}]
    assert gateway_from_attrs(attrs, lambda name: "172.17.0.1") == "10.213.0.1"


def test_without_interface_the_subnets_first_host_is_the_gateway() -> None:
    assert gateway_from_attrs(FRESH_DEBIAN_BRIDGE, _no_interface) == "172.17.0.1"


@pytest.mark.parametrize(
    "config",
    [
        [],
        None,
        [{"Subnet": "fd00::/64"}],  # IPv6 only: the mirror binds one IPv4 address
        [{"Subnet": "garbage"}],
        [{"Subnet": "10.0.0.7/32"}],  # no host address in it
    ],
)
def test_no_ipv4_subnet_means_no_gateway(config: Any) -> None:
    attrs = {**FRESH_DEBIAN_BRIDGE, "IPAM": {"Config": config}}
    assert gateway_from_attrs(attrs, _no_interface) == ""


def test_an_ipv6_gateway_is_skipped_for_the_ipv4_one() -> None:
    attrs = {
        **FRESH_DEBIAN_BRIDGE,
        "IPAM": {
            "Config": [{"Subnet": "fd00::/64", "Gateway": "fd00::1"}, {"Subnet": "172.30.0.0/16"}]
        },
    }
    assert gateway_from_attrs(attrs, _no_interface) == "172.30.0.1"


def test_interface_lookup_reads_this_hosts_loopback() -> None:
    assert interface_ipv4("lo") == "127.0.0.1"
    assert interface_ipv4("no-such-if0") == ""
    assert interface_ipv4("x" * 40) == ""
