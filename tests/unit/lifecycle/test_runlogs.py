"""A container's run log is stored once: following it again (a wake from stopped, a container
started again after an engine restart, a running one adopted by a restarted platform) resumes
where the stored log ends instead of reading the container's output from its start."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spacehost.domain import SpaceId, Stage
from spacehost.lifecycle import Platform
from spacehost.lifecycle.sleep import STOPPED
from spacehost.settings import Settings
from tests.fakes import FakeBackend, FakeBuilder
from tests.support.platforms import fake_settings, new_platform, platform_in, restart
from tests.support.polling import wait_for

SPACE = SpaceId("alice", "chatty")
FILES = {"README.md": b"---\ntitle: C\nsdk: gradio\n---\n", "app.py": b"print(1)"}
Env = tuple[Platform, FakeBackend, FakeBuilder]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def clock() -> Clock:
    """The sleeper's wall clock; no router: idle time is the clock's advance."""
    return Clock()


@pytest.fixture()
def env(tmp_path: Path, clock: Clock) -> Iterator[Env]:
    backend, builder = FakeBackend(), FakeBuilder()
    settings = fake_settings(tmp_path, startup_timeout_s=5.0, sleep_after_s=60, stop_after_s=600)
    with platform_in(
        tmp_path, backend, builder, settings=settings, wall_clock=clock, activity=dict
    ) as platform:
        yield platform, backend, builder


def run_log(p: Platform, container_id: str) -> list[str]:
    return [ln.line for ln in p.store.logs(SPACE, "run", ref=container_id)]


def started(p: Platform, backend: FakeBackend) -> str:
    p.push(SPACE, FILES)
    assert p.wait_idle()
    cid = str(p.store.get_space(SPACE).container_id)
    backend.containers[cid].write("app: ready")
    wait_for(lambda: run_log(p, cid)[-1:] == ["app: ready"], what="the first run's log")
    return cid


def test_a_wake_from_stopped_stores_only_the_new_run(env: Env, clock: Clock) -> None:
    p, backend, _ = env
    cid = started(p, backend)
    p.sleeper.went_awake(SPACE)
    clock.now += 601
    assert p.sleeper.tick() == [(SPACE, STOPPED)]
    wait_for(lambda: not p.logs.following(cid), what="the first follow to end")
    fut = p.sleeper.wake(SPACE)
    assert fut is not None
    fut.result(timeout=10)
    assert p.store.get_space(SPACE).stage is Stage.RUNNING
    backend.containers[cid].write("app: ready again")
    wait_for(lambda: run_log(p, cid)[-1:] == ["app: ready again"], what="the new run's log")
    lines = run_log(p, cid)
    assert lines == [lines[0], "app: ready", lines[2], "app: ready again"]
    assert lines[0].startswith("starting ") and lines[2].startswith("starting again ")


class Dying:
    """An engine as one platform process sees it: its log streams end when the process dies."""

    def __init__(self, backend: FakeBackend) -> None:
        self.backend = backend
        self.dead = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)

    def follow_logs(self, container_id: str, since: float | None = None) -> Iterator[str]:
        for line in self.backend.follow_logs(container_id, since):
            if self.dead.is_set():
                return
            yield line


def test_an_adopted_container_is_not_read_twice(tmp_path: Path) -> None:
    backend, builder = FakeBackend(), FakeBuilder()
    first = Dying(backend)
    p = new_platform(tmp_path, first, builder, settings=Settings(data_dir=tmp_path))
    cid = started(p, backend)
    p.close()
    first.dead.set()  # killed: the control plane restarts (the container runs on)
    restarted = restart(p, backend)
    restarted.reconcile()
    backend.containers[cid].write("app: still here")
    wait_for(lambda: run_log(p, cid)[-1:] == ["app: still here"], what="the adopted log")
    lines = run_log(p, cid)
    assert len(lines) == len(set(lines)) == 3, lines
    restarted.close()
    backend.remove(cid)
