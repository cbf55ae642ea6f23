"""Crashed spaces restart with exponential backoff; time is a fake clock and a manual timer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from spacehost.domain import SpaceId, Stage
from spacehost.lifecycle import Platform
from spacehost.lifecycle.backoff import Backoff, CrashRestarts
from spacehost.runtime.base import ContainerInfo
from spacehost.settings import Settings
from tests.fakes import FakeBackend
from tests.support.platforms import new_platform, platform_in
from tests.support.polling import wait_for

SPACE = SpaceId("alice", "demo")
FILES = {"README.md": b"---\ntitle: Demo\nsdk: gradio\n---\n", "app.py": b"print('hi')"}


@dataclass
class Handle:
    delay: float
    fn: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualTimer:
    """Records what would be scheduled; ``fire()`` runs the latest live one now."""

    def __init__(self) -> None:
        self.handles: list[Handle] = []

    def __call__(self, delay: float, fn: Callable[[], None]) -> Handle:
        h = Handle(delay, fn)
        self.handles.append(h)
        return h

    @property
    def live(self) -> list[Handle]:
        return [h for h in self.handles if not h.cancelled]

    def fire(self) -> None:
        (h,) = self.live[-1:]
        self.handles.remove(h)
        h.fn()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# the schedule ---------------------------------------------------------------------------------


def test_backoff_doubles_from_initial_up_to_the_cap() -> None:
    b = Backoff(initial_s=1, max_s=60)
    assert [b.delay(n) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert Backoff(initial_s=0.5, max_s=3).delay(1000) == 3


def test_crash_sequence_grows_then_resets_after_a_healthy_run() -> None:
    clock, timer, restarted = Clock(), ManualTimer(), []
    crashes = CrashRestarts(
        Backoff(1, 60, reset_s=120), lambda s, n: restarted.append(n), clock=clock, timer=timer
    )
    delays = []
    for _ in range(4):
        crashes.went_live(SPACE)
        clock.now += 5  # up for 5 s, then down again
        delays.append(crashes.crashed(SPACE))
        timer.fire()
    assert delays == [1, 2, 4, 8] and restarted == [1, 2, 3, 4]
    crashes.went_live(SPACE)
    clock.now += 120  # a healthy run as long as the reset time ends the sequence
    assert crashes.crashed(SPACE) == 1 and crashes.crashes(SPACE) == 1


def test_cancel_stops_a_pending_restart_and_forgets_the_sequence() -> None:
    timer, restarted = ManualTimer(), []
    crashes = CrashRestarts(
        Backoff(1, 60), lambda s, n: restarted.append(n), clock=Clock(), timer=timer
    )
    crashes.crashed(SPACE)
    first = timer.handles[0]
    assert crashes.pending(SPACE)
    crashes.cancel(SPACE)
    assert first.cancelled and not crashes.pending(SPACE) and crashes.crashes(SPACE) == 0
    first.fn()  # a timer thread that had already started to fire does nothing
    assert restarted == []
    assert crashes.start_failed(SPACE) is None  # no sequence: a failed start stays failed


# through the lifecycle ------------------------------------------------------------------------


class OomBackend(FakeBackend):
    def __init__(self) -> None:
        super().__init__()
        self.oom: set[str] = set()

    def inspect(self, container_id: str) -> ContainerInfo | None:
        info = super().inspect(container_id)
        return replace(info, oom_killed=True) if info and info.id in self.oom else info


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[tuple[Platform, OomBackend, ManualTimer]]:
    backend, timer = OomBackend(), ManualTimer()
    with platform_in(tmp_path, backend, clock=Clock(), timer=timer) as platform:
        yield platform, backend, timer


def running(p: Platform) -> str:
    assert p.wait_idle()
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and rec.container_id
    return rec.container_id


def crash(p: Platform, backend: FakeBackend, timer: ManualTimer, code: int = 1) -> None:
    before = len(events(p, "restart_scheduled"))
    backend.crash(running(p), code=code)
    wait_for(
        lambda: timer.live and len(events(p, "restart_scheduled")) > before,
        what="a restart to be scheduled",
    )


def events(p: Platform, kind: str) -> list[str]:
    return [m for _, k, m in reversed(p.store.events(SPACE)) if k == kind]


def test_crash_is_reported_then_restarted_after_the_backoff(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, timer = env
    p.push(SPACE, FILES)
    first = running(p)
    crash(p, backend, timer, code=3)
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNTIME_ERROR and rec.upstream is None
    assert "exited with code 3" in rec.error_message and "Killed by test" in rec.error_message
    assert [h.delay for h in timer.live] == [1]
    assert events(p, "restart_scheduled") == ["restarting in 1 s (crash 1 in a row)"]
    timer.fire()
    second = running(p)
    assert second != first and events(p, "restart")[-1].startswith("automatic restart")
    # the crashed run's log is kept beside the new one (the new run's log is opened as its
    # stream is followed, just after the space went RUNNING)
    wait_for(
        lambda: p.store.log_refs(SPACE, "run")[:2] == [second, first],
        what="the new run's log beside the crashed one's",
    )
    assert p.store.logs(SPACE, "run", ref=first)[0].line.startswith("starting")
    crash(p, backend, timer)
    assert [h.delay for h in timer.live] == [2]  # crashes in a row back off
    timer.fire()
    running(p)
    crash(p, backend, timer)
    assert [h.delay for h in timer.live] == [4]
    assert len(events(p, "runtime_error")) == 3  # each crash is an event


def test_oom_kill_is_named_as_such(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, timer = env
    p.push(SPACE, FILES)
    backend.oom.add(running(p))
    crash(p, backend, timer, code=137)
    assert "out of memory (OOM-killed)" in p.store.get_space(SPACE).error_message


def test_an_explicit_restart_cancels_the_pending_backoff(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, timer = env
    p.push(SPACE, FILES)
    crash(p, backend, timer)
    pending = timer.live[0]
    p.restart(SPACE)
    assert pending.cancelled
    running(p)
    assert timer.live == []
    crash(p, backend, timer)
    assert [h.delay for h in timer.live] == [1]  # the restart started a new sequence


@pytest.mark.parametrize("action", ["push", "delete"])
def test_push_and_delete_cancel_the_pending_backoff(env, action: str) -> None:  # type: ignore[no-untyped-def]
    p, backend, timer = env
    p.push(SPACE, FILES)
    crash(p, backend, timer)
    if action == "push":
        p.push(SPACE, {**FILES, "app.py": b"print('v2')"})
        running(p)
    else:
        p.delete(SPACE)
        assert p.store.find_space(SPACE) is None
    assert timer.live == []


def test_a_failed_automatic_restart_is_retried_with_the_next_backoff(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, timer = env
    p.push(SPACE, FILES)
    crash(p, backend, timer)
    backend.exit_on_start = 4
    timer.fire()
    assert p.wait_idle()
    assert p.store.get_space(SPACE).stage is Stage.RUNTIME_ERROR
    assert [h.delay for h in timer.live] == [2]
    timer.fire()
    running(p)


def test_a_failed_first_start_is_not_restarted(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, timer = env
    backend.exit_on_start = 3
    p.push(SPACE, FILES)
    assert p.wait_idle()
    assert p.store.get_space(SPACE).stage is Stage.RUNTIME_ERROR and timer.handles == []


def test_crash_restarts_can_be_turned_off(tmp_path: Path) -> None:
    timer, backend = ManualTimer(), FakeBackend()
    settings = Settings(data_dir=tmp_path, crash_restart=False)
    p = new_platform(tmp_path, backend, settings=settings, timer=timer)
    p.push(SPACE, FILES)
    backend.crash(running(p))
    wait_for(lambda: p.store.get_space(SPACE).stage is Stage.RUNTIME_ERROR)
    assert timer.handles == [] and events(p, "restart_scheduled") == []
    p.close()


def test_backoff_settings_come_from_the_environment() -> None:
    s = Settings.from_env(
        {
            "SPACEHOST_CRASH_BACKOFF_INITIAL": "0.5",
            "SPACEHOST_CRASH_BACKOFF_MAX": "10",
            "SPACEHOST_CRASH_BACKOFF_RESET": "30",
            "SPACEHOST_CRASH_RESTART": "off",
        }
    )
    assert (
        s.crash_backoff_initial_s,
        s.crash_backoff_max_s,
        s.crash_backoff_reset_s,
        s.crash_restart,
    ) == (0.5, 10, 30, False)
    with pytest.raises(Exception, match="crash backoff"):
        Settings.from_env({"SPACEHOST_CRASH_BACKOFF_INITIAL": "100"})
