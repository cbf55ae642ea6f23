"""Sleep and wake on a backend that cannot freeze a process (the Swarm backend: its pause
scales to zero, its unpause is refused with Conflict): the paused level still ends in the
stopped one, and a wake starts the space again and routes to its new address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.activityfile import Activity
from spacehost.domain import SpaceId, Stage
from spacehost.errors import Conflict
from spacehost.lifecycle import Platform
from spacehost.lifecycle.sleep import PAUSED, STOPPED
from spacehost.routetable import parse_routes
from spacehost.settings import Settings
from tests.fakes import FakeBackend
from tests.support.platforms import new_platform

FILES = {"README.md": b"---\nsdk: gradio\n---\n", "app.py": b"print('hi')\n"}
A = SpaceId("alice", "a")


class ScaleToZeroBackend(FakeBackend):
    """Pause is a stop; there is nothing frozen to unpause."""

    def pause(self, container_id: str) -> None:
        self.stop(container_id)

    def unpause(self, container_id: str) -> None:
        raise Conflict(f"{container_id} is scaled to zero, not frozen")


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


Env = tuple[ScaleToZeroBackend, Clock, Platform]


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[Env]:
    settings = Settings(
        data_dir=tmp_path, startup_timeout_s=3.0, sleep_after_s=60, stop_after_s=600
    )
    backend, clock = ScaleToZeroBackend(), Clock()
    activity: dict[str, Activity] = {}
    p = new_platform(tmp_path, backend, settings=settings, wall_clock=clock,
                     activity=lambda: activity)  # fmt: skip
    p.push(A, FILES)
    assert p.wait_idle()
    yield backend, clock, p
    p.close()
    for cid in list(backend.containers):
        backend.remove(cid)


def test_a_space_scaled_to_zero_at_the_paused_level_goes_on_to_stopped(
    env: Env,
) -> None:
    _backend, clock, p = env
    clock.now += 60
    assert p.sleeper.tick() == [(A, PAUSED)]
    clock.now += 540
    assert p.sleeper.tick() == [(A, STOPPED)]
    rec = p.store.get_space(A)
    assert (rec.stage, rec.sleep_level) == (Stage.SLEEPING, STOPPED)


def test_a_wake_from_the_paused_level_starts_it_again_at_its_new_address(
    env: Env,
) -> None:
    backend, clock, p = env
    clock.now += 60
    assert p.sleeper.tick() == [(A, PAUSED)]
    fut = p.sleeper.wake(A)
    assert fut is not None
    fut.result(timeout=10)
    rec = p.store.get_space(A)
    assert rec.stage is Stage.RUNNING and backend.restarts == 1
    info = backend.inspect(rec.container_id or "")
    assert info is not None and info.is_running
    routes = parse_routes(p.settings.routes_file.read_text())
    assert [r.upstream for r in routes if r.space == str(A)] == [f"127.0.0.1:{info.port}"]
