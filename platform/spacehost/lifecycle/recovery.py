"""Bringing spaces back after the container engine restarts (docs/architecture.md, lifecycle).

Without live-restore the Docker daemon stops every container when it stops, and answers no call
while it is down. What the platform sees, and does:

- a running space's log stream ends and the engine does not answer: its container went with the
  engine (:meth:`Recovery.container_lost`). Unless its app still answers (a daemon killed with
  -9 leaves containers running), it shows RUNTIME_ERROR with a message saying it comes back
  by itself, and the router stops sending it requests;
- a deploy, a restart or a wake fails for want of the engine (:meth:`Recovery.engine_failed`):
  the space is noted, a deploy under way shows the same RUNTIME_ERROR (an older revision that
  still answers keeps serving);
- :class:`~spacehost.lifecycle.engine_watch.EngineWatch` probes the engine and, once it answers
  again, calls :meth:`Recovery.recover`: a stopped container of a space that should serve is
  started again (same revision, image and volume; the engine may publish another port), a
  space without one is deployed again from its image, a deploy the outage broke is retried,
  a paused sleeper whose container stopped sleeps on as *stopped* (it wakes with a start).
  An explicitly paused space stays stopped.

The platform's own restart uses :meth:`Recovery.restart_container` too (reconcile), so a
machine reboot brings spaces back the same way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from spacehost.domain import SpaceId, Stage, transition_allowed
from spacehost.errors import EngineUnavailable, SpacehostError
from spacehost.lifecycle import stages
from spacehost.lifecycle.backoff import CrashRestarts
from spacehost.lifecycle.context import Context
from spacehost.lifecycle.engine_watch import EngineWatch
from spacehost.lifecycle.health import http_status, wait_healthy
from spacehost.lifecycle.runlogs import RunLogs
from spacehost.lifecycle.sleep import PAUSED, STOPPED, AwakeTimes
from spacehost.lifecycle.tasks import Redeploy, Tasks
from spacehost.store import SpaceRecord

log = logging.getLogger(__name__)

ENGINE_DOWN = (
    "the container engine (Docker) stopped and the app's container with it; "
    "the space starts again by itself as soon as the engine answers"
)
# stages of a deploy under way: an engine failure in them is shown (others keep their stage)
_DEPLOYING = frozenset(
    {Stage.BUILDING, Stage.APP_STARTING, Stage.RUNNING_BUILDING, Stage.RUNNING_APP_STARTING}
)
PROBE_TIMEOUT_S = 1.0  # asking a lost space's app whether it still answers
# how long an app that answers is believed over an engine that reports its container stopped
# (a Swarm manager just restarted: its view of the nodes' tasks settles within seconds)
REPORT_SETTLE_S = 30.0


def lost_message(previous: str) -> str:
    """The error of a space whose container went with the engine; an error it showed already
    (a failed deploy of a newer revision, say) is kept after it."""
    previous = after_outage(previous)
    return f"{ENGINE_DOWN}\n\n{previous}" if previous else ENGINE_DOWN


def after_outage(message: str) -> str:
    """The error a space shows again once the engine is back: what it showed before."""
    if message.startswith(ENGINE_DOWN):
        return message.removeprefix(ENGINE_DOWN).strip()
    return "" if ENGINE_DOWN in message else message


class Recovery:
    """The engine-outage side of one platform.

    Args:
        ctx: the shared context of the platform's lifecycle parts.
        probe: a cheap engine call that raises when the engine does not answer.
        tasks: the deploy pool (container restarts run on it).
        redeploy: deploys a space again.
        logs: follows a restarted container's run log again.
        awake: told when a restarted space is awake again.
        crashes: told when a restarted space is live again.
    """

    def __init__(
        self,
        ctx: Context,
        probe: Callable[[], object],
        *,
        tasks: Tasks,
        redeploy: Redeploy,
        logs: RunLogs,
        awake: AwakeTimes,
        crashes: CrashRestarts,
    ) -> None:
        self.ctx = ctx
        self._tasks = tasks
        self._redeploy = redeploy
        self._logs = logs
        self._awake = awake
        self._crashes = crashes
        self.watch = EngineWatch(probe, self.recover)
        self._guard = threading.Lock()
        self._lost: set[SpaceId] = set()  # their container went with the engine
        self._retry: set[SpaceId] = set()  # a deploy of theirs failed for want of the engine
        self._settling: dict[SpaceId, float] = {}  # reported stopped, still answering: since

    def start(self) -> None:
        """Watch the engine (a daemon thread) until :meth:`close`."""
        self.watch.start()

    def close(self) -> None:
        self.watch.close()

    def waiting(self) -> set[SpaceId]:
        """The spaces waiting for the engine (for tests and status)."""
        with self._guard:
            return self._lost | self._retry

    # what the platform reports ------------------------------------------------------------

    def container_lost(self, space: SpaceId, container_id: str) -> None:
        """*container_id*'s log stream ended and the engine does not answer."""
        with self._guard:
            self._lost.add(space)
        self.watch.lost()
        ctx = self.ctx
        rec = ctx.store.find_space(space)
        if rec is None or rec.container_id != container_id or not rec.stage.is_serving:
            return
        # the data path does not depend on the engine: an app that still answers serves on
        if rec.upstream and http_status(rec.upstream, timeout=PROBE_TIMEOUT_S) is not None:
            return
        ctx.store.update_space(
            space,
            stage=Stage.RUNTIME_ERROR,
            upstream=None,
            error_message=lost_message(rec.error_message),
        )
        ctx.store.add_event(space, "engine", "the container engine went away")
        stages.publish_routes(ctx)

    def engine_failed(self, space: SpaceId, exc: SpacehostError, *, deploy: bool) -> None:
        """An engine call for *space* failed because the engine does not answer; *deploy*:
        it was a deploy, which :meth:`recover` runs again."""
        log.warning("%s waits for the container engine: %s", space, exc.message)
        with self._guard:
            (self._retry if deploy else self._lost).add(space)
        self.watch.lost()
        rec = self.ctx.store.find_space(space)
        if rec is not None and rec.stage in _DEPLOYING:
            stages.set_error(
                self.ctx,
                space,
                Stage.RUNTIME_ERROR,
                f"{exc.message}\n\n{ENGINE_DOWN}",
                keep_serving=True,
            )

    # coming back --------------------------------------------------------------------------

    def recover(self) -> None:
        """The engine answers again: bring every space that should run back to its stage.

        Raises:
            EngineUnavailable: the engine went away again (what was not done is kept for the
                next recovery).
        """
        with self._guard:
            lost, self._lost = self._lost, set()
            retry, self._retry = self._retry, set()
        ctx = self.ctx
        for rec in ctx.store.list_spaces():
            lock = ctx.locks.lock(rec.id)
            if not lock.acquire(blocking=False):
                # a deploy holds it: it finishes by itself, or fails and reports again
                self._keep(rec.id, lost, retry)
                continue
            try:
                self._recover_space(rec.id, rec.id in lost, rec.id in retry)
            except EngineUnavailable:
                self._keep(rec.id, lost, retry)
                with self._guard:
                    self._lost |= lost
                    self._retry |= retry
                raise
            finally:
                lock.release()
            lost.discard(rec.id)
            retry.discard(rec.id)

    def _serves_on(self, space: SpaceId, upstream: str) -> bool:
        """The engine reports *space*'s container stopped, yet its app still answers at its
        address: believe the app for up to REPORT_SETTLE_S and look again at the next recovery
        (a Swarm manager whose engine just restarted may not know yet that a worker's task runs
        on; starting it anew would take down a space that never stopped serving)."""
        if http_status(upstream, timeout=PROBE_TIMEOUT_S) is None:
            self._settling.pop(space, None)
            return False
        since = self._settling.setdefault(space, time.monotonic())
        if time.monotonic() - since > REPORT_SETTLE_S:
            self._settling.pop(space, None)
            return False
        log.info("%s: reported stopped but its app answers at %s: looking again", space, upstream)
        with self._guard:
            self._lost.add(space)
        self.watch.lost()
        return True

    def _keep(self, space: SpaceId, lost: set[SpaceId], retry: set[SpaceId]) -> None:
        with self._guard:
            if space in lost:
                self._lost.add(space)
            if space in retry:
                self._retry.add(space)

    def _recover_space(self, space: SpaceId, lost: bool, retry: bool) -> None:
        ctx = self.ctx
        rec = ctx.store.find_space(space)
        if rec is None or rec.desired != "running" or not rec.revision:
            return  # deleted, or paused on purpose: it stays as it is
        if rec.stage is Stage.SLEEPING:
            self._settle_asleep(rec)
            return
        if stages.serves_static(ctx, rec):
            if retry:
                self._redeploy(space, rec.revision)
            return
        info = ctx.runtime.inspect(rec.container_id) if rec.container_id else None
        if info is not None and info.is_running and info.host and info.port:
            # it outlived the outage (a daemon killed with -9 leaves containers running)
            self._settling.pop(space, None)
            upstream = f"{info.host}:{info.port}"
            if rec.upstream != upstream or not rec.stage.is_serving:
                stage = rec.stage if rec.stage.is_serving else Stage.RUNNING
                stages.go_live(
                    ctx,
                    space,
                    stage=stage,
                    upstream=upstream,
                    error_message=after_outage(rec.error_message),
                )
            self._logs.follow_again(space, info.id)
            if retry and rec.revision != rec.serving_revision:
                self._redeploy(space, rec.revision)
            return
        if not (lost or retry or rec.stage.is_serving):
            return  # an error of its own (a failed build, a crash restarting with backoff)
        if rec.stage.is_serving and rec.upstream and self._serves_on(space, rec.upstream):
            return
        if info is not None and rec.serving_revision:
            ctx.store.add_event(space, "engine", "the engine is back: starting the container again")
            log.info(
                "%s: the engine is back and reports its container %s (%s): starting it again",
                space,
                info.id,
                info.status,
            )
            self._tasks.submit(self.restart_container, space, info.id, retry)
            return
        ctx.store.add_event(space, "engine", "the engine is back: deploying the space again")
        self._redeploy(space, rec.revision, reuse_image=True)

    def _settle_asleep(self, rec: SpaceRecord) -> None:
        """A paused sleeper's container was stopped with the daemon: it sleeps on as stopped
        (a request starts it); one whose container is gone is deployed afresh on its wake."""
        if rec.sleep_level != PAUSED or rec.container_id is None:
            return
        info = self.ctx.runtime.inspect(rec.container_id)
        if info is not None and info.status == "paused":
            return
        self.ctx.store.update_space(rec.id, sleep_level=STOPPED, upstream=None)
        stages.publish_routes(self.ctx)

    def restart_container(self, space: SpaceId, container_id: str, retry: bool = False) -> None:
        """Start *space*'s stopped container again (same revision, image and volume) and serve
        it once it answers; *retry*: then deploy the space's newer revision, whose deploy the
        outage broke. Runs on the deploy pool (:class:`~spacehost.lifecycle.tasks.Tasks`)."""
        ctx = self.ctx
        with ctx.locks.lock(space):
            rec = ctx.store.find_space(space)
            if rec is None or rec.container_id != container_id or rec.desired != "running":
                return
            try:
                started = self._restart_locked(rec, container_id)
            except EngineUnavailable as exc:
                self.engine_failed(space, exc, deploy=retry)
                return
            except SpacehostError as exc:  # the container vanished: start the revision afresh
                log.warning(
                    "cannot start %s's container again (%s): deploying it", space, exc.message
                )
                started = False
                if rec.revision:
                    self._redeploy(space, rec.revision, reuse_image=True)
        if started and retry and rec.revision and rec.revision != rec.serving_revision:
            self._redeploy(space, rec.revision)

    def _restart_locked(self, rec: SpaceRecord, container_id: str) -> bool:
        ctx = self.ctx
        space = rec.id
        if not transition_allowed(rec.stage, Stage.APP_STARTING):  # RUNNING_BUILDING, say
            ctx.store.update_space(
                space,
                stage=Stage.RUNTIME_ERROR,
                upstream=None,
                error_message=lost_message(rec.error_message),
            )
        ctx.store.update_space(space, stage=Stage.APP_STARTING, upstream=None)
        stages.publish_routes(ctx)
        info = ctx.runtime.start_existing(container_id)
        self._logs.follow_again(space, info.id)
        manifest = stages.served_manifest(ctx, rec)
        timeout = float(
            manifest.get("startup_duration_timeout_s") or ctx.settings.startup_timeout_s
        )
        result = wait_healthy(
            lambda: ctx.runtime.inspect(info.id), deadline_s=timeout, interval_s=0.1
        )
        if not result.healthy or result.info is None:
            stages.fail(
                ctx,
                space,
                f"the app did not come back after the engine restarted ({result.reason})",
            )
            return False
        self._awake.went_awake(space)
        self._crashes.went_live(space)
        stages.go_live(
            ctx,
            space,
            stage=Stage.RUNNING,
            upstream=f"{result.info.host}:{result.info.port}",
            error_message=after_outage(rec.error_message),
        )
        ctx.store.add_event(space, "running", "running again after the engine restarted")
        return True


__all__ = ["ENGINE_DOWN", "Recovery", "after_outage", "lost_message"]
