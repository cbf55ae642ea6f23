"""Sleep and wake in the lifecycle: idle spaces pause, then stop; a wake brings them back.

Time is a fake wall clock and activity a dict the test fills: nothing here waits for idle time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.activityfile import Activity
from spacehost.domain import SpaceId, Stage
from spacehost.errors import InvalidRequest
from spacehost.lifecycle.sleep import PAUSED, STOPPED
from spacehost.routetable import RouteEntry, parse_routes
from spacehost.settings import Settings
from spacehost.store import Store
from tests.fakes import FakeBackend
from tests.support.platforms import new_platform

FILES = {"README.md": b"---\ntitle: Demo\nsdk: gradio\n---\n", "app.py": b"print('hi')"}
A, B, C = SpaceId("alice", "a"), SpaceId("alice", "b"), SpaceId("alice", "c")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Env:
    def __init__(self, tmp_path: Path, **settings: float) -> None:
        self.settings = Settings(
            data_dir=tmp_path, startup_timeout_s=3.0, sleep_after_s=60, stop_after_s=600, **settings
        )  # type: ignore[arg-type]
        self.backend, self.clock = FakeBackend(), Clock()
        self.activity: dict[str, Activity] = {}
        self.p = new_platform(
            tmp_path,
            self.backend,
            settings=self.settings,
            wall_clock=self.clock,
            activity=lambda: self.activity,
        )

    def deploy(self, space: SpaceId) -> None:
        self.p.push(space, FILES)
        assert self.p.wait_idle()
        assert self.stage(space) is Stage.RUNNING

    def stage(self, space: SpaceId) -> Stage:
        return self.p.store.get_space(space).stage

    def container(self, space: SpaceId) -> str:
        cid = self.p.store.get_space(space).container_id
        assert cid is not None
        return self.backend.containers[cid].status

    def route(self, space: SpaceId) -> RouteEntry:
        entries = parse_routes(self.settings.routes_file.read_text())
        (entry,) = [e for e in entries if e.space == str(space)]
        return entry

    def wake(self, space: SpaceId) -> None:
        fut = self.p.sleeper.wake(space)
        assert fut is not None
        fut.result(timeout=10)


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[Env]:
    e = Env(tmp_path)
    yield e
    e.p.close()
    for cid in list(e.backend.containers):
        e.backend.remove(cid)


def test_route_entries_without_asleep_still_parse() -> None:
    (entry,) = parse_routes('{"version": 1, "spaces": [{"space": "a/b", "stage": "RUNNING"}]}')
    assert entry.asleep is None
    assert RouteEntry.from_dict({**entry.to_dict(), "asleep": "paused"}).asleep == "paused"


def test_an_older_database_gains_the_sleep_columns(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "old.sqlite")
    db.execute(
        "CREATE TABLE spaces (id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT "
        "NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL, stage TEXT NOT NULL, "
        "error_message TEXT NOT NULL DEFAULT '', desired TEXT NOT NULL DEFAULT "
        "'running', revision TEXT, serving_revision TEXT, container_id TEXT, upstream "
        "TEXT, image TEXT, manifest TEXT NOT NULL DEFAULT '{}', hardware TEXT NOT NULL "
        "DEFAULT 'cpu-basic')"
    )
    db.execute(
        "INSERT INTO spaces (id, owner, name, created_at, updated_at, stage) VALUES "
        "('alice/a', 'alice', 'a', 1, 1, 'RUNNING')"
    )
    db.commit()
    db.close()
    rec = Store(tmp_path / "old.sqlite").get_space(A)
    assert (rec.stage, rec.sleep_time, rec.sleep_level) == (Stage.RUNNING, None, "")


# going to sleep --------------------------------------------------------------------------------


def test_idle_space_is_paused_then_stopped(env: Env) -> None:
    env.deploy(A)
    upstream = env.route(A).upstream
    env.clock.now += 59
    assert env.p.sleeper.tick() == []
    env.clock.now += 1
    assert env.p.sleeper.tick() == [(A, PAUSED)]
    assert (env.stage(A), env.container(A)) == (Stage.SLEEPING, "paused")
    route = env.route(A)
    assert (route.stage, route.asleep, route.upstream) == ("SLEEPING", "paused", upstream)
    assert env.p.runtime_info(A)["sleep"]["level"] == "paused"
    env.clock.now += 540
    assert env.p.sleeper.tick() == [(A, STOPPED)]
    assert (env.stage(A), env.container(A)) == (Stage.SLEEPING, "exited")
    route = env.route(A)
    assert (route.asleep, route.upstream) == ("stopped", None)
    assert env.p.runtime_info(A)["sleep"]["level"] == "stopped"


def test_requests_and_open_connections_keep_a_space_awake(env: Env) -> None:
    env.deploy(A)
    env.clock.now += 100
    env.activity[str(A)] = Activity(env.clock.now - 30)  # a request 30 s ago
    assert env.p.sleeper.tick() == []
    assert env.p.runtime_info(A)["sleep"]["idleSeconds"] == 30
    env.activity[str(A)] = Activity(env.clock.now - 1000, open=1)  # an open websocket
    env.clock.now += 5000
    assert env.p.sleeper.tick() == []
    assert env.stage(A) is Stage.RUNNING


def test_sleeptime_per_space_and_never(env: Env) -> None:
    env.deploy(A)
    env.deploy(B)
    assert env.p.set_sleep_time(A, 10) == 10
    assert env.p.set_sleep_time(B, -1) is None
    assert env.p.runtime_info(A)["gcTimeout"] == 10
    assert env.p.runtime_info(B)["gcTimeout"] is None
    env.clock.now += 10
    assert env.p.sleeper.tick() == [(A, PAUSED)]
    env.clock.now += 100_000
    assert env.p.sleeper.tick() == [(A, STOPPED)]
    assert env.stage(B) is Stage.RUNNING
    for bad in (0, -2, 1.5, "60", True, None):
        with pytest.raises(InvalidRequest):
            env.p.set_sleep_time(A, bad)


# waking ---------------------------------------------------------------------------------------


def test_wake_from_paused_thaws_the_same_container(env: Env) -> None:
    env.deploy(A)
    cid = env.p.store.get_space(A).container_id
    env.clock.now += 60
    env.p.sleeper.tick()
    env.wake(A)
    rec = env.p.store.get_space(A)
    assert (rec.stage, rec.container_id, env.container(A)) == (Stage.RUNNING, cid, "running")
    route = env.route(A)
    assert (route.stage, route.asleep) == ("RUNNING", None)
    env.clock.now += 59  # idle time counts from the wake
    assert env.p.sleeper.tick() == []


def test_wake_from_stopped_starts_the_same_container_and_reads_its_new_port(env: Env) -> None:
    env.deploy(A)
    cid = env.p.store.get_space(A).container_id
    env.clock.now += 600
    assert env.p.sleeper.tick() == [(A, STOPPED)]
    env.wake(A)
    rec = env.p.store.get_space(A)
    assert (rec.stage, rec.container_id, env.backend.restarts) == (Stage.RUNNING, cid, 1)
    info = env.backend.inspect(cid or "")
    assert info is not None
    assert env.route(A).upstream == f"127.0.0.1:{info.port}"


def test_concurrent_wakes_share_one(env: Env) -> None:
    env.deploy(A)
    env.clock.now += 600
    env.p.sleeper.tick()
    futures = {id(env.p.sleeper.wake(A)) for _ in range(10)}
    env.wake(A)
    assert len(futures) == 1
    assert env.backend.restarts == 1
    assert env.p.sleeper.wake(A) is None  # awake: nothing to do


def test_waking_beyond_max_awake_stops_the_least_recently_used(tmp_path: Path) -> None:
    e = Env(tmp_path, max_awake=2)
    try:
        for s in (A, B):
            e.deploy(s)
        e.clock.now += 600
        e.p.sleeper.tick()  # both stopped
        e.wake(A)
        e.clock.now += 10
        e.wake(B)
        e.clock.now += 10
        e.activity[str(B)] = Activity(e.clock.now - 1)
        e.deploy(C)  # a third one: A, idle longest, makes room
        assert [e.p.store.get_space(s).sleep_level for s in (A, B, C)] == [STOPPED, "", ""]
        assert [e.stage(s) for s in (A, B, C)] == [Stage.SLEEPING, Stage.RUNNING, Stage.RUNNING]
        e.clock.now += 5
        e.activity[str(B)] = Activity(e.clock.now)
        e.wake(A)  # and waking A stops C, now the idlest
        assert [e.stage(s) for s in (A, B, C)] == [Stage.RUNNING, Stage.RUNNING, Stage.SLEEPING]
    finally:
        e.p.close()
        for cid in list(e.backend.containers):
            e.backend.remove(cid)


# explicit pause and restarts of the platform ---------------------------------------------------


def test_pause_stops_the_space_and_visits_do_not_wake_it(env: Env) -> None:
    env.deploy(A)
    env.p.pause(A)
    assert (env.stage(A), env.container(A)) == (Stage.PAUSED, "exited")
    assert env.p.wake(A) is False
    assert env.route(A).upstream is None
    env.p.restart(A)
    assert env.p.wait_idle()
    assert env.stage(A) is Stage.RUNNING


def test_reconcile_adopts_sleeping_containers(env: Env) -> None:
    env.deploy(A)
    env.deploy(B)
    env.clock.now += 60
    assert env.p.sleeper.tick() == [(A, PAUSED), (B, PAUSED)]
    env.activity[str(B)] = Activity(env.clock.now)  # a request while asleep delays the stop
    env.clock.now += 540
    assert env.p.sleeper.tick() == [(A, STOPPED)]
    ids = {s: env.p.store.get_space(s).container_id for s in (A, B)}
    env.p.reconcile()
    assert env.p.wait_idle()
    for s, level in ((A, STOPPED), (B, PAUSED)):
        rec = env.p.store.get_space(s)
        assert (rec.stage, rec.sleep_level, rec.container_id) == (Stage.SLEEPING, level, ids[s])
        assert rec.container_id in env.backend.containers
    env.wake(A)
    assert env.stage(A) is Stage.RUNNING


def test_a_wake_asked_while_the_space_is_going_to_sleep_wakes_it_after(env: Env) -> None:
    env.deploy(A)
    env.clock.now += 60
    env.p.sleeper._dozing.add(A)  # the route says asleep, the pause is under way
    with env.p.space_lock(A):
        fut = env.p.sleeper.wake(A)
        assert fut is not None and not fut.done()  # it waits for the sleep to finish
        env.p.sleeper._dozing.discard(A)
        env.p.store.update_space(A, stage=Stage.SLEEPING, sleep_level=PAUSED)
        cid = env.p.store.get_space(A).container_id
        env.backend.pause(cid or "")
    fut.result(timeout=10)
    assert (env.stage(A), env.container(A)) == (Stage.RUNNING, "running")


def test_reconcile_keeps_a_paused_space_stopped(env: Env) -> None:
    env.deploy(A)
    env.p.pause(A)
    cid = env.p.store.get_space(A).container_id
    env.p.reconcile()
    assert env.p.wait_idle()
    assert env.stage(A) is Stage.PAUSED
    assert cid in env.backend.containers and env.container(A) == "exited"
