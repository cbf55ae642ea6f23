"""Run logs and crash detection: follow a container's log into the store (secrets masked),
notice when its container stops, record the error and schedule a crash restart.

Plain functions over the :class:`~spacehost.lifecycle.platform.Platform` they serve (its
follower threads and redactors live on it); the platform is their one caller.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from spacehost.domain import SpaceId, Stage
from spacehost.errors import EngineUnavailable, SpacehostError
from spacehost.lifecycle.redact import Redactor

if TYPE_CHECKING:
    from spacehost.lifecycle.platform import Platform

log = logging.getLogger(__name__)

LOG_TAIL = 30
TRIM_EVERY = 500  # run-log lines between two trims of a space's run log


def tail(lines: list[str], n: int = LOG_TAIL) -> str:
    """The last *n* lines as text (an error message's log tail)."""
    return "\n".join(lines[-n:])


def redactor_for(p: Platform, space: SpaceId) -> Redactor:
    """Masks the space's current secret values (an unreadable secret masks nothing)."""
    try:
        return Redactor(p.config.secret_values(space).values())
    except SpacehostError:
        return Redactor()


def follow(p: Platform, space: SpaceId, container_id: str, redact: Redactor, *,
           resume: bool = False) -> None:
    """Store *container_id*'s run log as it is written; *resume*: only what the engine
    logged since the last stored line of that container (its time, the store's clock)."""
    p._redactors[container_id] = redact
    last = p.store.logs(space, "run", tail=1, ref=container_id) if resume else []
    since = last[0].ts if last else None
    t = threading.Thread(target=pump, args=(p, space, container_id, redact, since),
                         name=f"logs-{container_id[:12]}", daemon=True)
    p._followers[container_id] = t
    t.start()


def pump(p: Platform, space: SpaceId, container_id: str, redact: Redactor,
         since: float | None = None) -> None:
    """The follower thread: store each line, then handle the end of the container."""
    try:
        lines = p.runtime.follow_logs(container_id, since=since)
        for count, line in enumerate(lines, start=1):
            # masked before it is stored: the API, pages and the DB never see the value
            p.store.append_logs(space, "run", container_id, [redact(line)])
            if count % TRIM_EVERY == 0:  # a chatty app must not grow the store forever
                p.store.trim_logs(space, "run", p.settings.log_lines_kept)
    except SpacehostError:
        pass
    finally:
        p._followers.pop(container_id, None)
    if not p._closed.is_set():
        try:
            on_container_stopped(p, space, container_id)
        except EngineUnavailable:  # the engine stopped (a daemon restart): recovery.py
            p.recovery.container_lost(space, container_id)
        except Exception:  # this thread must not die silently
            log.exception("handling the end of %s's container %s failed", space,
                          container_id[:12])
    p._redactors.pop(container_id, None)


def on_container_stopped(p: Platform, space: SpaceId, container_id: str) -> None:
    """A serving container's log ended: when it stopped, record RUNTIME_ERROR with its log
    tail and schedule a crash restart."""
    rec = p.store.find_space(space)
    # RUNNING_BUILDING / RUNNING_APP_STARTING too: the old container must leave the route
    if rec is None or rec.container_id != container_id or not rec.stage.is_serving:
        return
    info = p.runtime.inspect(container_id)
    if info is not None and info.is_running:
        return
    if info is not None and info.oom_killed:
        msg = "the app was killed: out of memory (OOM-killed)"
    else:
        msg = f"the app exited with code {info.exit_code if info else None}"
    # the engine's copy of the output is complete even when the pump missed the last lines
    lines = (p.runtime.logs(container_id, tail=LOG_TAIL) if info is not None else
             [ln.line for ln in p.store.logs(space, "run", tail=LOG_TAIL, ref=container_id)])
    redact = p._redactors.get(container_id) or redactor_for(p, space)
    text = redact(tail(lines))
    p.store.update_space(space, stage=Stage.RUNTIME_ERROR, upstream=None,
                         error_message=f"{msg}\n\n{text}".strip())
    p.store.add_event(space, "runtime_error", msg)
    p.publish_routes()
    # during a redeploy the deploy under way replaces it: no restart of the old one
    if p.settings.crash_restart and rec.desired == "running" and rec.stage is Stage.RUNNING:
        delay = p.crashes.crashed(space)
        p.store.add_event(space, "restart_scheduled", f"restarting in {delay:g} s "
                          f"(crash {p.crashes.crashes(space)} in a row)")


def crash_restart(p: Platform, space: SpaceId, crashes: int) -> None:
    """The backoff wait of a crashed space is over: redeploy its revision (same image)."""
    if p._closed.is_set():
        return
    rec = p.store.find_space(space)
    if (rec is None or rec.desired != "running" or not rec.revision
            or rec.stage is not Stage.RUNTIME_ERROR):
        return  # something else (a push, a restart) has taken over
    p.store.add_event(space, "restart", f"automatic restart after crash {crashes} in a row")
    p.submit_deploy(space, rec.revision, reuse_image=True)
