"""A space whose machine stopped answering before its engine noticed (a Swarm node lost):
when its upstream refuses and the runtime reports the node lost, the stage is honest at once —
APP_STARTING and deployed again (a space free to move), RUNTIME_ERROR naming the node (one
pinned to it) — and the route leaves the lost upstream; a space whose upstream answers, or
whose runtime says its node answers (a slow app), is left alone (lifecycle/node_loss.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.domain import SpaceId, Stage
from spacehost.lifecycle import Platform
from spacehost.lifecycle.node_loss import NodeLossWatch
from spacehost.routetable import RouteEntry, parse_routes
from spacehost.runtime.base import NodeLoss
from spacehost.settings import Settings
from tests.fakes import FakeBackend
from tests.support.platforms import new_platform

A = SpaceId("alice", "mover")
FILES = {"README.md": b"---\nsdk: gradio\n---\n", "app.py": b"print('hi')\n"}


class LosingBackend(FakeBackend):
    """Reports the node of every container lost while :attr:`loss` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.loss: NodeLoss | None = None
        self.asked: list[str] = []

    def lost_node(self, container_id: str) -> NodeLoss | None:
        self.asked.append(container_id)
        return self.loss


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[tuple[LosingBackend, Platform]]:
    backend = LosingBackend()
    p = new_platform(tmp_path, backend, settings=Settings(data_dir=tmp_path, runtime="swarm"))
    p.push(A, FILES)
    assert p.wait_idle()
    yield backend, p
    p.close()


def route(p: Platform) -> RouteEntry:
    (found,) = [r for r in parse_routes(p.settings.routes_file.read_text()) if r.space == str(A)]
    return found


def watch(p: Platform, connects: bool) -> NodeLossWatch:
    return NodeLossWatch(p.ctx, p._deployer.submit, connects=lambda upstream: connects)


def test_a_movable_space_starts_again_elsewhere_at_once(
    env: tuple[LosingBackend, Platform],
) -> None:
    backend, p = env
    first = p.store.get_space(A)
    assert first.stage is Stage.RUNNING and route(p).watched
    backend.loss = NodeLoss("w2", "10.0.0.12", movable=True)
    assert watch(p, connects=False).check() == [A]
    assert p.wait_idle()
    again = p.store.get_space(A)
    assert again.stage is Stage.RUNNING and again.container_id != first.container_id
    assert first.container_id not in backend.containers  # the lost one was removed
    kinds = [(kind, msg) for _, kind, msg in p.store.events(A)]
    assert ("node_lost", "its node w2 (10.0.0.12) stopped answering; starting it on another "
            "node (its /data starts empty there)") in kinds  # fmt: skip


def test_a_space_whose_data_is_in_the_shared_folder_says_its_data_moves_with_it(
    env: tuple[LosingBackend, Platform],
) -> None:
    backend, p = env
    backend.loss = NodeLoss("w2", "10.0.0.12", movable=True, keeps_data=True)
    assert watch(p, connects=False).check() == [A]
    assert p.wait_idle()
    assert p.store.get_space(A).stage is Stage.RUNNING
    kinds = [(kind, msg) for _, kind, msg in p.store.events(A)]
    assert ("node_lost", "its node w2 (10.0.0.12) stopped answering; starting it on another "
            "node (its /data moves with it)") in kinds  # fmt: skip


def test_a_space_pinned_to_its_node_says_it_waits_for_it(
    env: tuple[LosingBackend, Platform],
) -> None:
    backend, p = env
    backend.loss = NodeLoss("w2", "10.0.0.12", movable=False)
    assert watch(p, connects=False).check() == [A]
    rec = p.store.get_space(A)
    assert rec.stage is Stage.RUNTIME_ERROR and "waits for the node" in rec.error_message
    assert "w2" in rec.error_message and route(p).upstream is None


def test_an_answering_upstream_or_node_is_left_alone(
    env: tuple[LosingBackend, Platform],
) -> None:
    backend, p = env
    backend.loss = NodeLoss("w2", "10.0.0.12", movable=True)
    assert watch(p, connects=True).check() == []  # its app takes connections: slow, not lost
    assert backend.asked == []
    backend.loss = None  # refused, but the node answers: the app's own crash is reported
    assert watch(p, connects=False).check() == []
    assert p.store.get_space(A).stage is Stage.RUNNING
