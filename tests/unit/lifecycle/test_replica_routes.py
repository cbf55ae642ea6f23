"""A space with ``spacehost_replicas: N``: the lifecycle asks the runtime for N, and publishes
every endpoint the runtime reports running in the route table, following the changes (a
replica that died, its replacement elsewhere); the first live one is the upstream."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from spacehost.domain import SpaceId
from spacehost.lifecycle import Platform
from spacehost.lifecycle.replica_routes import refresh
from spacehost.routetable import RouteEntry, parse_routes
from spacehost.runtime.base import ContainerInfo, ContainerSpec
from spacehost.settings import Settings
from tests.fakes import FakeBackend
from tests.support.platforms import new_platform

A = SpaceId("alice", "many")


def UP(endpoint: str) -> bool:  # a probe: every app answers
    return True


FILES = {
    "README.md": b"---\nsdk: gradio\nspacehost_replicas: 3\n---\n",
    "app.py": b"print('hi')\n",
}


class ReplicatedBackend(FakeBackend):
    """Reports the endpoints a test sets as the running replicas of every container."""

    def __init__(self) -> None:
        super().__init__()
        self.endpoints: tuple[str, ...] = ()
        self.specs: list[ContainerSpec] = []

    def start(self, spec: ContainerSpec) -> ContainerInfo:
        self.specs.append(spec)
        return super().start(spec)

    def inspect(self, container_id: str) -> ContainerInfo | None:
        info = super().inspect(container_id)
        return None if info is None else replace(info, endpoints=self.endpoints)


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[tuple[ReplicatedBackend, Platform]]:
    backend = ReplicatedBackend()
    p = new_platform(tmp_path, backend, settings=Settings(data_dir=tmp_path))
    p.push(A, FILES)
    assert p.wait_idle()
    yield backend, p
    p.close()
    for cid in list(backend.containers):
        backend.remove(cid)


def route(p: Platform) -> RouteEntry:
    (found,) = [r for r in parse_routes(p.settings.routes_file.read_text()) if r.space == str(A)]
    return found


def test_the_runtime_is_asked_for_the_replicas_without_a_data_volume(
    env: tuple[ReplicatedBackend, Platform],
) -> None:
    backend, p = env
    (spec,) = backend.specs
    assert spec.replicas == 3 and spec.data_volume is None
    assert p.store.get_space(A).manifest["replicas"] == 3


def test_every_running_replica_is_published_and_follows_the_runtime(
    env: tuple[ReplicatedBackend, Platform],
) -> None:
    backend, p = env
    backend.endpoints = ("10.0.0.11:30001", "10.0.0.12:30002", "10.0.0.13:30003")
    assert refresh(p.ctx, UP)
    assert route(p).replicas == backend.endpoints
    assert route(p).upstream == "10.0.0.11:30001"
    assert not refresh(p.ctx, UP)  # unchanged: nothing written

    # the first replica died; the Swarm replaced it on another node
    backend.endpoints = ("10.0.0.12:30002", "10.0.0.13:30003", "10.0.0.12:30004")
    assert refresh(p.ctx, UP)
    assert route(p).upstream == "10.0.0.12:30002"
    assert "10.0.0.11:30001" not in route(p).replicas

    # down to one: it is the upstream, no replica list
    backend.endpoints = ("10.0.0.13:30003",)
    assert refresh(p.ctx, UP)
    assert (route(p).upstream, route(p).replicas) == ("10.0.0.13:30003", ())


def test_a_space_that_stops_serving_loses_its_replicas(
    env: tuple[ReplicatedBackend, Platform],
) -> None:
    backend, p = env
    backend.endpoints = ("10.0.0.11:30001", "10.0.0.12:30002")
    assert refresh(p.ctx, UP)
    p.pause(A)
    assert refresh(p.ctx, UP) or A not in p.ctx.replicas
    assert A not in p.ctx.replicas
    assert route(p).upstream is None and route(p).replicas == ()


def test_the_recorded_upstream_follows_a_live_replica(
    env: tuple[ReplicatedBackend, Platform],
) -> None:
    backend, p = env
    backend.endpoints = ("10.0.0.12:30002", "10.0.0.13:30003")
    assert refresh(p.ctx, UP)
    assert p.store.get_space(A).upstream == "10.0.0.12:30002"


def test_a_replica_is_published_once_its_app_answers(
    env: tuple[ReplicatedBackend, Platform],
) -> None:
    backend, p = env
    backend.endpoints = ("10.0.0.11:30001", "10.0.0.12:30002")
    listening = {"10.0.0.11:30001"}
    assert refresh(p.ctx, lambda e: e in listening)
    assert route(p).upstream == "10.0.0.11:30001" and route(p).replicas == ()
    listening.add("10.0.0.12:30002")
    assert refresh(p.ctx, lambda e: e in listening)
    assert route(p).replicas == backend.endpoints
    listening.clear()  # published ones are not asked again: the router marks a dead one down
    assert not refresh(p.ctx, lambda e: e in listening)
