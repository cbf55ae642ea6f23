"""The lifecycle's parts built on their own, from a Context, without a Platform."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.domain import SpaceId, Stage
from spacehost.lifecycle import stages
from spacehost.lifecycle.assembly import assemble
from spacehost.lifecycle.context import Context
from spacehost.lifecycle.routes import RoutePublisher
from spacehost.lifecycle.sleep import AwakeTimes
from spacehost.lifecycle.tasks import Tasks
from spacehost.routetable import RouteEntry, parse_routes
from spacehost.settings import Settings
from spacehost.store import RevisionFiles, SecretCipher, SpaceConfig, Store
from tests.fakes import FakeBackend, FakeBuilder

SPACE = SpaceId("alice", "demo")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def ctx(tmp_path: Path) -> Iterator[Context]:
    settings = Settings(data_dir=tmp_path)
    store = Store(tmp_path / "db.sqlite")
    config = SpaceConfig(store, SecretCipher(tmp_path / "secret.key", settings.secret_key))
    yield Context(
        settings,
        store,
        RevisionFiles(tmp_path / "revs"),
        FakeBuilder(),
        FakeBackend(),
        config,
        RoutePublisher(settings.routes_file),
    )
    store.close()


def route(ctx: Context) -> RouteEntry:
    (entry,) = parse_routes(ctx.settings.routes_file.read_text())
    return entry


def serving(ctx: Context) -> None:
    ctx.store.create_space(SPACE, stage=Stage.RUNNING, manifest={"sdk": "gradio"})
    ctx.store.update_space(
        SPACE, revision="r1", serving_revision="r1", container_id="c1", upstream="127.0.0.1:9"
    )


def test_an_error_that_keeps_serving_leaves_the_route(ctx: Context) -> None:
    serving(ctx)
    stages.set_error(ctx, SPACE, Stage.BUILD_ERROR, "pip failed", keep_serving=True)
    rec = ctx.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and rec.error_message == "pip failed"
    assert route(ctx).upstream == "127.0.0.1:9"


def test_an_error_that_does_not_keep_serving_takes_the_route_away(ctx: Context) -> None:
    serving(ctx)
    stages.set_error(ctx, SPACE, Stage.RUNTIME_ERROR, "exited")
    rec = ctx.store.get_space(SPACE)
    assert rec.stage is Stage.RUNTIME_ERROR and rec.upstream is None
    assert route(ctx).upstream is None


def test_go_live_publishes_the_route_it_records(ctx: Context) -> None:
    serving(ctx)
    stages.go_live(ctx, SPACE, upstream="127.0.0.1:10")
    assert route(ctx).upstream == ctx.store.get_space(SPACE).upstream == "127.0.0.1:10"


def test_a_build_is_cancelled_unless_it_builds_the_revision_named() -> None:
    tasks = Tasks()
    cancel = tasks.building(SPACE, "r2")
    assert not tasks.cancel_build(SPACE, unless="r2") and not cancel.is_set()
    assert tasks.cancel_build(SPACE, unless="r3") and cancel.is_set()
    tasks.built(SPACE, cancel)
    assert not tasks.cancel_build(SPACE)  # nothing under way any more
    tasks.close()


def test_idle_time_counts_from_the_last_wake_whoever_reports_it() -> None:
    clock = Clock()
    awake = AwakeTimes(clock)
    assert awake.since(SPACE, clock.now) == clock.now  # never reported: from now on
    clock.now += 30
    awake.went_awake(SPACE)  # as recovery does after bringing a space back
    assert awake.since(SPACE, clock.now + 5) == clock.now


def test_the_parts_share_one_context_and_one_awake_clock(ctx: Context) -> None:
    clock = Clock()
    parts = assemble(ctx, ctx.runtime.list_managed, wall_clock=clock, activity=dict)
    try:
        assert parts.deployer.sleeper is parts.sleeper
        assert parts.deployer.recovery is parts.recovery
        assert {id(p.ctx) for p in (parts.sleeper, parts.recovery, parts.logs, parts.deployer)} == {
            id(ctx)
        }
        serving(ctx)
        rec = ctx.store.get_space(SPACE)
        parts.deployer.sleeper.went_awake(SPACE)
        clock.now += 42
        assert parts.sleeper.idle_seconds(rec, {}, clock.now) == 42
    finally:
        parts.sleeper.close()
        parts.recovery.close()
        parts.tasks.close()
