"""Client timeouts of the router, with small configured values: raw sockets, a slow client.

A request head must arrive within ``header_timeout_s`` with no gap over ``header_idle_s``; a
request body may pause at most ``body_idle_s``; the router answers 408 (JSON) where it still can,
then closes. Responses that are streaming (SSE, websockets) are never cut by these timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from tests.support.router_harness import Harness, aio, harness, space


@asynccontextmanager
async def fast_timeouts() -> AsyncIterator[Harness]:
    async with harness(
        header_timeout_s=0.8, header_idle_s=0.4, body_idle_s=0.4, keepalive_timeout_s=0.6
    ) as h:
        h.publish(space("alice/demo", await h.upstream()))
        yield h


async def until_closed(reader: asyncio.StreamReader, limit: float = 5.0) -> tuple[bytes, float]:
    """Everything the router sends until it closes, and how long that took (bounded)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    data = b""
    async with asyncio.timeout(limit):
        while chunk := await reader.read(65536):
            data += chunk
    return data, loop.time() - start


def timeout_error(data: bytes) -> dict[str, str]:
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), head
    assert b"content-type: application/json" in head.lower()
    assert b"connection: close" in head.lower()
    error: dict[str, str] = json.loads(body)["error"]
    assert error["code"] == "request_timeout" and error["hint"]
    return error


@aio
async def test_a_stalled_request_body_gets_408_and_the_connection_closes() -> None:
    async with fast_timeouts() as h:
        reader, writer = await asyncio.open_connection("127.0.0.1", h.port)
        writer.write(
            b"POST /spaces/alice/demo/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
            + b"a" * 10
        )
        data, took = await until_closed(reader)
        assert "body" in timeout_error(data)["message"]
        assert took < 3
        writer.close()


@aio
async def test_a_trickled_body_is_not_cut_while_bytes_keep_coming() -> None:
    async with fast_timeouts() as h:
        reader, writer = await asyncio.open_connection("127.0.0.1", h.port)
        writer.write(
            b"POST /spaces/alice/demo/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\n"
        )
        for _ in range(8):  # a slow client: a byte every 0.15 s, 1.2 s in all
            writer.write(b"b")
            await writer.drain()
            await asyncio.sleep(0.15)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200")
        writer.close()


@aio
async def test_a_request_head_sent_a_byte_at_a_time_is_cut_at_the_header_deadline() -> None:
    async with fast_timeouts() as h:
        reader, writer = await asyncio.open_connection("127.0.0.1", h.port)
        head = b"GET /spaces/alice/demo/fast HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 100
        received = bytearray()

        async def slowloris() -> None:  # never idle for header_idle_s, never done
            for byte in head:
                if received:
                    return
                writer.write(bytes([byte]))
                await asyncio.sleep(0.1)

        loop = asyncio.get_running_loop()
        start = loop.time()
        task = asyncio.create_task(slowloris())
        with contextlib.suppress(ConnectionResetError):  # a byte sent after the close
            async with asyncio.timeout(5):
                while chunk := await reader.read(65536):
                    received += chunk
        took = loop.time() - start
        task.cancel()
        data = bytes(received)
        assert "head" in timeout_error(data)["message"]
        assert 0.7 < took < 3
        writer.close()


@aio
async def test_a_paused_request_head_gets_408() -> None:
    async with fast_timeouts() as h:
        reader, writer = await asyncio.open_connection("127.0.0.1", h.port)
        writer.write(b"GET /spaces/alice/demo/fast HTTP/1.1\r\nHost: x\r\n")
        data, took = await until_closed(reader)
        assert "head" in timeout_error(data)["message"]
        assert took < 3
        writer.close()


@aio
async def test_a_silent_connection_is_closed_without_an_answer() -> None:
    async with fast_timeouts() as h:
        reader, writer = await asyncio.open_connection("127.0.0.1", h.port)
        data, took = await until_closed(reader)
        assert data == b"" and took < 3
        writer.close()


@aio
async def test_streaming_responses_outlive_every_timeout() -> None:
    async with fast_timeouts() as h:
        reader, writer = await asyncio.open_connection("127.0.0.1", h.port)
        writer.write(b"GET /spaces/alice/demo/sse HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.wait_for(reader.readuntil(b"data: one\n\n"), 5)
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{h.url}/spaces/alice/demo/ws") as ws,
        ):
            await asyncio.sleep(2.0)  # idle for longer than every configured timeout
            h.state.sse_release.set()
            await asyncio.wait_for(reader.readuntil(b"data: two\n\n"), 5)
            await ws.send_str("still there")
            assert (await ws.receive_str(timeout=5)) == "echo:still there"
        writer.close()
