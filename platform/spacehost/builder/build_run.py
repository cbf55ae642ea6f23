"""One ``docker build`` through the Engine API: stream its log, enforce a deadline, and turn its
failures into spacehost errors. The only module of the builder that calls ``client.api.build``.
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import docker
import docker.errors

from spacehost.builder.bridge import gateway_from_attrs
from spacehost.builder.cputorch import conflict_hint
from spacehost.dockerengine import ENGINE_ERRORS, Failure, build_error, classify
from spacehost.errors import BuildCancelled, BuildFailed, SpacehostError

LogFn = Callable[[str], None]

LOG_TAIL_LINES = 40

_STEP_RE = re.compile(r"^Step \d+/\d+ : ")
_RUNNING_RE = re.compile(r"^ ---> Running in ([0-9a-f]{12,64})$")
_BUILT_RE = re.compile(r"^Successfully built ([0-9a-f]{12,64})$")
# The Engine wraps a step's stderr in terminal colour codes; logs are stored as plain text.
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class BuiltImage:
    """A finished build: the image id, every ``Step N/M : ...`` line, and the steps whose layer
    came from the cache."""

    image_id: str
    steps: tuple[str, ...]
    cached_steps: tuple[str, ...]


@dataclass
class BuildLog:
    """Splits a build's ``stream`` text into lines for *on_log* and remembers what they said:
    the steps, which came from the cache, the running step's container, the last 40 lines.
    (The watchdog thread reads ``container``.)"""

    on_log: LogFn
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_TAIL_LINES))
    steps: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    container: str = ""
    image_id: str = ""
    partial: str = ""

    @property
    def step(self) -> str:
        return self.steps[-1] if self.steps else ""

    def feed(self, text: str) -> None:
        """Take a chunk of log text; complete lines go to *on_log* without their newline."""
        *lines, self.partial = (self.partial + text).split("\n")
        for line in lines:
            self._line(line)

    def flush(self) -> None:
        """Emit a last line that had no newline."""
        if self.partial:
            self._line(self.partial)
            self.partial = ""

    def _line(self, raw: str) -> None:
        line = _ANSI_RE.sub("", raw).rstrip("\r")
        if _STEP_RE.match(line):
            self.steps.append(line)
            self.container = ""
        elif line == " ---> Using cache" and self.step:
            self.cached.append(self.step)
        elif m := _RUNNING_RE.match(line):
            self.container = m.group(1)
        elif m := _BUILT_RE.match(line):
            self.image_id = self.image_id or m.group(1)
        self.tail.append(line)
        self.on_log(line)


def bridge_gateway(client: docker.DockerClient) -> str:
    """The gateway address of the Engine's default bridge network (``172.17.0.1``): where
    build containers reach this host. "" when the Engine has no such network. Found also when
    the Engine does not report it (see :mod:`spacehost.builder.bridge`).

    Raises:
        any of ``ENGINE_ERRORS`` but ``NotFound``: translated by the builder's entry points.
    """
    try:
        network = client.networks.get("bridge")
    except docker.errors.NotFound:
        return ""
    return gateway_from_attrs(network.attrs)


def run_build(
    client: docker.DockerClient,
    context: bytes,
    *,
    tag: str,
    on_log: LogFn,
    deadline: float,
    dockerfile: str = "Dockerfile",
    labels: Mapping[str, str] | None = None,
    buildargs: Mapping[str, str] | None = None,
    nocache: bool = False,
    extra_hosts: Mapping[str, str] | None = None,
    cancel: threading.Event | None = None,
) -> BuiltImage:
    """Build *context* and tag the image *tag*, streaming each log line to *on_log*.

    Args:
        client: the Engine to build on.
        context: an uncompressed tar holding *dockerfile* and the files it copies.
        tag: ``repository:tag`` of the result.
        on_log: called with each log line as it arrives (without its newline).
        deadline: ``time.monotonic()`` value after which the build is stopped.
        dockerfile: path of the Dockerfile inside *context*.
        labels: labels of the image.
        buildargs: build args (proxy variables, ``ARG`` values).
        nocache: ignore Docker's layer cache.
        extra_hosts: names added to the build containers' ``/etc/hosts`` (the local pip
            mirror's); not part of the layer cache key.
        cancel: set by another thread to stop the build now (its running step's container
            is killed, as at the deadline); one event per build, set by the build itself when
            it ends.

    Returns:
        The image id and which steps ran and came from the cache.

    Raises:
        BuildFailed: a step failed (message names the step; ``details`` hold ``step`` and
            ``log_tail``, the last 40 lines), or the deadline passed.
        BuildCancelled: *cancel* was set.
        EngineUnavailable: the Engine cannot be reached.
        BuildFailed: the Engine refused the build or stopped answering (``details`` as above).
    """
    progress = BuildLog(on_log)
    remaining = max(deadline - time.monotonic(), 0.0)
    watchdog = _Watchdog(client, progress, remaining, cancel)
    error = ""
    try:
        watchdog.start()
        stream = client.api.build(
            fileobj=io.BytesIO(context),
            custom_context=True,
            dockerfile=dockerfile,
            tag=tag,
            decode=True,
            rm=True,
            forcerm=True,
            nocache=nocache,
            labels=dict(labels or {}),
            buildargs=dict(buildargs or {}),
            extra_hosts=dict(extra_hosts or {}) or None,
            # A backstop for a build stuck where the watchdog has no container to stop.
            timeout=remaining + 60,
        )
        for event in stream:
            error = error or _handle(event, progress)
            if watchdog.fired and not watchdog.stop_step():
                break
    except ENGINE_ERRORS as exc:
        raise _engine_failed(exc, tag, progress, watchdog, remaining) from exc
    finally:
        watchdog.cancel()
        progress.flush()
    if watchdog.cancelled:
        raise _cancelled(progress)
    if watchdog.fired:
        raise _timed_out(progress, remaining)
    if error:
        raise _step_failed(progress, error)
    return BuiltImage(
        image_id=progress.image_id or _image_id(client, tag),
        steps=tuple(progress.steps),
        cached_steps=tuple(progress.cached),
    )


def _handle(event: Mapping[str, Any], progress: BuildLog) -> str:
    """Feed one decoded event to *progress*; return its error message, if it is an error."""
    if "stream" in event:
        progress.feed(str(event["stream"]))
    elif "status" in event:
        # The Engine pulls a FROM image it lacks and reports that as status events.
        line = " ".join(str(event[k]) for k in ("id", "status", "progress") if event.get(k))
        progress.feed(line + "\n")
    elif "aux" in event and isinstance(event["aux"], dict):
        progress.image_id = str(event["aux"].get("ID", "")) or progress.image_id
    elif "error" in event:
        message = str(event.get("errorDetail", {}).get("message") or event["error"])
        progress.flush()
        progress.tail.append(message)
        progress.on_log(message)
        return message
    return ""


def _engine_failed(
    exc: Exception, tag: str, progress: BuildLog, watchdog: _Watchdog, remaining: float
) -> SpacehostError:
    """What an engine failure during the build means: the watchdog's doing when it stopped a
    step (the stream broke off), else the engine's failure (:func:`build_error`)."""
    if classify(exc) in (Failure.UNREACHABLE, Failure.TIMED_OUT):
        if watchdog.cancelled:
            return _cancelled(progress)
        if watchdog.fired:
            return _timed_out(progress, remaining)
    return build_error(
        exc,
        f"building {tag}",
        hint="check the Dockerfile and the build context",
        details={"step": progress.step, "log_tail": list(progress.tail)},
    )


def _step_failed(progress: BuildLog, error: str) -> BuildFailed:
    step = progress.step
    where = f"at {step}" if step else "before its first step"
    return BuildFailed(
        f"the build failed {where}: {error.strip()}",
        hint=conflict_hint(list(progress.tail)) or _hint_for(step),
        details={"step": step, "log_tail": list(progress.tail)},
    )


def _timed_out(progress: BuildLog, limit_s: float) -> BuildFailed:
    step = progress.step or "the start"
    return BuildFailed(
        f"the build took longer than {limit_s:.0f} s and was stopped at {step}",
        hint="raise SPACEHOST_BUILD_TIMEOUT, or make the step faster (fewer or prebuilt packages)",
        details={"step": progress.step, "log_tail": list(progress.tail), "timeout_s": limit_s},
    )


def _cancelled(progress: BuildLog) -> BuildCancelled:
    step = progress.step or "the start"
    return BuildCancelled(
        f"the build was cancelled at {step}",
        hint="a newer push of the space, or its deletion, stopped it",
        details={"step": progress.step, "log_tail": list(progress.tail)},
    )


_GRADIO_STEP = re.compile(r"gradio(\[[^\]]*\])?==")  # gradio==V or gradio[oauth,mcp]==V


def _hint_for(step: str) -> str:
    if "requirements.txt" in step:
        name = "pre-requirements.txt" if "pre-requirements.txt" in step else "requirements.txt"
        return f"check the package names and versions in {name} against the log above"
    if "apt-get" in step:
        return "check the Debian package names in packages.txt (see packages.debian.org)"
    if _GRADIO_STEP.search(step):
        return "check sdk_version in README.md: it must be a released gradio version"
    return "read the build log above for the failing command's output"


def _image_id(client: docker.DockerClient, tag: str) -> str:
    try:
        return str(client.images.get(tag).id)
    except docker.errors.NotFound as exc:
        raise BuildFailed(
            f"the build of {tag} ended without an image",
            hint="read the build log above",
        ) from exc


class _Watchdog:
    """Stops a build at its deadline, or at once when *cancel* is set, by killing the
    container of the running step, so the Engine ends the build with an error instead of
    running on unattended."""

    def __init__(
        self,
        client: docker.DockerClient,
        progress: BuildLog,
        after_s: float,
        cancel: threading.Event | None = None,
    ):
        self._client = client
        self._progress = progress
        self._after_s = after_s
        self._wake = cancel or threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._watch, daemon=True, name="build-watchdog")
        self._killed: set[str] = set()
        self.fired = False
        self.cancelled = False

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        """The build ended: the watchdog stops."""
        self._done = True
        self._wake.set()

    def _watch(self) -> None:
        woken = self._wake.wait(self._after_s)
        if self._done:
            return
        self.cancelled = woken
        self._fire()

    def stop_step(self) -> bool:
        """Kill the running step's container, once; False when no step container runs."""
        container = self._progress.container
        if not container:
            return False
        if container not in self._killed:
            self._killed.add(container)
            # The step may have ended meanwhile; the stream's end tells the rest.
            with contextlib.suppress(*ENGINE_ERRORS):
                self._client.api.kill(container)
        return True

    def _fire(self) -> None:
        self.fired = True
        self.stop_step()
