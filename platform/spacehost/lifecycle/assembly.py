"""The lifecycle's composition root: builds its parts once, each given what it uses.

The parts call each other in a circle (a deploy tells recovery the engine went away; recovery
and the sleeper deploy again; a crash restart deploys; a log stream that ends tells recovery),
so the two edges back into the circle are named functions here that call a part built later:
``redeploy`` (the :class:`~spacehost.lifecycle.deploy.Deployer`) and ``container_lost``
(the :class:`~spacehost.lifecycle.recovery.Recovery`). Nothing is set on a part after it is
built, and no part sees the ``Platform``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass

from spacehost.activityfile import Activity
from spacehost.domain import SpaceId
from spacehost.lifecycle import runlogs
from spacehost.lifecycle.backoff import Backoff, CrashRestarts, Timer, thread_timer
from spacehost.lifecycle.context import Context
from spacehost.lifecycle.deploy import Deployer
from spacehost.lifecycle.recovery import Recovery
from spacehost.lifecycle.runlogs import RunLogs
from spacehost.lifecycle.sleep import AwakeTimes, Sleeper
from spacehost.lifecycle.tasks import Tasks


@dataclass(frozen=True)
class Parts:
    """One platform's lifecycle parts (see :func:`assemble`)."""

    ctx: Context
    tasks: Tasks
    crashes: CrashRestarts
    logs: RunLogs
    sleeper: Sleeper
    recovery: Recovery
    deployer: Deployer


def assemble(
    ctx: Context,
    probe: Callable[[], object],
    *,
    max_parallel_builds: int = 2,
    clock: Callable[[], float] = time.monotonic,
    timer: Timer = thread_timer,
    wall_clock: Callable[[], float] = time.time,
    activity: Callable[[], Mapping[str, Activity]] | None = None,
) -> Parts:
    """Build the parts of one platform over *ctx*.

    Args:
        probe: a cheap engine call that raises when the engine does not answer (recovery.py).
        max_parallel_builds: deploys that run at once.
        clock, timer: monotonic time and a one-shot scheduler for crash restarts.
        wall_clock: wall-clock seconds for idle times (the router's activity is wall-clock).
        activity: the router's activity by space (default: its activity file).
    """
    deployer: Deployer  # built last: the parts below deploy through it
    recovery: Recovery

    def redeploy(
        space: SpaceId, revision: str, *, nocache: bool = False, reuse_image: bool = False
    ) -> Future[None]:
        return deployer.submit(space, revision, nocache=nocache, reuse_image=reuse_image)

    def container_lost(space: SpaceId, container_id: str) -> None:
        recovery.container_lost(space, container_id)

    s = ctx.settings
    tasks = Tasks(max_parallel_builds)
    crashes = CrashRestarts(
        Backoff(s.crash_backoff_initial_s, s.crash_backoff_max_s, s.crash_backoff_reset_s),
        functools.partial(runlogs.crash_restart, ctx, redeploy),
        clock=clock,
        timer=timer,
    )
    logs = RunLogs(ctx, crashes, container_lost)
    awake = AwakeTimes(wall_clock)
    recovery = Recovery(
        ctx, probe, tasks=tasks, redeploy=redeploy, logs=logs, awake=awake, crashes=crashes
    )
    sleeper = Sleeper(
        ctx,
        awake,
        logs,
        redeploy,
        functools.partial(recovery.engine_failed, deploy=False),
        activity=activity,
    )
    deployer = Deployer(ctx, tasks, logs, crashes, sleeper, recovery)
    return Parts(ctx, tasks, crashes, logs, sleeper, recovery, deployer)
