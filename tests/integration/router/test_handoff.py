"""File hand-off (spacehost.handoff) through the real router: the control plane answers a head
naming a file under the hub's directory, and the router sends that file's bytes itself.

A control plane (aiohttp on the router's Unix socket) answers like the hub API does when the
router marks a request; the router runs in-process on asyncio and on uvloop, as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from pathlib import Path
from typing import Any

from aiohttp import web

from spacehost.router.connection import ClientConnection
from tests.support.polling import wait_for_async
from tests.support.router_harness import (
    LOOPS,
    Harness,
    aio,
    harness,
    space,
)

BIG = 24 * 1024 * 1024 + 123


def control_app(hub: Path, seen: list[dict[str, str]]) -> web.Application:
    """Answers ``/file/{name}[?offset=&count=]`` with a hand-off of ``hub/{name}`` when the
    router marks the request, and with the bytes themselves otherwise; ``/path?p=`` hands off an
    arbitrary path (as a broken control plane might)."""

    async def file(request: web.Request) -> web.StreamResponse:
        seen.append({"handoff": ",".join(request.headers.getall("X-Spacehost-Handoff", []))})
        path = hub / request.match_info["name"]
        size = path.stat().st_size if path.exists() else 1000
        offset = int(request.query.get("offset", 0))
        count = int(request.query.get("count", size - offset))
        status = 206 if "offset" in request.query else 200
        headers = {"ETag": '"e"', "X-Repo-Commit": "abc"}
        if request.headers.get("X-Spacehost-Handoff") != "file":
            return web.Response(
                body=path.read_bytes()[offset : offset + count], status=status, headers=headers
            )
        headers["X-Spacehost-File"] = f"{offset} {count} {path}"
        return web.Response(status=status, headers=headers)

    async def any_path(request: web.Request) -> web.Response:
        return web.Response(headers={"X-Spacehost-File": f"0 10 {request.query['p']}"})

    app = web.Application()
    app.router.add_get("/file/{name}", file)
    app.router.add_get("/path", any_path)
    return app


async def with_control(h: Harness, seen: list[dict[str, str]]) -> Path:
    hub = h.router.ctx.settings.hub_dir
    hub.mkdir()
    runner = web.AppRunner(control_app(hub, seen))
    await runner.setup()
    await web.UnixSite(runner, str(h.router.ctx.settings.control_socket)).start()
    h.cleanups.append(runner.cleanup)
    return hub


def times_open(path: Path) -> int:
    """How many of this process's (the router's) descriptors are *path*."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{fd}") == str(path)
    return count


@LOOPS
@aio
async def test_handed_off_files_come_whole_with_the_control_planes_headers(loop_kind: str) -> None:
    seen: list[dict[str, str]] = []
    async with harness(control=False) as h:
        hub = await with_control(h, seen)
        data = os.urandom(6 * 1024 * 1024 + 7)  # the test client's parser is slow on more
        (hub / "w").write_bytes(data)
        client = await h.client()
        # A client cannot ask for the hand-off itself, nor see it.
        resp = await client.get("/file/w", extra="X-Spacehost-Handoff: evil\r\n")
        assert resp.status == 200 and resp.body == data
        assert resp.header("content-length") == str(len(data))
        assert resp.header("etag") == '"e"' and resp.header("x-repo-commit") == "abc"
        assert resp.header("x-spacehost-file") is None
        assert seen[-1]["handoff"] == "file"  # the router's mark alone
        # a range, then a plain request, on the same keep-alive connection
        resp = await client.get("/file/w?offset=1000&count=5000")
        assert resp.status == 206 and resp.body == data[1000:6000]
        resp = await client.get("/file/w?offset=10&count=0")
        assert resp.status == 206 and resp.body == b""
        resp = await client.get("/file/w?count=7")
        assert resp.body == data[:7]


@aio
async def test_a_space_cannot_hand_off_and_never_sees_the_mark() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head)
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n"
            b"x-spacehost-file: 0 10 /etc/passwd\r\n\r\nhello"
        )
        await writer.drain()

    seen: list[bytes] = []
    async with harness(control=False) as h:
        h.publish(space("alice/demo", await h.raw_upstream(handler)))
        client = await h.client()
        resp = await client.get("/spaces/alice/demo/x", extra="X-Spacehost-Handoff: file\r\n")
        assert resp.status == 200 and resp.body == b"hello"
        assert resp.header("x-spacehost-file") is None
        assert b"x-spacehost-handoff" not in seen[0].lower()


@aio
async def test_hand_off_outside_the_hub_or_of_a_vanished_file_is_a_404() -> None:
    seen: list[dict[str, str]] = []
    async with harness(control=False) as h:
        hub = await with_control(h, seen)
        (hub.parent / "secret").write_bytes(b"0123456789")
        (hub / "link").symlink_to(hub.parent / "secret")
        client = await h.client()
        for target in [
            f"/path?p={hub.parent / 'secret'}",
            f"/path?p={hub}/../secret",
            "/file/link",
            "/path?p=relative/x",
            "/file/missing",
        ]:
            resp = await client.get(target, extra="Accept: application/json\r\n")
            assert resp.status == 404, target
            assert resp.json()["error"]["code"] == "not_found" and b"0123" not in resp.body
        (hub / "short").write_bytes(b"abc")
        resp = await client.get("/file/short?count=10")
        assert resp.status == 404
        # the router goes on serving
        (hub / "ok").write_bytes(b"fine")
        resp = await (await h.client()).get("/file/ok")
        assert resp.status == 200 and resp.body == b"fine"


@LOOPS
@aio
async def test_a_slow_client_gets_backpressure_and_a_gone_one_frees_the_file(
    loop_kind: str,
) -> None:
    seen: list[dict[str, str]] = []
    async with harness(control=False) as h:
        hub = await with_control(h, seen)
        (hub / "w").write_bytes(os.urandom(BIG))
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.connect(("127.0.0.1", h.port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=64 * 1024)
        writer.write(b"GET /file/w HTTP/1.1\r\nHost: x.org\r\n\r\n")
        await reader.readuntil(b"\r\n\r\n")
        await reader.readexactly(1024 * 1024)
        assert times_open(hub / "w") == 1

        def buffered() -> list[Any]:
            return [
                c.transport
                for c in h.router.ctx.connections
                if isinstance(c, ClientConnection) and c.transport is not None
            ]

        transports = await wait_for_async(buffered, what="the client connection")
        # the client stops reading: the router holds at most its high-water mark, not the file
        await wait_for_async(
            lambda: all(t.get_write_buffer_size() > 0 for t in transports),
            what="the router to fill its buffer",
        )
        assert all(t.get_write_buffer_size() <= 1024 * 1024 for t in transports)
        writer.close()
        await wait_for_async(
            lambda: times_open(hub / "w") == 0, what="the router to close the file"
        )
        await writer.wait_closed()
        resp = await (await h.client()).get("/file/w?count=3")
        assert resp.status == 200 and len(resp.body) == 3


@aio
async def test_concurrent_hand_offs_on_many_connections() -> None:
    seen: list[dict[str, str]] = []
    async with harness(control=False) as h:
        hub = await with_control(h, seen)
        blobs = {f"b{i}": os.urandom(3 * 1024 * 1024 + i) for i in range(3)}
        for name, data in blobs.items():
            (hub / name).write_bytes(data)
        clients = [await h.client() for _ in blobs]
        pairs = zip(clients, blobs, strict=True)
        got = await asyncio.gather(*(c.get(f"/file/{name}") for c, name in pairs))
        assert [r.body for r in got] == list(blobs.values())
