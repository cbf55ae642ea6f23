"""The job relay: a TCP listener on the job network's gateway address that hands each
connection to the router, byte for byte (runtime/jobnetwork.py lets jobs reach it and nothing
else on the host). Jobs' ``HF_ENDPOINT`` is ``http://GATEWAY:PORT``; the port is kept in
``DATA/run/job-relay-port`` so a restart reuses it (and its firewall rule)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

log = logging.getLogger(__name__)
CHUNK = 1 << 16


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.write_eof()


class JobRelay:
    """Listens on *host* (the gateway) and forwards to the router at *target*."""

    def __init__(self, host: str, target: tuple[str, int], port_file: Path):
        self.host, self.target, self._port_file = host, target, port_file
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        """Listen (on the port of the last start when it is free); the port."""
        wanted = 0
        with contextlib.suppress(OSError, ValueError):
            wanted = int(self._port_file.read_text())
        try:
            self._server = await asyncio.start_server(self._handle, self.host, wanted)
        except OSError:
            self._server = await asyncio.start_server(self._handle, self.host, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        self._port_file.parent.mkdir(parents=True, exist_ok=True)
        self._port_file.write_text(str(self.port))
        log.info("job relay on %s:%s -> %s:%s", self.host, self.port, *self.target)
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError as exc:
            log.warning("job relay: the router does not answer: %s", exc)
            writer.close()
            return
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                w.close()
