"""A raw TCP upstream that reads what the router sends with h11, the strict reference parser.

Every request it parses is recorded (method, target, headers, body, which connection); anything
h11 refuses is recorded as an error with the bytes it could not place. It answers each request
with ``200`` and a two-byte body; a target starting with ``/early`` is answered as soon as its
head is parsed, before its body is read (the body is still read and recorded afterwards).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field

import h11

RESPONSE_BODY = b"ok"


@dataclass
class Received:
    """One request as the upstream parsed it."""

    conn: int
    method: bytes
    target: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""
    complete: bool = False

    def header(self, name: bytes) -> list[bytes]:
        return [v for n, v in self.headers if n == name]


@dataclass
class H11Upstream:
    """The server; :meth:`start` binds it to a free loopback port."""

    received: list[Received] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    connections: int = 0
    port: int = 0
    _server: asyncio.Server | None = None
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn_id = next(self._ids)
        self.connections += 1
        conn = h11.Connection(h11.SERVER)
        try:
            await self._cycle(conn_id, conn, reader, writer)
        except h11.RemoteProtocolError as exc:
            self.errors.append(f"connection {conn_id}: {exc!r}, unparsed {conn.trailing_data}")
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _cycle(
        self,
        conn_id: int,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        current: Received | None = None
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await reader.read(65536)
                if not data:
                    # closed between requests, or in the middle of one (the router refused it
                    # or answered it early): what arrived stays recorded as incomplete
                    return
                conn.receive_data(data)
                continue
            if isinstance(event, h11.Request):
                current = Received(
                    conn_id, event.method, event.target, [(n, v) for n, v in event.headers]
                )
                self.received.append(current)
                if event.target.startswith(b"/early"):
                    await self._respond(conn, writer)
            elif isinstance(event, h11.Data) and current is not None:
                current.body += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage) and current is not None:
                current.complete = True
                if conn.our_state is h11.SEND_RESPONSE:
                    await self._respond(conn, writer)
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    return
                conn.start_next_cycle()
                current = None
            elif isinstance(event, h11.ConnectionClosed):
                return

    @staticmethod
    async def _respond(conn: h11.Connection, writer: asyncio.StreamWriter) -> None:
        length = str(len(RESPONSE_BODY)).encode()
        head = h11.Response(status_code=200, headers=[(b"content-length", length)])
        writer.write(conn.send(head) + conn.send(h11.Data(data=RESPONSE_BODY)))
        writer.write(conn.send(h11.EndOfMessage()))
        await writer.drain()
