"""The container engine going away and coming back (a Docker daemon restart), against a fake
engine that behaves as Docker does without live-restore: while it is down every call fails and
log streams end; stopping it stops every container (a paused one too); a container it left
running (a daemon killed with -9) keeps answering. The watch is stepped by hand."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spacehost.domain import SpaceId, Stage
from spacehost.errors import EngineUnavailable
from spacehost.lifecycle import Platform
from spacehost.lifecycle.engine_watch import EngineWatch
from spacehost.lifecycle.recovery import ENGINE_DOWN
from spacehost.lifecycle.sleep import PAUSED, STOPPED
from tests.fakes import FakeBuilder, OutageBackend
from tests.support.platforms import fake_settings, platform_in, restart
from tests.support.polling import wait_for

SPACE = SpaceId("alice", "demo")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


Env = tuple[Platform, OutageBackend, FakeBuilder]


@pytest.fixture()
def clock() -> Clock:
    """The sleeper's wall clock; no router: idle time is the clock's advance."""
    return Clock()


@pytest.fixture()
def env(tmp_path: Path, clock: Clock) -> Iterator[Env]:
    backend, builder = OutageBackend(), FakeBuilder()
    settings = fake_settings(tmp_path, startup_timeout_s=5.0, sleep_after_s=60, stop_after_s=600)
    with platform_in(
        tmp_path,
        backend,
        builder,
        settings=settings,
        engine_probe=backend.check,
        wall_clock=clock,
        activity=dict,
    ) as platform:
        yield platform, backend, builder


def gradio(code: str = "print(1)") -> dict[str, bytes]:
    return {"README.md": b"---\ntitle: D\nsdk: gradio\n---\n", "app.py": code.encode()}


def route(p: Platform) -> dict[str, Any]:
    entries = json.loads(p.settings.routes_file.read_text())["spaces"]
    found: dict[str, Any] = {e["space"]: e for e in entries}[str(SPACE)]
    return found


def answers(upstream: str) -> str:
    with urllib.request.urlopen(f"http://{upstream}/", timeout=5) as resp:
        return str(resp.read().decode())


def running(p: Platform, code: str = "print(1)") -> str:
    p.push(SPACE, gradio(code))
    assert p.wait_idle()
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and rec.container_id
    return rec.container_id


def back(p: Platform, backend: OutageBackend) -> None:
    """The engine starts again; the watch's next probe notices and recovers."""
    backend.start_engine()
    watch = p.recovery.watch
    # the next probes (at most one recovery every RETRY_MAX_S) find it back and recover
    wait_for(lambda: (watch.step(), not watch.down and not watch._recover)[1], what="the recovery")
    assert p.wait_idle()


def test_a_space_whose_container_stopped_with_the_engine_runs_again(env: Env) -> None:
    p, backend, builder = env
    cid = running(p)
    backend.stop_engine()
    # the stage is written before the route table is published: wait for both, and for the
    # recovery to take the space on
    wait_for(
        lambda: (
            p.store.get_space(SPACE).stage is Stage.RUNTIME_ERROR
            and route(p)["upstream"] is None
            and p.recovery.waiting() == {SPACE}
        ),
        what="the lost container to be noticed",
    )
    rec = p.store.get_space(SPACE)
    assert rec.error_message == ENGINE_DOWN and route(p)["upstream"] is None  # truthful
    assert p.recovery.watch.step() > 0 and p.recovery.watch.down  # still down: retried
    back(p, backend)
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and not rec.error_message
    assert rec.container_id == cid and backend.restarts == 1  # the same container, started
    assert route(p)["upstream"] == rec.upstream and answers(str(rec.upstream)).startswith("app")
    assert len(builder.builds) == 1 and not p.recovery.waiting()
    events = [kind for _, kind, _ in p.store.events(SPACE)]
    assert "engine" in events and "runtime_error" not in events  # not taken for a crash


def test_containers_left_running_by_a_killed_engine_keep_serving(env: Env) -> None:
    p, backend, _ = env
    cid = running(p)
    upstream = str(p.store.get_space(SPACE).upstream)
    backend.stop_engine(kill_containers=False)  # dockerd killed with -9: containers run on
    wait_for(lambda: p.recovery.waiting() == {SPACE}, what="the log stream's end")
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and route(p)["upstream"] == upstream
    back(p, backend)
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and rec.container_id == cid and rec.upstream == upstream
    assert backend.restarts == 0
    wait_for(lambda: p.logs.following(cid), what="the log to be followed again")


def test_an_app_that_answers_is_not_restarted_on_a_settling_engines_first_report(
    env: Env,
) -> None:
    """A Swarm manager whose engine just came back may report a task on a worker as not
    running while it runs on (its view of the nodes is not settled). The app still answers at
    its address: recovery looks again later rather than start it anew (a redeploy of the
    service: the stage APP_STARTING and 503s for a space that never stopped serving)."""
    p, backend, _ = env
    cid = running(p)
    upstream = str(p.store.get_space(SPACE).upstream)
    backend.stop_engine(kill_containers=False)
    wait_for(lambda: p.recovery.waiting() == {SPACE}, what="the log stream's end")
    backend.stale_reports = 2
    back(p, backend)
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and rec.container_id == cid and rec.upstream == upstream
    events = [msg for _, kind, msg in p.store.events(SPACE) if kind == "engine"]
    assert not any("starting the container again" in m for m in events), events
    assert backend.stale_reports == 0 and backend.restarts == 0
    wait_for(lambda: p.logs.following(cid), what="the log to be followed again")


def test_a_build_the_outage_broke_is_retried(env: Env) -> None:
    p, backend, builder = env
    builder.gate = backend.check
    backend.stop_engine()
    p.push(SPACE, gradio())
    assert p.wait_idle()
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNTIME_ERROR and ENGINE_DOWN in rec.error_message
    assert p.store.builds(SPACE)[0].status == "failed"
    back(p, backend)
    assert p.store.get_space(SPACE).stage is Stage.RUNNING
    assert len(builder.builds) == 2


def test_the_serving_revision_comes_back_not_the_one_that_failed(env: Env) -> None:
    p, backend, builder = env
    cid = running(p, "print(1)")
    v1 = p.store.get_space(SPACE).serving_revision
    p.push(SPACE, gradio("BUILD_FAIL"))
    assert p.wait_idle()
    assert p.store.get_space(SPACE).stage is Stage.RUNNING  # v1 serves, with the error
    backend.stop_engine()
    wait_for(lambda: p.store.get_space(SPACE).stage is Stage.RUNTIME_ERROR)
    during = p.store.get_space(SPACE).error_message
    assert during.startswith(ENGINE_DOWN) and "pip install failed" in during  # both shown
    builds = len(builder.builds)
    back(p, backend)
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and rec.serving_revision == v1
    assert rec.container_id == cid and len(builder.builds) == builds
    # the newer revision's failed build is still shown, the outage no more
    assert "pip install failed" in rec.error_message and ENGINE_DOWN not in rec.error_message


def test_an_interrupted_redeploy_runs_again_after_the_old_revision_is_back(env: Env) -> None:
    p, backend, builder = env
    running(p, "print(1)")
    gate = threading.Event()
    builder.gate = lambda: (gate.wait(10), backend.check())[1]
    v2 = p.push(SPACE, gradio("print(2)")).revision
    wait_for(lambda: p.store.get_space(SPACE).stage is Stage.RUNNING_BUILDING)
    backend.stop_engine()
    wait_for(lambda: p.store.get_space(SPACE).stage is Stage.RUNTIME_ERROR)
    gate.set()  # the build meets the outage
    assert p.wait_idle()
    assert p.recovery.waiting() == {SPACE}
    builder.gate = lambda: None
    back(p, backend)
    assert p.wait_idle()
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and rec.serving_revision == v2, rec.error_message


def test_a_paused_sleeper_sleeps_on_as_stopped_and_wakes(env: Env, clock: Clock) -> None:
    p, backend, _ = env
    cid = running(p)
    p.sleeper.went_awake(SPACE)
    clock.now += 61
    assert p.sleeper.tick() == [(SPACE, PAUSED)]
    backend.stop_engine()  # the daemon unpauses and stops it on the way down
    p.recovery.watch.step()  # the periodic probe finds the engine down
    assert p.recovery.watch.down
    back(p, backend)
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.SLEEPING and rec.sleep_level == STOPPED
    assert route(p)["asleep"] == STOPPED and route(p)["upstream"] is None
    fut = p.sleeper.wake(SPACE)
    assert fut is not None
    fut.result(timeout=10)
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and rec.container_id == cid
    assert answers(str(rec.upstream)).startswith("app")


def test_a_wake_from_paused_whose_container_the_engine_stopped_starts_it(
    env: Env, clock: Clock
) -> None:
    p, backend, _ = env
    running(p)
    p.sleeper.went_awake(SPACE)
    clock.now += 61
    p.sleeper.tick()
    backend.stop_engine()
    backend.start_engine()  # back before the watch noticed: the wake finds it exited
    fut = p.sleeper.wake(SPACE)
    assert fut is not None
    fut.result(timeout=10)
    assert p.store.get_space(SPACE).stage is Stage.RUNNING


def test_an_explicitly_paused_space_stays_paused(env: Env) -> None:
    p, backend, _ = env
    running(p)
    p.pause(SPACE)
    backend.stop_engine()
    p.recovery.watch.lost()
    back(p, backend)
    assert p.store.get_space(SPACE).stage is Stage.PAUSED and backend.restarts == 0


def test_a_platform_start_after_a_reboot_starts_stopped_containers_again(env: Env) -> None:
    p, backend, builder = env
    cid = running(p)
    p.close()
    for c in backend.containers.values():  # the machine rebooted: containers exited
        backend._halt(c, "exited", 0)
    restarted = restart(p)
    restarted.reconcile()
    assert restarted.wait_idle()
    rec = restarted.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and rec.container_id == cid and len(builder.builds) == 1
    restarted.close()


# the watch ------------------------------------------------------------------------------------


class Probe:
    def __init__(self) -> None:
        self.up = True

    def __call__(self) -> None:
        if not self.up:
            raise ConnectionError("no engine")


def test_watch_recovers_once_per_outage_with_growing_waits() -> None:
    probe, calls = Probe(), []
    watch = EngineWatch(
        probe, lambda: calls.append(1), every_s=2.0, retry_first_s=0.2, retry_max_s=1.0
    )
    assert watch.step() == 2.0 and not calls  # up, nothing lost: nothing to do
    probe.up = False
    assert [watch.step() for _ in range(5)] == [0.2, 0.4, 0.8, 1.0, 1.0]
    assert watch.down and watch.outages == 1
    probe.up = True
    assert watch.step() == 2.0 and calls == [1]
    assert watch.step() == 2.0 and calls == [1]
    probe.up = False
    assert watch.step() == 0.2  # the waits start small again


def test_watch_recovers_what_was_lost_while_it_thought_the_engine_up() -> None:
    calls: list[int] = []
    watch = EngineWatch(Probe(), lambda: calls.append(1))
    watch.lost()
    watch.step()
    assert calls == [1]


def test_watch_retries_a_recovery_the_engine_interrupted() -> None:
    results: list[Exception | None] = [EngineUnavailable("gone again"), RuntimeError("bug"), None]

    def on_back() -> None:
        exc = results.pop(0)
        if exc is not None:
            raise exc

    clock = Clock()
    watch = EngineWatch(
        Probe(), on_back, every_s=2.0, retry_first_s=0.2, retry_max_s=1.0, clock=clock
    )
    watch.lost()
    assert watch.step() == 0.2 and watch.down  # gone again: looked for with backoff
    assert watch.step() == 1.0 and len(results) == 2  # too soon after the last recovery
    clock.now += 1.0
    assert watch.step() == 1.0 and len(results) == 1  # a bug: logged, tried again
    clock.now += 0.25
    assert watch.step() == 0.75  # not before a second has passed
    clock.now += 0.75
    assert watch.step() == 2.0 and not results and not watch.down


def test_watch_thread_survives_and_stops() -> None:
    seen = threading.Event()
    watch = EngineWatch(Probe(), seen.set, every_s=0.05)
    watch.start()
    watch.lost()
    assert seen.wait(5)
    watch.close()
