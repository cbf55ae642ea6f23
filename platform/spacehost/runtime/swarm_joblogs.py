"""Following a Swarm job's output through the manager (runtime/swarm_jobs.py).

The manager's followed log of a service never ends by itself, and a read of the log so far
(``follow=false``) does not end either while the task runs (measured on Docker 20.10: it
returned once the task ended). So a job's log is followed with ``follow=true`` while a watcher
closes the stream once the job's task ended; the end is then read again from the last line's
timestamp (nodes send their lines to the manager with a delay) until a few reads bring nothing
new. Lines carry the engine's timestamps, so nothing is delivered twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from docker import APIClient
from docker.errors import NotFound as DockerNotFound
from docker.types import CancellableStream

from spacehost.dockerengine import ENGINE_ERRORS, container_error
from spacehost.runtime.lines import split_lines

POLL_S = 0.3
READ_TIMEOUT_S = 15.0  # one read of an ended job's log
# reads of an ended job's log that must bring nothing new before its follow ends
CATCH_UP_READS = 3


def unix_stamp(stamp: str) -> str:
    """An engine timestamp (RFC 3339 with up to nanoseconds, UTC) as the ``seconds.fraction``
    text a log read's ``since`` takes."""
    head, _, rest = stamp.rstrip("Z").partition(".")
    digits = "".join(c for c in rest if c.isdigit())[:9].ljust(9, "0")
    whole = int(datetime.fromisoformat(head).replace(tzinfo=UTC).timestamp())
    return f"{whole}.{digits}"


class LogCursor:
    """Where a follow is: the newest timestamp delivered and the lines delivered at it (a read
    from that timestamp brings them again)."""

    def __init__(self, since: float | None) -> None:
        self.mark: str | None = f"{since:.9f}" if since else None
        self._seen: set[str] = set()

    def fresh(self, raw: str) -> str | None:
        """The text of *raw* (``TIMESTAMP TEXT``) unless it was delivered; moves the cursor."""
        stamp, _, text = raw.partition(" ")
        unix = unix_stamp(stamp)
        key = f"{unix} {text}"
        if key in self._seen:
            return None
        if unix != self.mark:
            self.mark, self._seen = unix, set()
        self._seen.add(key)
        return text


def _stream(
    api: APIClient, service_id: str, follow: bool, since: str | None, timeout: float | None
) -> CancellableStream:
    params: dict[str, Any] = {"follow": follow, "stdout": True, "stderr": True,
                              "timestamps": True, "tail": "all"}  # fmt: skip
    if since:
        params["since"] = since
    res = api._get(api._url("/services/{0}/logs", service_id), params=params, stream=True,
                   timeout=timeout)  # fmt: skip
    api._raise_for_status(res)
    return CancellableStream(api._multiplexed_response_stream_helper(res), res)


def follow_job_log(
    api: APIClient, service_id: str, since: float | None, running: Callable[[], bool]
) -> Iterator[str]:
    """The job's lines after *since*, as they come; ends after *running* says no more.

    Raises:
        EngineUnavailable: the manager failed or is unreachable.
    """
    doing = f"following the logs of job service {service_id}"
    cursor = LogCursor(since)
    try:
        stream = _stream(api, service_id, True, cursor.mark, None)
    except DockerNotFound:
        return
    except ENGINE_ERRORS as exc:
        raise container_error(exc, doing) from exc
    stop = threading.Event()
    threading.Thread(
        target=_close_when_ended, args=(stream, stop, running), daemon=True,
        name=f"job-log-{service_id[:12]}",
    ).start()  # fmt: skip
    try:
        for raw in split_lines(stream):
            if (text := cursor.fresh(raw)) is not None:
                yield text
    except ENGINE_ERRORS as exc:
        if not stop.is_set():
            raise container_error(exc, doing) from exc
    finally:
        stop.set()
        stream.close()
    yield from _catch_up(api, service_id, cursor, doing)


def _close_when_ended(
    stream: CancellableStream, stop: threading.Event, running: Callable[[], bool]
) -> None:
    while not stop.wait(POLL_S):
        try:
            if running():
                continue
        except Exception:  # the manager is away: the stream fails by itself, or resumes
            continue
        stop.set()
        stream.close()
        return


def _catch_up(api: APIClient, service_id: str, cursor: LogCursor, doing: str) -> Iterator[str]:
    quiet = 0
    while quiet < CATCH_UP_READS:
        try:
            stream = _stream(api, service_id, False, cursor.mark, READ_TIMEOUT_S)
            raws = list(split_lines(stream))
        except DockerNotFound:
            return
        except ENGINE_ERRORS as exc:
            raise container_error(exc, doing) from exc
        new = [t for t in map(cursor.fresh, raws) if t is not None]
        yield from new
        quiet = 0 if new else quiet + 1
        if quiet < CATCH_UP_READS:
            time.sleep(POLL_S)
