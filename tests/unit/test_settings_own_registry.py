"""The registry spacehost starts itself on a Swarm when ``SPACEHOST_REGISTRY`` is unset: where
it listens, where the build engine pushes and where the nodes pull (docs/cluster.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacehost.errors import InvalidRequest
from spacehost.settings import Settings

SWARM = {"SPACEHOST_RUNTIME": "swarm", "SPACEHOST_SWARM_URL": "unix:///var/run/docker.sock"}


def test_a_swarm_without_a_registry_gets_its_own_on_port_5000_at_the_hub_urls_host() -> None:
    s = Settings.from_env(
        {**SWARM, "SPACEHOST_SWARM_HUB_URL": "http://10.0.0.1:8000", "SPACEHOST_DATA_DIR": "/d"}
    )

    assert s.own_registry
    assert (s.push_registry, s.pull_registry) == ("127.0.0.1:5000", "10.0.0.1:5000")
    assert s.registry_dir == Path("/d/registry")


def test_the_port_comes_from_registry_port_or_from_registry_pull() -> None:
    hub = {**SWARM, "SPACEHOST_SWARM_HUB_URL": "http://spaces.lan:8000"}
    by_port = Settings.from_env({**hub, "SPACEHOST_REGISTRY_PORT": "5050"})
    by_pull = Settings.from_env({**hub, "SPACEHOST_REGISTRY_PULL": "192.168.1.10:5051"})

    assert (by_port.push_registry, by_port.pull_registry) == ("127.0.0.1:5050", "spaces.lan:5050")
    assert (by_pull.push_registry, by_pull.pull_registry) == (
        "127.0.0.1:5051",
        "192.168.1.10:5051",
    )


def test_without_a_hub_url_the_nodes_pull_at_the_public_url_or_the_routers_host() -> None:
    public = Settings.from_env({**SWARM, "SPACEHOST_PUBLIC_URL": "https://spaces.example.org"})
    routed = Settings.from_env({**SWARM, "SPACEHOST_HOST": "192.168.1.10"})

    assert public.pull_registry == "spaces.example.org:5000"
    assert routed.pull_registry == "192.168.1.10:5000"


def test_an_operators_registry_starts_none() -> None:
    s = Settings.from_env({**SWARM, "SPACEHOST_REGISTRY": "registry.example.com"})

    assert not s.own_registry
    assert (s.push_registry, s.pull_registry) == ("registry.example.com", "registry.example.com")
    assert not Settings.from_env({}).own_registry  # the Docker backend needs none


@pytest.mark.parametrize("pull", ["192.168.1.10", "192.168.1.10:http", "host:5000/path"])
def test_a_pull_address_without_a_port_is_refused_when_spacehost_starts_the_registry(
    pull: str,
) -> None:
    with pytest.raises(InvalidRequest, match="SPACEHOST_REGISTRY_PULL") as caught:
        Settings.from_env({**SWARM, "SPACEHOST_REGISTRY_PULL": pull})

    assert "HOST:PORT" in caught.value.message
    assert "5000" in caught.value.hint


@pytest.mark.parametrize("port", ["0", "70000"])
def test_a_registry_port_out_of_range_is_refused(port: str) -> None:
    with pytest.raises(InvalidRequest, match=f"invalid SPACEHOST_REGISTRY_PORT {port}"):
        Settings.from_env({**SWARM, "SPACEHOST_REGISTRY_PORT": port})


def test_a_registry_port_that_is_no_number_names_the_variable() -> None:
    with pytest.raises(InvalidRequest, match="SPACEHOST_REGISTRY_PORT"):
        Settings.from_env({**SWARM, "SPACEHOST_REGISTRY_PORT": "five"})
