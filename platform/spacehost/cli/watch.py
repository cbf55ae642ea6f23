"""Following one deploy (a push, a restart, a duplicate) until the space runs: this deploy's
build live with a step progress bar, then its stage changes; what failed as the error the CLI
ends with (:mod:`spacehost.cli.failure`)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from spacehost.cli.failure import DEPLOYING, deploy_error, diagnose, revision_of
from spacehost.client import Client
from spacehost.domain import SpaceId
from spacehost.errors import Conflict, DeployTimeout, ServerUnreachable

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)")
DEFAULT_TIMEOUT_S = 3600.0
POLL_S = 0.5


@dataclass(frozen=True)
class Deploy:
    """A deploy the API started: *revision* of *space*, whose build comes after build
    *since_build* (the response's ``sinceBuild``; None from a server that does not say)."""

    space: SpaceId
    revision: str
    since_build: int | None

    @classmethod
    def started(cls, space: SpaceId, response: dict[str, Any]) -> Deploy:
        since = response.get("sinceBuild")
        return cls(
            space,
            str(response.get("revision") or ""),
            int(since) if isinstance(since, int) else None,
        )


def _bar(done: int, total: int, width: int = 24) -> str:
    filled = width * done // max(total, 1)
    return "[" + "#" * filled + "-" * (width - filled) + f"] {done}/{total}"


def print_build(events: Iterator[tuple[str, dict[str, Any]]], deadline: float) -> int:
    """Print build lines live (a progress bar for each step) until the stream ends; returns
    how many lines were printed.

    Raises:
        DeployTimeout: (via the caller) when *deadline* passes while lines still come.
    """
    printed = 0
    for event, data in events:
        if event == "message":
            line = str(data.get("data", ""))
            m = _STEP.match(line)
            text = f"{_bar(int(m.group(1)), int(m.group(2)))} {m.group(3)}" if m else f"  {line}"
            print(text, flush=True)
            printed += 1
        if time.monotonic() > deadline:
            break
    return printed


def wait_settled(
    get_runtime: Callable[[], dict[str, Any]], deadline: float, shown: str = ""
) -> dict[str, Any]:
    """Poll the runtime, printing each new stage, until it leaves the deploying stages or
    *deadline* passes; returns the last runtime seen."""
    while True:
        runtime = get_runtime()
        current = str(runtime.get("stage"))
        if current != shown:
            print(f"stage: {current}", flush=True)
            shown = current
        if current not in DEPLOYING or time.monotonic() > deadline:
            return runtime
        time.sleep(POLL_S)


def _timeout(deploy: Deploy, stage: str, timeout: float) -> DeployTimeout:
    space = deploy.space
    return DeployTimeout(
        f"{space} is still {stage} after {timeout:g} s; the deploy goes on in the platform",
        hint=f"follow it with `spacehost logs -f --build {space}` or `spacehost info {space}`, "
        "or wait longer with --timeout SECONDS",
    )


def _replaced(deploy: Deploy, newer: str) -> Conflict:
    space = deploy.space
    return Conflict(
        f"{space} revision {deploy.revision[:12]} was replaced by a newer push "
        f"(revision {newer[:12]}) before it went live",
        hint=f"`spacehost info {space}` shows what runs now",
    )


def watch(client: Client, deploy: Deploy, timeout: float = DEFAULT_TIMEOUT_S) -> None:
    """Print *deploy*'s build and stage changes and return once its space runs.

    Raises:
        BuildFailed: its build failed (exit 6). AppFailed: it was built but did not come up,
            or was not started (exit 7). Conflict: a newer push replaced it (exit 5).
            DeployTimeout: still deploying after *timeout* s (exit 12).
    """
    space, deadline = deploy.space, time.monotonic() + timeout
    events = client.follow_logs(
        space,
        kind="build",
        tail=0,
        since_build=deploy.since_build,
        revision=deploy.revision or None,
        read_timeout=max(timeout, 1.0),
    )
    try:
        printed = print_build(events, deadline)
    except ServerUnreachable:
        if time.monotonic() < deadline:
            raise
        raise _timeout(deploy, "deploying", timeout) from None
    runtime = wait_settled(lambda: client.runtime(space), deadline)
    stage = str(runtime.get("stage"))
    if stage in DEPLOYING:
        raise _timeout(deploy, stage, timeout)
    info = {**client.info(space), "stage": stage, "errorMessage": runtime.get("errorMessage")}
    newest = revision_of(info)
    if deploy.revision and newest not in ("", deploy.revision):
        raise _replaced(deploy, newest)
    if stage == "RUNNING" and not runtime.get("errorMessage"):
        return
    failure = diagnose(info, deploy.since_build, deploy.revision or None)
    if failure is not None:
        raise deploy_error(str(space), failure, streamed_build=printed > 0)
