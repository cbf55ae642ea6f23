"""The GPU broker's transport: one Unix socket per shared-GPU space, JSON lines, one call per
connection. The rules live in :mod:`spacehost.lifecycle.gpubroker`; this module listens, feeds
it, delivers its events and logs what it decides.

Each space's socket is ``DATA/run/gpu/<hash of the space>/gpu.sock``; the lifecycle mounts that
directory (read-only) at ``/run/spacehost`` in the space's container and nowhere else, so the
socket a call arrives on names the calling space. A connection carries one call: the client
sends ``{"op": "acquire", "duration": S, "name": FN}``, reads ``queued`` / ``granted`` /
``refused`` lines, runs, then sends ``{"op": "release"}`` and closes; a connection that closes
for any reason (the container died) gives its lease back too.

Everything runs on the control plane's event loop; :meth:`GpuBrokerServer.attach` and
:meth:`~GpuBrokerServer.detach` may be called from other threads (deploys).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from spacehost.domain import SpaceId
from spacehost.errors import SpacehostError
from spacehost.lifecycle.gpubroker import (
    Event,
    Expired,
    GpuBroker,
    Granted,
    Queued,
    Refused,
)
from spacehost.lifecycle.gpushare import SharedGpu

log = logging.getLogger("spacehost.gpu")

SOCKET_NAME = "gpu.sock"
SPACE_FILE = "space"  # the space's id, so a restarted broker knows whose directory it is
MAX_REQUEST = 4096
ATTACH_TIMEOUT_S = 10.0


def space_dir_name(space: SpaceId) -> str:
    """A short, fixed name for *space*'s socket directory (socket paths are limited to 107
    bytes, space names are not)."""
    return hashlib.sha256(str(space).encode()).hexdigest()[:16]


class _Conn:
    """One call's connection."""

    def __init__(self, space: str, writer: asyncio.StreamWriter) -> None:
        self.space = space
        self.writer = writer
        self.name = ""
        self.ticket = 0
        self.ended = False  # its end was logged

    def send(self, message: dict[str, Any], *, close: bool = False) -> None:
        if self.writer.is_closing():
            return
        self.writer.write((json.dumps(message) + "\n").encode())
        if close:
            self.writer.close()


class GpuBrokerServer:
    """Listens for the calls of shared-GPU spaces and hands out leases (implements
    :class:`spacehost.lifecycle.gpushare.GpuShare`).

    Args:
        root: the directory of the per-space socket directories (``DATA/run/gpu``).
        broker: the rules.
        lease_mode: ``"gpu"``, or ``"cpu"`` for CPU leases on a host without GPUs
            (``SPACEHOST_GPU_BROKER=cpu``: the whole path runs, nothing is a GPU).
        clock: the broker's clock (``time.monotonic``), to schedule its deadlines.
    """

    def __init__(
        self,
        root: Path,
        broker: GpuBroker,
        *,
        lease_mode: str = "gpu",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root
        self.broker = broker
        self._lease_mode = lease_mode
        self._clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._servers: dict[str, asyncio.AbstractServer] = {}  # dir name -> server
        self._conns: dict[int, _Conn] = {}  # id(conn) -> conn, the broker's conn keys
        self._timer: asyncio.TimerHandle | None = None

    @property
    def lease_mode(self) -> str:
        return self._lease_mode

    # lifecycle side (any thread) -----------------------------------------------------------

    def attach(self, space: SpaceId) -> SharedGpu:
        """Listen on *space*'s socket (if not yet) and return the directory to mount.

        Raises:
            SpacehostError: the broker is not running, or the socket cannot be made.
        """
        folder = self.root / space_dir_name(space)
        loop = self._loop
        if loop is None:
            raise SpacehostError(
                "the GPU broker is not running",
                hint="this is a bug in spacehost: start() was not called",
            )
        if _running_in(loop):
            raise SpacehostError(
                "attach() called on the broker's own event loop",
                hint="this is a bug in spacehost: call it from a thread",
            )
        future = asyncio.run_coroutine_threadsafe(self._listen(folder, str(space)), loop)
        future.result(ATTACH_TIMEOUT_S)
        return SharedGpu(str(folder))

    def detach(self, space: SpaceId) -> None:
        folder = self.root / space_dir_name(space)
        loop = self._loop
        if loop is not None and not _running_in(loop):
            asyncio.run_coroutine_threadsafe(self._unlisten(folder.name), loop).result(
                ATTACH_TIMEOUT_S
            )
        shutil.rmtree(folder, ignore_errors=True)

    def status(self) -> dict[str, Any]:
        """The broker's snapshot plus the lease mode and the spaces it listens for (read on
        the broker's event loop when called from another thread)."""
        loop = self._loop
        if loop is not None and loop.is_running() and not _running_in(loop):
            return asyncio.run_coroutine_threadsafe(self._status(), loop).result(ATTACH_TIMEOUT_S)
        return self._snapshot()

    async def _status(self) -> dict[str, Any]:
        return self._snapshot()

    def _snapshot(self) -> dict[str, Any]:
        snap = self.broker.snapshot()
        snap["lease_mode"] = self._lease_mode
        snap["spaces"] = sorted(self._listened_spaces())
        return snap

    # event loop side -----------------------------------------------------------------------

    async def start(self) -> None:
        """Listen again for every space that had a socket (after a control-plane restart the
        containers of adopted shared spaces keep their mounted directories)."""
        self._loop = asyncio.get_running_loop()
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            space_file = folder / SPACE_FILE
            if space_file.is_file():
                await self._listen(folder, space_file.read_text().strip())

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for server in self._servers.values():
            server.close()
        for conn in list(self._conns.values()):
            conn.writer.close()
        for server in self._servers.values():
            with contextlib.suppress(Exception):
                await server.wait_closed()
        self._servers.clear()

    async def _listen(self, folder: Path, space: str) -> None:
        if folder.name in self._servers:
            return
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
        (folder / SPACE_FILE).write_text(space + "\n")
        path = folder / SOCKET_NAME
        path.unlink(missing_ok=True)  # a socket file left by an earlier run
        server = await asyncio.start_unix_server(
            lambda r, w: self._serve(space, r, w), path=str(path), limit=MAX_REQUEST
        )
        path.chmod(0o666)  # the container's user (uid 1000) connects; the directory guards it
        self._servers[folder.name] = server
        log.info("GPU broker listening for %s", space)

    async def _unlisten(self, name: str) -> None:
        server = self._servers.pop(name, None)
        if server is not None:
            server.close()

    def _listened_spaces(self) -> list[str]:
        names = []
        for name in self._servers:
            with contextlib.suppress(OSError):
                names.append((self.root / name / SPACE_FILE).read_text().strip())
        return names

    async def _serve(
        self, space: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        conn = _Conn(space, writer)
        self._conns[id(conn)] = conn
        try:
            try:
                request = json.loads(await reader.readline())
                if not isinstance(request, dict) or request.get("op") != "acquire":
                    raise ValueError("expected an acquire request")
                duration = float(request.get("duration") or 0)
                conn.name = str(request.get("name") or "")[:200]
            except (ValueError, TypeError, asyncio.LimitOverrunError) as exc:
                conn.send({"event": "error", "message": f"bad request: {exc}"}, close=True)
                return
            conn.ticket, events = self.broker.request(
                space, id(conn), duration_s=duration, name=conn.name
            )
            log.info(
                "GPU call %d from %s (%s) asks for %g s",
                conn.ticket,
                space,
                conn.name or "?",
                duration,
            )
            self._deliver(events)
            while line := await reader.readline():  # a release, or EOF (the caller is gone)
                if _is_release(line):
                    events = self.broker.release(conn.ticket)
                    self._log_end(conn)  # before the next grant it causes, in the log too
                    self._deliver(events)
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            del self._conns[id(conn)]
            events = self.broker.disconnect(id(conn))
            if conn.ticket and not conn.ended:
                self._log_end(conn)
            self._deliver(events)
            writer.close()

    def _log_end(self, conn: _Conn) -> None:
        record = self.broker.finished(conn.ticket)
        if record is None:
            return
        conn.ended = True
        held = record["held_s"]
        log.info(
            "GPU call %d from %s (%s) %s: waited %.3f s, held %s",
            conn.ticket,
            conn.space,
            conn.name or "?",
            record["outcome"],
            record["waited_s"],
            "nothing" if held is None else f"{held:.3f} s",
        )

    def _deliver(self, events: list[Event]) -> None:
        for event in events:
            conn = self._conns.get(event.conn)  # type: ignore[call-overload]
            if conn is None:
                continue
            if isinstance(event, Granted):
                log.info(
                    "GPU lease %d granted to %s (%s) on %s after %.3f s",
                    event.ticket,
                    conn.space,
                    conn.name or "?",
                    self._device(event.device),
                    event.waited_s,
                )
                conn.send(
                    {
                        "event": "granted",
                        "device": event.device,
                        "mode": self._lease_mode,
                        "duration": event.duration_s,
                        "memory_fraction": event.memory_fraction,
                        "waited": round(event.waited_s, 6),
                        "clipped": event.clipped,
                    }
                )
            elif isinstance(event, Queued):
                conn.send({"event": "queued", "position": event.position})
            elif isinstance(event, Expired):
                log.warning(
                    "GPU lease %d of %s (%s) expired after %.1f s: taken back",
                    event.ticket,
                    conn.space,
                    conn.name or "?",
                    event.held_s,
                )
                conn.send({"event": "expired"}, close=True)
            elif isinstance(event, Refused):
                log.warning(
                    "GPU call %d of %s refused: %s", event.ticket, conn.space, event.message
                )
                conn.send({"event": "refused", "message": event.message}, close=True)
        self._schedule()

    def _device(self, device: str) -> str:
        return "cpu" if self._lease_mode == "cpu" else f"GPU {device}"

    def _schedule(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self.broker.next_deadline()
        if deadline is not None and self._loop is not None:
            delay = max(deadline - self._clock(), 0.0)
            self._timer = self._loop.call_later(delay, self._tick)

    def _tick(self) -> None:
        self._timer = None
        self._deliver(self.broker.tick())


def _is_release(line: bytes) -> bool:
    try:
        message = json.loads(line)
    except ValueError:
        return False
    return isinstance(message, dict) and message.get("op") == "release"


def _running_in(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
