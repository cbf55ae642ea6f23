"""Sleep and wake: idle spaces are paused, then stopped; a request wakes them (docs/sleep.md).

Each router writes ``run/activity/router-PORT.json`` (when each space last saw a request, and
how many streaming or tunnelled connections it holds open; format: :mod:`spacehost.activityfile`);
:meth:`Sleeper.tick` reads them all, merged, once a second in the platform, and puts idle
RUNNING spaces to sleep. Two levels: *paused* (the container is frozen, memory kept, wakes in
milliseconds) and *stopped* (the same container stopped, memory freed, wakes with a ``docker
start`` and a health check). :meth:`Sleeper.wake` brings one back; concurrent wakes of one space
share one. At most ``Settings.max_awake`` spaces run or are paused at once: making room stops the
least recently used idle one.

Every clock is injected: unit tests drive ticks with a fake clock and never sleep.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from spacehost.activityfile import Activity, read_activities
from spacehost.domain import SpaceId, Stage
from spacehost.errors import (
    Conflict,
    EngineUnavailable,
    HardwareUnavailable,
    NotFound,
    SpacehostError,
)
from spacehost.lifecycle import stages
from spacehost.lifecycle.context import Context
from spacehost.lifecycle.gpushare import dedicated_gpus
from spacehost.lifecycle.health import wait_healthy
from spacehost.lifecycle.runlogs import RunLogs
from spacehost.lifecycle.tasks import Redeploy
from spacehost.store import SpaceRecord
from spacehost.ticker import Ticker

log = logging.getLogger(__name__)

PAUSED = "paused"
STOPPED = "stopped"
NEVER = -1  # a space's sleep time that keeps it awake
TICK_S = 1.0
# between publishing a space's asleep route and freezing it: more than the router's route-table
# check interval (0.1 s), so no request is forwarded to a process about to freeze
ROUTE_GRACE_S = 0.25


def is_awake(rec: SpaceRecord) -> bool:
    """True when the space holds memory: a container runs or is paused."""
    if rec.stage is Stage.SLEEPING:
        return rec.sleep_level == PAUSED
    return rec.container_id is not None and (
        rec.stage.is_serving or rec.stage is Stage.APP_STARTING
    )


class AwakeTimes:
    """When each space last went awake (started or woke): its idle time counts from there.
    Deploys and recoveries report here as the sleeper does.

    Args:
        clock: wall-clock seconds (the router's activity times are wall-clock).
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._since: dict[SpaceId, float] = {}

    def went_awake(self, space: SpaceId) -> None:
        """*space* started or woke now."""
        self._since[space] = self.clock()

    def since(self, space: SpaceId, now: float) -> float:
        """When *space* last went awake; *now* for a space never reported (recorded)."""
        return self._since.setdefault(space, now)


class Sleeper:
    """The sleep policy and the wakes of one platform.

    Args:
        ctx: the shared context of the platform's lifecycle parts.
        awake: when each space went awake (its clock is the sleeper's).
        logs: follows a woken container's run log again.
        redeploy: deploys a sleeper whose container is gone afresh.
        engine_down: told when a wake fails for want of the engine (``Recovery``).
        activity: returns the router's activity by space (default: the activity file).
    """

    def __init__(
        self,
        ctx: Context,
        awake: AwakeTimes,
        logs: RunLogs,
        redeploy: Redeploy,
        engine_down: Callable[[SpaceId, SpacehostError], None],
        *,
        activity: Callable[[], Mapping[str, Activity]] | None = None,
    ):
        self.ctx = ctx
        self.settings = ctx.settings
        self.awake = awake
        self._logs = logs
        self._redeploy = redeploy
        self._engine_down = engine_down
        self._activity = activity or (lambda: read_activities(self.settings.activity_dir))
        self._clock = awake.clock
        self._wakes: dict[SpaceId, Future[None]] = {}
        self._dozing: set[SpaceId] = set()  # going to sleep now (route asleep, store not yet)
        self._guard = threading.Lock()
        self._pool = ThreadPoolExecutor(4, thread_name_prefix="wake")
        self._ticker = Ticker(
            self.tick, TICK_S, name="sleeper", failed="sleep tick failed", log=log
        )

    # the idle loop ------------------------------------------------------------------------

    def start(self) -> None:
        """Run :meth:`tick` every second in a daemon thread, until :meth:`close`."""
        self._ticker.start()

    def close(self) -> None:
        self._ticker.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def activity(self) -> Mapping[str, Activity]:
        """The router's latest activity report."""
        return self._activity()

    def now(self) -> float:
        return self._clock()

    def went_awake(self, space: SpaceId) -> None:
        """*space* started or woke now: its idle time counts from here."""
        self.awake.went_awake(space)

    def sleep_time(self, rec: SpaceRecord) -> float:
        """Seconds idle before *rec* sleeps (its own sleep time, else the platform's)."""
        return self.settings.sleep_after_s if rec.sleep_time is None else float(rec.sleep_time)

    def idle_seconds(self, rec: SpaceRecord, activity: Mapping[str, Activity], now: float) -> float:
        """How long *rec* has had no request and no open connection."""
        seen = activity.get(str(rec.id))
        if seen is not None and seen.open > 0:
            return 0.0
        since = self.awake.since(rec.id, now)
        last = max(since, seen.last if seen else since)
        return max(0.0, now - last)

    def tick(self) -> list[tuple[SpaceId, str]]:
        """Put idle spaces to sleep; returns what it did, as (space, "paused"|"stopped")."""
        now = self._clock()
        activity = self._activity()
        done: list[tuple[SpaceId, str]] = []
        for rec in self.ctx.store.list_spaces():
            level = self._due(rec, activity, now)
            if level and self._put_to_sleep(rec.id, level):
                done.append((rec.id, level))
        done += self.make_room(activity=activity)
        return done

    def _due(self, rec: SpaceRecord, activity: Mapping[str, Activity], now: float) -> str:
        if rec.sleep_time == NEVER or rec.desired != "running" or rec.container_id is None:
            return ""
        awake_running = rec.stage is Stage.RUNNING
        paused = rec.stage is Stage.SLEEPING and rec.sleep_level == PAUSED
        if not (awake_running or paused):
            return ""
        idle = self.idle_seconds(rec, activity, now)
        # a space given a longer sleep time than the stop time still pauses first
        stop_after = max(self.settings.stop_after_s, self.sleep_time(rec))
        if idle >= stop_after:
            return STOPPED
        if awake_running and idle >= self.sleep_time(rec):
            return PAUSED
        return ""

    def make_room(
        self,
        keep: SpaceId | None = None,
        activity: Mapping[str, Activity] | None = None,
        extra: int = 0,
    ) -> list[tuple[SpaceId, str]]:
        """Stop least recently used idle spaces until at most ``max_awake`` (less *extra*
        about to wake or start) are awake; *keep* is never chosen."""
        activity = self._activity() if activity is None else activity
        awake = [r for r in self.ctx.store.list_spaces() if is_awake(r) and r.id != keep]
        excess = len(awake) + extra - self.settings.max_awake
        if excess <= 0:
            return []
        now = self._clock()
        idle = [
            r
            for r in awake
            if r.sleep_time != NEVER and activity.get(str(r.id), Activity(0.0)).open == 0
        ]
        idle.sort(key=lambda r: -self.idle_seconds(r, activity, now))  # longest idle first
        done = []
        for rec in idle[:excess]:
            if self._put_to_sleep(rec.id, STOPPED):
                done.append((rec.id, STOPPED))
        return done

    # going to sleep -----------------------------------------------------------------------

    def _put_to_sleep(self, space: SpaceId, level: str) -> bool:
        ctx = self.ctx
        lock = ctx.locks.lock(space)
        # never wait: a deploy holding this lock may itself be making room (and hold another)
        if not lock.acquire(blocking=False):
            return False
        try:
            return self._sleep_locked(space, level)
        finally:
            lock.release()

    def _sleep_locked(self, space: SpaceId, level: str) -> bool:
        ctx = self.ctx
        rec = ctx.store.find_space(space)
        if rec is None or rec.container_id is None or rec.desired != "running":
            return False
        if rec.stage is not Stage.RUNNING and not (
            rec.stage is Stage.SLEEPING and rec.sleep_level == PAUSED
        ):
            return False
        # the route first: the router must stop forwarding before the process freezes; a
        # request that arrives meanwhile is held and its wake waits for this sleep to end
        upstream = rec.upstream if level == PAUSED else None
        self._dozing.add(space)
        try:
            stages.publish_routes(
                ctx, replace(rec, stage=Stage.SLEEPING, sleep_level=level, upstream=upstream)
            )
            if rec.stage is Stage.RUNNING:
                self._ticker.wait(ROUTE_GRACE_S)  # cut short by close()
            ctx.store.update_space(
                space, stage=Stage.SLEEPING, sleep_level=level, upstream=upstream
            )
        finally:
            self._dozing.discard(space)
        try:
            if level == PAUSED:
                ctx.runtime.pause(rec.container_id)
            else:
                if rec.sleep_level == PAUSED and rec.stage is Stage.SLEEPING:
                    # a frozen process ignores SIGTERM; Conflict: nothing frozen (a Swarm
                    # space's pause already scaled it to zero), so the stop goes ahead
                    with contextlib.suppress(Conflict):
                        ctx.runtime.unpause(rec.container_id)
                ctx.runtime.stop(rec.container_id)
        except SpacehostError as exc:
            log.warning("could not put %s to sleep (%s): %s", space, level, exc)
            ctx.store.update_space(
                space, stage=Stage.RUNNING, sleep_level="", upstream=rec.upstream
            )
            stages.publish_routes(ctx)
            return False
        ctx.store.add_event(space, "sleep", f"idle: {level}")
        return True

    # waking -------------------------------------------------------------------------------

    def wake(self, space: SpaceId) -> Future[None] | None:
        """Wake *space* if it sleeps; concurrent calls share one wake. Returns the wake under
        way, or None when the space does not sleep (an explicitly PAUSED one never wakes)."""
        with self._guard:
            fut = self._wakes.get(space)
            if fut is not None and not fut.done():
                return fut
            rec = self.ctx.store.find_space(space)
            if rec is None or (rec.stage is not Stage.SLEEPING and space not in self._dozing):
                return None
            fut = self._pool.submit(self._wake, space)
            self._wakes[space] = fut
            return fut

    def _wake(self, space: SpaceId) -> None:
        try:
            self.make_room(keep=space, extra=1)
            with self.ctx.locks.lock(space):
                rec = self.ctx.store.find_space(space)
                if rec is None or rec.stage is not Stage.SLEEPING:
                    return
                if rec.sleep_level == PAUSED:
                    self._unpause(rec)
                else:
                    self._restart_stopped(rec)
        except EngineUnavailable as exc:  # woken once the engine is back (recovery.py)
            self._engine_down(space, exc)
        except Exception:
            log.exception("waking %s failed", space)
            stages.fail(self.ctx, space, "internal error while waking; see the platform's log")

    def _unpause(self, rec: SpaceRecord) -> None:
        ctx = self.ctx
        assert rec.container_id is not None
        try:
            ctx.runtime.unpause(rec.container_id)
        except (Conflict, NotFound):
            # not paused any more: the engine stopped it (a daemon restart) or it is gone
            self._restart_stopped(rec)
            return
        self.went_awake(rec.id)
        stages.go_live(ctx, rec.id, stage=Stage.RUNNING, sleep_level="", upstream=rec.upstream)
        ctx.store.add_event(rec.id, "wake", "woke from paused")

    def _restart_stopped(self, rec: SpaceRecord) -> None:
        ctx = self.ctx
        space = rec.id
        found = None if rec.container_id is None else ctx.runtime.inspect(rec.container_id)
        if found is None or rec.container_id is None or not self._gpus_back(rec, found.gpu_ids):
            # the container is gone (removed by hand), or a job holds the GPUs it was made
            # with: start the revision afresh (with other GPUs, or the "no free GPU" error)
            ctx.store.update_space(space, stage=Stage.APP_STARTING, sleep_level="")
            if rec.revision:
                self._redeploy(space, rec.revision, reuse_image=True)
            return
        stages.publish_routes(ctx)
        info = ctx.runtime.start_existing(rec.container_id)
        self._logs.follow_again(space, info.id)
        timeout = float(
            rec.manifest.get("startup_duration_timeout_s") or self.settings.startup_timeout_s
        )
        result = wait_healthy(
            lambda: ctx.runtime.inspect(info.id), deadline_s=timeout, interval_s=0.05
        )
        if not result.healthy or result.info is None:
            stages.fail(ctx, space, f"the app did not come back after sleeping ({result.reason})")
            return
        self.went_awake(space)
        # the engine may have published another host port: read it back
        stages.go_live(
            ctx, space, stage=Stage.RUNNING, upstream=f"{result.info.host}:{result.info.port}"
        )
        ctx.store.add_event(space, "wake", "woke from stopped")

    def _gpus_back(self, rec: SpaceRecord, made_with: tuple[str, ...]) -> bool:
        """Mark *rec* as starting, holding the GPUs its stopped container was made with;
        False (nothing marked) when a job holds one of them now (gpuledger.py)."""
        ctx, ledger = self.ctx, self.ctx.gpus.ledger
        count = dedicated_gpus(rec.hardware)

        def mark() -> None:
            ctx.store.update_space(rec.id, stage=Stage.APP_STARTING, sleep_level="")

        if not count or not ledger.gpu_ids:
            mark()
            return True
        ids = ledger.chosen(str(rec.id)) or made_with or ledger.gpu_ids[:count]
        try:
            ledger.check_space(str(rec.id), ids, then=mark)
        except HardwareUnavailable as exc:
            log.info("%s cannot wake on its GPUs: %s", rec.id, exc.message)
            return False
        return True


__all__ = ["NEVER", "PAUSED", "STOPPED", "AwakeTimes", "Sleeper", "is_awake"]
