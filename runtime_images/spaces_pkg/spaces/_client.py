"""The broker's wire protocol, client side: one Unix-socket connection per call.

The call sends one JSON line ``{"op": "acquire", "duration": S, "name": FN}`` and reads JSON
lines until it is granted a lease: ``{"event": "queued", "position": N}`` (zero or more times),
then ``{"event": "granted", "device": "0", "duration": S, "memory_fraction": F, "mode": "gpu"}``
or ``{"event": "refused", "message": ...}``. When the call returns it sends
``{"op": "release"}`` and closes the connection; a connection that closes without it (the
process died) gives the lease back too. The broker knows which space calls from the socket alone.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

RETRY_EVERY_S = 0.2


class BrokerError(RuntimeError):
    """The broker cannot be reached, refused the call, or broke the protocol."""


@dataclass
class Lease:
    """A granted lease; ``close()`` gives it back."""

    device: str
    duration: float
    memory_fraction: float
    mode: str  # "gpu" | "cpu"
    waited: float
    clipped: bool
    _close: Callable[[], Any]

    def close(self) -> None:
        try:
            self._close()
        except OSError:
            pass


RELEASE = b'{"op": "release"}\n'


def _request(duration: float, name: str) -> bytes:
    return (json.dumps({"op": "acquire", "duration": duration, "name": name}) + "\n").encode()


def _lease(msg: dict[str, Any], close: Callable[[], Any]) -> Lease:
    return Lease(device=str(msg.get("device", "")), duration=float(msg["duration"]),
                 memory_fraction=float(msg.get("memory_fraction", 1.0)),
                 mode=str(msg.get("mode", "gpu")), waited=float(msg.get("waited", 0.0)),
                 clipped=bool(msg.get("clipped")), _close=close)


def _decode(line: bytes) -> dict[str, Any]:
    if not line:
        raise BrokerError("the GPU broker closed the connection before granting a lease "
                          "(is spacehost restarting?)")
    try:
        msg = json.loads(line)
    except ValueError as exc:
        raise BrokerError(f"unexpected answer from the GPU broker: {line[:200]!r}") from exc
    if not isinstance(msg, dict):
        raise BrokerError(f"unexpected answer from the GPU broker: {line[:200]!r}")
    return msg


def _refused(msg: dict[str, Any]) -> BrokerError:
    return BrokerError(str(msg.get("message") or "the GPU broker refused the call"))


def _unreachable(path: str, timeout: float, exc: OSError) -> BrokerError:
    return BrokerError(f"cannot reach the GPU broker at {path} within {timeout:g} s "
                       f"({exc.strerror or exc})")


def acquire(path: str, duration: float, name: str, *, connect_timeout: float,
            on_position: Callable[[int], None]) -> Lease:
    """Take a lease, blocking while queued; *on_position* hears each queue position."""
    sock = _connect(path, connect_timeout)
    try:
        sock.sendall(_request(duration, name))
        reader = sock.makefile("rb")
        while True:
            msg = _decode(reader.readline())
            event = msg.get("event")
            if event == "queued":
                on_position(int(msg.get("position", 0)))
            elif event == "granted":
                return _lease(msg, lambda: _release(sock))
            elif event in ("refused", "error"):
                raise _refused(msg)
    except BaseException:
        sock.close()
        raise


def _release(sock: socket.socket) -> None:
    try:
        sock.sendall(RELEASE)  # "released"; a connection closed without it counts as a crash
    finally:
        sock.close()


def _release_async(writer: asyncio.StreamWriter) -> None:
    writer.write(RELEASE)
    writer.close()  # the transport sends what it holds before it closes


def _connect(path: str, timeout: float) -> socket.socket:
    end = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except OSError as exc:
            sock.close()
            if time.monotonic() >= end:
                raise _unreachable(path, timeout, exc) from exc
            time.sleep(RETRY_EVERY_S)


async def acquire_async(path: str, duration: float, name: str, *, connect_timeout: float,
                        on_position: Callable[[int], None]) -> Lease:
    """:func:`acquire` for coroutines: waits without blocking the event loop."""
    reader, writer = await _connect_async(path, connect_timeout)
    try:
        writer.write(_request(duration, name))
        await writer.drain()
        while True:
            msg = _decode(await reader.readline())
            event = msg.get("event")
            if event == "queued":
                on_position(int(msg.get("position", 0)))
            elif event == "granted":
                return _lease(msg, lambda: _release_async(writer))
            elif event in ("refused", "error"):
                raise _refused(msg)
    except BaseException:
        writer.close()
        raise


async def _connect_async(path: str, timeout: float,
                         ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    end = time.monotonic() + timeout
    while True:
        try:
            return await asyncio.open_unix_connection(path)
        except OSError as exc:
            if time.monotonic() >= end:
                raise _unreachable(path, timeout, exc) from exc
            await asyncio.sleep(RETRY_EVERY_S)


def socket_exists(path: str) -> bool:
    return os.path.exists(path)
