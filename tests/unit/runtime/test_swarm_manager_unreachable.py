"""A Swarm manager that does not answer (its engine restarting, docs/cluster.md "What survives
what") is named as the manager, at SPACEHOST_SWARM_URL, with what to do, by the node listing
and by the backend: not as the build engine ("start Docker ... SPACEHOST_DOCKER_URL")."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from docker import DockerClient

from spacehost.errors import EngineUnavailable
from spacehost.runtime.swarm_backend import SwarmBackend
from spacehost.runtime.swarm_nodes import SwarmNodes, label_node

# docker-py leaves the socket of a failed connect unclosed (as in test_docker_boundary.py)
pytestmark = [
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


@pytest.fixture
def gone(tmp_path: Path) -> Iterator[tuple[DockerClient, str]]:
    """A real docker-py client of a manager whose socket is not there (its engine is down)."""
    url = f"unix://{tmp_path / 'manager.sock'}"
    client = DockerClient(base_url=url, version="1.41")
    yield client, url
    client.close()
    gc.collect()  # the unclosed socket is reported here, under the marks, not at exit


def assert_names_the_manager(error: EngineUnavailable, url: str, doing: str) -> None:
    assert error.message.startswith(f"{doing}: cannot reach the Swarm manager at {url} (")
    assert "SPACEHOST_SWARM_URL" in (error.hint or "")
    assert "SPACEHOST_DOCKER_URL" not in (error.hint or "")
    assert error.http_status == 503


def test_listing_nodes_names_the_manager_that_does_not_answer(
    gone: tuple[DockerClient, str],
) -> None:
    client, url = gone
    with pytest.raises(EngineUnavailable) as caught:
        SwarmNodes(client, manager_url=url).nodes()
    assert_names_the_manager(caught.value, url, "listing the swarm's nodes")


def test_the_backend_names_the_manager_that_does_not_answer(
    gone: tuple[DockerClient, str],
) -> None:
    client, url = gone
    backend = SwarmBackend(client, None, None, manager_url=url)  # type: ignore[arg-type]
    with pytest.raises(EngineUnavailable) as caught:
        backend.list_managed()
    assert_names_the_manager(caught.value, url, "listing services")


def test_labelling_a_node_names_the_manager_not_the_build_engine(
    gone: tuple[DockerClient, str],
) -> None:
    client, _ = gone
    with pytest.raises(EngineUnavailable) as caught:  # a hub fill marks the node that holds it
        label_node(client.api, "n1", "spacehost.hub.v=true", "labelling node n1")
    assert caught.value.message.startswith("labelling node n1: cannot reach the Swarm manager (")
    assert "SPACEHOST_DOCKER_URL" not in (caught.value.hint or "")
