"""Property-based test of the lifecycle: random sequences of pushes (good, failing build, app
exiting at start, static), crashes, restarts, deletes, idle time (sleep: paused, then stopped),
visits (wake), explicit pauses and Docker daemon restarts (every container stops, the engine
answers nothing, then it is back and the platform recovers) of two spaces, driven through
:class:`Platform` with OutageBackend/FakeBuilder, a fake clock and at most one space awake;
after every step the engine,
the store and the route table must agree with each other and with a small model of what should
be serving.

Automatic crash restarts are disabled (their timing is covered by test_lifecycle_crash.py), so
a crashed space stays in RUNTIME_ERROR until the next push or restart.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import spacehost.lifecycle.deploy as deploy_module
from spacehost.domain import SpaceId, Stage
from spacehost.lifecycle.sleep import PAUSED, STOPPED
from spacehost.settings import Settings
from spacehost.store import SpaceRecord
from tests.fakes import FakeBuilder, OutageBackend
from tests.support.platforms import new_platform
from tests.support.polling import wait_for

SPACES = (SpaceId("alice", "one"), SpaceId("bob", "two"))
GOOD, BUILD_FAILS, EXITS, STATIC = "good", "build fails", "exits at start", "static"


def files_for(kind: str, version: int) -> dict[str, bytes]:
    """A space folder of *kind*; the same (kind, version) gives the same revision."""
    if kind == STATIC:
        return {
            "README.md": b"---\ntitle: S\nsdk: static\n---\n",
            "index.html": f"<p>v{version}</p>".encode(),
        }
    body = {
        GOOD: f"print({version})",
        BUILD_FAILS: f"BUILD_FAIL {version}",
        EXITS: f"raise SystemExit({version})",
    }[kind]
    return {"README.md": b"---\ntitle: D\nsdk: gradio\n---\n", "app.py": body.encode()}


@dataclass
class Model:
    """What should be true of one space."""

    revision: str = ""  # the last pushed revision
    kind: str = ""  # its kind
    serving: str | None = None  # the revision that answers visitors, if any
    serving_kind: str = ""
    paused: bool = False  # explicitly paused (only a restart or a push brings it back)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class LifecycleMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._tmp = tempfile.TemporaryDirectory(prefix="stage-machine-")
        tmp = Path(self._tmp.name)
        self._grace = deploy_module.SWITCH_GRACE_S
        deploy_module.SWITCH_GRACE_S = 0.0  # no router reads the table here
        self.backend, self.builder = OutageBackend(), FakeBuilder()
        settings = Settings(
            data_dir=tmp,
            startup_timeout_s=5.0,
            crash_restart=False,
            sleep_after_s=60,
            stop_after_s=600,
            max_awake=1,
        )
        self.clock = Clock()
        # no router: no request is ever seen, so idle time is the clock's advance
        self.platform = new_platform(
            tmp,
            self.backend,
            self.builder,
            settings=settings,
            engine_probe=self.backend.check,
            wall_clock=self.clock,
            activity=dict,
        )
        self.model: dict[SpaceId, Model] = {}

    def teardown(self) -> None:
        self.platform.close()
        self.platform.wait_idle(10)
        for cid in list(self.backend.containers):
            self.backend.remove(cid)
        self.platform.store.close()
        deploy_module.SWITCH_GRACE_S = self._grace
        self._tmp.cleanup()

    @initialize()
    def start(self) -> None:
        self.platform.publish_routes()

    # helpers --------------------------------------------------------------------------------

    def settle(self) -> None:
        assert self.platform.wait_idle(20), "a deploy never finished"
        self.backend.exit_on_start = None  # a push that started nothing leaves it armed

    def record(self, space: SpaceId) -> object:
        return self.platform.store.find_space(space)

    def routes(self) -> dict[str, dict[str, object]]:
        data = json.loads(self.platform.settings.routes_file.read_text())
        return {e["space"]: e for e in data["spaces"]}

    # rules ----------------------------------------------------------------------------------

    @rule(
        space=st.sampled_from(SPACES),
        kind=st.sampled_from([GOOD, BUILD_FAILS, EXITS, STATIC]),
        version=st.integers(0, 2),
    )
    def push(self, space: SpaceId, kind: str, version: int) -> None:
        rec = self.platform.store.find_space(space)
        if kind == EXITS:
            self.backend.exit_on_start = 3
        result = self.platform.push(space, files_for(kind, version))
        self.settle()
        m = self.model.setdefault(space, Model())
        # the platform skips a push of exactly the files that serve without an error
        if (
            rec is not None
            and rec.serving_revision == result.revision
            and rec.stage is Stage.RUNNING
            and not rec.error_message
        ):
            assert result.unchanged
            return
        assert not result.unchanged
        m.revision, m.kind = result.revision, kind
        self.deployed(m, rec)

    def deployed(self, m: Model, before: object) -> None:
        """The model after the deploy of *m.revision* (a push or a restart) finished; *before*
        is the space's record before it."""
        m.paused = False
        if isinstance(before, SpaceRecord) and before.stage is Stage.SLEEPING:
            m.serving = None  # a sleeping container is not kept as a fallback
        if m.kind in (GOOD, STATIC):
            m.serving, m.serving_kind = m.revision, m.kind
        # otherwise the deploy failed: what served before (a container or a static revision's
        # files) serves on, with the error shown

    def in_stage(self, stage: Stage) -> list[SpaceId]:
        return sorted(r.id for r in self.platform.store.list_spaces() if r.stage is stage)

    @precondition(
        lambda self: any(m.serving and m.serving_kind != STATIC for m in self.model.values())
    )
    @rule(data=st.data())
    def crash(self, data: st.DataObject) -> None:
        candidates = [
            s
            for s in self.in_stage(Stage.RUNNING)
            if self.model[s].serving and self.model[s].serving_kind != STATIC
        ]
        if not candidates:
            return
        space = data.draw(st.sampled_from(candidates))
        rec = self.platform.store.get_space(space)
        assert rec.container_id is not None
        self.backend.crash(rec.container_id)
        wait_for(lambda: self.platform.store.get_space(space).stage is Stage.RUNTIME_ERROR)
        self.model[space].serving = None

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def restart(self, data: st.DataObject) -> None:
        space = data.draw(st.sampled_from(sorted(self.model)))
        before = self.platform.store.get_space(space)
        self.platform.restart(space)
        self.settle()
        m = self.model[space]
        if m.kind == EXITS:
            m.kind = GOOD  # the app exited only at its first start (FakeBackend.exit_on_start)
        self.deployed(m, before)

    @rule(seconds=st.sampled_from([30, 60, 600]))
    def idle(self, seconds: int) -> None:
        """Time passes without a request; the sleeper's tick puts idle spaces to sleep."""
        self.clock.now += seconds
        for space, _level in self.platform.sleeper.tick():
            m = self.model[space]
            assert m.serving and m.serving_kind != STATIC, f"{space} slept, nothing served"

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def visit(self, data: st.DataObject) -> None:
        """A request reaches a space: a sleeping one wakes (an explicitly paused one not)."""
        space = data.draw(st.sampled_from(sorted(self.model)))
        stage = self.platform.store.get_space(space).stage
        fut = self.platform.sleeper.wake(space)
        assert (fut is not None) == (stage is Stage.SLEEPING)
        if fut is not None:
            fut.result(timeout=10)
            self.settle()
            rec = self.platform.store.get_space(space)
            assert rec.stage is Stage.RUNNING, f"{space} woke to {rec.stage}: {rec.error_message}"

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def pause(self, data: st.DataObject) -> None:
        space = data.draw(st.sampled_from(sorted(self.model)))
        self.platform.pause(space)
        self.settle()
        m = self.model[space]
        m.serving, m.paused = None, True

    @precondition(lambda self: bool(self.model))
    @rule()
    def daemon_restart(self) -> None:
        """The Docker daemon stops (every container with it) and starts again: what served
        serves again, a paused sleeper sleeps on as stopped, a paused space stays paused."""
        running = {c.spec.space for c in self.backend.containers.values() if c.status == "running"}
        self.backend.stop_engine()
        watch = self.platform.recovery.watch
        watch.step()
        assert watch.down
        # the log streams of the running containers ended and found no engine (a real daemon
        # takes seconds to stop and start: they report before it is back)
        wait_for(
            lambda: running <= self.platform.recovery.waiting(),
            what="the lost containers to be reported",
        )
        self.backend.start_engine()
        # the next probes (at most one recovery every RETRY_MAX_S) find it back and recover
        wait_for(lambda: (watch.step(), not watch.down)[1], what="the recovery")
        self.settle()

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        space = data.draw(st.sampled_from(sorted(self.model)))
        self.platform.delete(space)
        self.settle()
        del self.model[space]

    # invariants -----------------------------------------------------------------------------

    @invariant()
    def engine_store_and_routes_agree(self) -> None:
        store, routes = self.platform.store, self.routes()
        known = {str(r.id) for r in store.list_spaces()}
        assert known == {str(s) for s in self.model}
        assert set(routes) == known
        for c in self.backend.containers.values():
            assert str(c.spec.space) in known, f"orphan container of {c.spec.space}"
        for space in SPACES:
            running = [
                c
                for c in self.backend.containers.values()
                if c.spec.space == space and c.status == "running"
            ]
            assert len(running) <= 1, f"{space}: {len(running)} running containers"
            rec = store.find_space(space)
            if rec is None:
                assert not [c for c in self.backend.containers.values() if c.spec.space == space]
                continue
            assert rec.stage in Stage
            m = self.model[space]
            assert rec.revision == m.revision
            assert (rec.stage is Stage.PAUSED) == m.paused
            if m.serving is None:
                assert rec.stage not in (Stage.RUNNING, Stage.SLEEPING), (
                    f"{space} is {rec.stage}, nothing should serve"
                )
                assert routes[str(space)]["upstream"] is None
                assert not running
                continue
            assert rec.serving_revision == m.serving
            # the route follows what answers, not the revision that failed after it
            assert routes[str(space)]["sdk"] == ("static" if m.serving_kind == STATIC else "gradio")
            if m.revision != m.serving:
                assert rec.error_message, f"{space}: its failed deploy shows no error"
            if rec.stage is Stage.SLEEPING:
                assert m.serving_kind != STATIC and not running
                # a paused one keeps its upstream: the router forwards to it once thawed
                assert routes[str(space)]["upstream"] == (
                    rec.upstream if rec.sleep_level == PAUSED else None
                )
                assert routes[str(space)]["asleep"] == rec.sleep_level
                assert rec.container_id is not None
                status = self.backend.containers[rec.container_id].status
                assert status == {PAUSED: "paused", STOPPED: "exited"}[rec.sleep_level]
                continue
            assert rec.stage is Stage.RUNNING, f"{space} is {rec.stage}: {rec.error_message}"
            if m.serving_kind == STATIC:
                assert routes[str(space)]["static_dir"] and not running
                continue
            (c,) = running
            assert rec.container_id == c.id and c.spec.revision == m.serving
            info = self.backend.inspect(c.id)
            assert info is not None and rec.upstream == f"{info.host}:{info.port}"
            assert routes[str(space)]["upstream"] == rec.upstream


LifecycleMachine.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLifecycleMachine = LifecycleMachine.TestCase
