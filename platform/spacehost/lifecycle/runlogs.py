"""Run logs and crash detection: follow a container's log into the store (secrets masked),
notice when its container stops, record the error and schedule a crash restart.

:class:`RunLogs` follows containers; its follower threads and redactors live in the shared
:class:`~spacehost.lifecycle.context.Context`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from spacehost.domain import SpaceId, Stage
from spacehost.errors import EngineUnavailable, SpacehostError
from spacehost.lifecycle import stages
from spacehost.lifecycle.backoff import CrashRestarts
from spacehost.lifecycle.context import Context
from spacehost.lifecycle.redact import Redactor
from spacehost.lifecycle.tasks import Redeploy

log = logging.getLogger(__name__)

LOG_TAIL = 30
TRIM_EVERY = 500  # run-log lines between two trims of a space's run log


def tail(lines: list[str], n: int = LOG_TAIL) -> str:
    """The last *n* lines as text (an error message's log tail)."""
    return "\n".join(lines[-n:])


def redactor_for(ctx: Context, space: SpaceId) -> Redactor:
    """Masks the space's current secret values (an unreadable secret masks nothing)."""
    try:
        return Redactor(ctx.config.secret_values(space).values())
    except SpacehostError:
        return Redactor()


class RunLogs:
    """Follows containers' run logs into the store and handles the end of each.

    Args:
        ctx: the shared context (its ``followers`` and ``redactors`` are this class's state).
        crashes: schedules the crash restart of a space whose container stopped.
        container_lost: called with the space and container when a log stream ended
            because the engine does not answer (``Recovery.container_lost``).
    """

    def __init__(
        self, ctx: Context, crashes: CrashRestarts, container_lost: Callable[[SpaceId, str], None]
    ) -> None:
        self.ctx = ctx
        self.crashes = crashes
        self._container_lost = container_lost

    def following(self, container_id: str) -> bool:
        """True while *container_id*'s run log is followed."""
        return container_id in self.ctx.followers

    def follow(
        self,
        space: SpaceId,
        container_id: str,
        redact: Redactor | None = None,
        *,
        resume: bool = False,
    ) -> None:
        """Store *container_id*'s run log as it is written, masked by *redact* (default: the
        space's secrets now); *resume*: only what the engine logged since the last stored
        line of that container (its time, the store's clock)."""
        ctx = self.ctx
        redact = redactor_for(ctx, space) if redact is None else redact
        ctx.redactors[container_id] = redact
        last = ctx.store.logs(space, "run", tail=1, ref=container_id) if resume else []
        since = last[0].ts if last else None
        t = threading.Thread(
            target=self.pump,
            args=(space, container_id, redact, since),
            name=f"logs-{container_id[:12]}",
            daemon=True,
        )
        ctx.followers[container_id] = t
        t.start()

    def follow_again(self, space: SpaceId, container_id: str) -> None:
        """Store the run log of *container_id* again (a stopped container started again, a
        running one adopted), from where the stored log ends: no line is stored twice."""
        if container_id not in self.ctx.followers:
            self.follow(space, container_id, resume=True)

    def pump(
        self, space: SpaceId, container_id: str, redact: Redactor, since: float | None = None
    ) -> None:
        """The follower thread: store each line, then handle the end of the container."""
        ctx = self.ctx
        try:
            lines = ctx.runtime.follow_logs(container_id, since=since)
            for count, line in enumerate(lines, start=1):
                if ctx.closed.is_set():  # the next start adopts it and resumes from here
                    break
                # masked before it is stored: the API, pages and the DB never see the value
                ctx.store.append_logs(space, "run", container_id, [redact(line)])
                if count % TRIM_EVERY == 0:  # a chatty app must not grow the store forever
                    ctx.store.trim_logs(space, "run", ctx.settings.log_lines_kept)
        except SpacehostError:
            pass
        finally:
            ctx.followers.pop(container_id, None)
        if not ctx.closed.is_set():
            try:
                self.on_container_stopped(space, container_id)
            except EngineUnavailable:  # the engine stopped (a daemon restart): recovery.py
                self._container_lost(space, container_id)
            except Exception:  # this thread must not die silently
                log.exception(
                    "handling the end of %s's container %s failed", space, container_id[:12]
                )
        ctx.redactors.pop(container_id, None)

    def on_container_stopped(self, space: SpaceId, container_id: str) -> None:
        """A serving container's log ended: when it stopped, record RUNTIME_ERROR with its
        log tail and schedule a crash restart."""
        ctx = self.ctx
        rec = ctx.store.find_space(space)
        # RUNNING_BUILDING / RUNNING_APP_STARTING too: the old container must leave the route
        if rec is None or rec.container_id != container_id or not rec.stage.is_serving:
            return
        info = ctx.runtime.inspect(container_id)
        if info is not None and info.is_running:
            return
        if info is not None and info.oom_killed:
            msg = "the app was killed: out of memory (OOM-killed)"
        else:
            msg = f"the app exited with code {info.exit_code if info else None}"
        # the engine's copy of the output is complete even when the pump missed the last lines
        lines = (
            ctx.runtime.logs(container_id, tail=LOG_TAIL)
            if info is not None
            else [ln.line for ln in ctx.store.logs(space, "run", tail=LOG_TAIL, ref=container_id)]
        )
        text = self.redactor(space, container_id)(tail(lines))
        ctx.store.update_space(
            space,
            stage=Stage.RUNTIME_ERROR,
            upstream=None,
            error_message=f"{msg}\n\n{text}".strip(),
        )
        ctx.store.add_event(space, "runtime_error", msg)
        stages.publish_routes(ctx)
        # during a redeploy the deploy under way replaces it: no restart of the old one
        if ctx.settings.crash_restart and rec.desired == "running" and rec.stage is Stage.RUNNING:
            delay = self.crashes.crashed(space)
            ctx.store.add_event(
                space,
                "restart_scheduled",
                f"restarting in {delay:g} s (crash {self.crashes.crashes(space)} in a row)",
            )

    def redactor(self, space: SpaceId, container_id: str) -> Redactor:
        """The redactor *container_id*'s log is masked with, else the space's secrets now."""
        return self.ctx.redactors.get(container_id) or redactor_for(self.ctx, space)


def crash_restart(ctx: Context, redeploy: Redeploy, space: SpaceId, crashes: int) -> None:
    """The backoff wait of a crashed space is over: redeploy its revision (same image)."""
    if ctx.closed.is_set():
        return
    rec = ctx.store.find_space(space)
    if (
        rec is None
        or rec.desired != "running"
        or not rec.revision
        or rec.stage is not Stage.RUNTIME_ERROR
    ):
        return  # something else (a push, a restart) has taken over
    ctx.store.add_event(space, "restart", f"automatic restart after crash {crashes} in a row")
    redeploy(space, rec.revision, reuse_image=True)
