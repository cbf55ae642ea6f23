"""The router against real servers on free ports: streaming, keep-alive, upgrades, errors.

Every test starts its own upstreams (aiohttp apps, or raw asyncio servers where exact bytes
matter), a control plane on a Unix socket and the router in-process, on the default asyncio loop
and, for the streaming tests, on uvloop as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import os
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec

import aiohttp
import httptools
import pytest
import uvloop
from aiohttp import web

from spacehost.router import Router, start_router
from spacehost.router.connection import ClientConnection
from spacehost.router.table import RouteEntry, routes_json
from spacehost.settings import Settings

P = ParamSpec("P")
DOMAIN = "spaces.test"
LOOPS = pytest.mark.parametrize("loop_kind", ["asyncio", "uvloop"])


def aio(fn: Callable[P, Awaitable[None]]) -> Callable[P, None]:
    """Run an async test on a fresh loop (uvloop when the test's ``loop_kind`` says so)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        factory = uvloop.new_event_loop if kwargs.get("loop_kind") == "uvloop" else None
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(asyncio.wait_for(fn(*args, **kwargs), 60))  # type: ignore[arg-type]

    return wrapper


async def poll(cond: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll *cond* until truthy; fail after *timeout* seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        value = cond()
        if value:
            return value
        if loop.time() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


async def apoll(cond: Callable[[], Awaitable[Any]], timeout: float = 10.0, what: str = "") -> Any:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        value = await cond()
        if value:
            return value
        if loop.time() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


# -- upstreams ------------------------------------------------------------------------------------


@dataclass
class AppState:
    upload_first_chunk: asyncio.Event = field(default_factory=asyncio.Event)
    sse_release: asyncio.Event = field(default_factory=asyncio.Event)
    slow_seen: asyncio.Event = field(default_factory=asyncio.Event)
    slow_release: asyncio.Event = field(default_factory=asyncio.Event)
    big_sent: int = 0
    big_done: bool = False


BIG = 50 * 1024 * 1024
MB = b"\xab" * (1024 * 1024)


def echo_body(request: web.Request, body: bytes) -> dict[str, Any]:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return {
        "method": request.method,
        "path": request.path_qs,
        "headers": [[k.lower(), v] for k, v in request.headers.items()],
        "body_len": len(body),
        "peer_port": peer[1] if peer else None,
    }


def upstream_app(state: AppState) -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response(echo_body(request, await request.read()))

    async def upload(request: web.Request) -> web.Response:
        digest = hashlib.sha256()
        total = 0
        async for chunk in request.content.iter_any():
            if total == 0:
                state.upload_first_chunk.set()
            total += len(chunk)
            digest.update(chunk)
        return web.json_response({"total": total, "sha256": digest.hexdigest()})

    async def sse(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b"data: one\n\n")
        await state.sse_release.wait()
        await resp.write(b"data: two\n\n")
        await resp.write_eof()
        return resp

    async def ws(request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        async for msg in sock:
            if msg.type == aiohttp.WSMsgType.TEXT:
                await sock.send_str("echo:" + msg.data)
            elif msg.type == aiohttp.WSMsgType.BINARY:
                await sock.send_bytes(msg.data[::-1])
        return sock

    async def big(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.content_length = BIG
        await resp.prepare(request)
        for _ in range(BIG // len(MB)):
            await resp.write(MB)
            state.big_sent += len(MB)
        await resp.write_eof()
        state.big_done = True
        return resp

    async def slow(request: web.Request) -> web.Response:
        state.slow_seen.set()
        await state.slow_release.wait()
        return web.Response(text="slow")

    async def fast(request: web.Request) -> web.Response:
        return web.Response(text="fast")

    async def reject(request: web.Request) -> web.Response:
        return web.json_response({"error": "too large"}, status=413)  # body never read

    async def sized(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 100)

    async def framed(request: web.Request) -> web.Response:
        return web.Response(
            text="framed",
            headers={"X-Frame-Options": "DENY", "Cross-Origin-Opener-Policy": "unsafe-none"},
        )

    async def chunked(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await resp.write(b"part1-")
        await resp.write(b"part2")
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_post("/upload", upload)
    app.router.add_post("/reject", reject)
    app.router.add_get("/sse", sse)
    app.router.add_get("/ws", ws)
    app.router.add_get("/big", big)
    app.router.add_get("/slow", slow)
    app.router.add_get("/fast", fast)
    app.router.add_get("/sized", sized)
    app.router.add_get("/framed", framed)
    app.router.add_get("/chunked", chunked)
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_head(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


# -- the harness ----------------------------------------------------------------------------------


@dataclass
class Harness:
    data: Path
    router: Router
    state: AppState
    control_seen: list[dict[str, Any]]
    cleanups: list[Callable[[], Awaitable[None]]]

    @property
    def port(self) -> int:
        return self.router.port

    @property
    def url(self) -> str:
        return self.router.url

    def publish(self, *entries: RouteEntry, reload: bool = True) -> None:
        """Write the route table as the control plane does (atomically)."""
        path = self.data / "run" / "routes.json"
        tmp = path.with_name(".routes.tmp")
        tmp.write_text(routes_json(entries))
        os.replace(tmp, path)
        if reload:
            self.router.ctx.routes.refresh()

    async def serve(self, app: web.Application) -> int:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.cleanups.append(runner.cleanup)
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        return int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]

    async def upstream(self) -> int:
        return await self.serve(upstream_app(self.state))

    async def raw_upstream(self, handler: RawHandler) -> int:
        async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                await handler(reader, writer)
            writer.close()

        server = await asyncio.start_server(guarded, "127.0.0.1", 0)

        async def stop() -> None:
            server.close()
            await server.wait_closed()

        self.cleanups.append(stop)
        return int(server.sockets[0].getsockname()[1])

    async def client(self) -> RawClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        client = RawClient(reader, writer)
        self.cleanups.append(client.close)
        return client


def control_app(seen: list[dict[str, Any]]) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        if request.path == "/reject":
            return web.json_response({"error": "too large"}, status=413)  # body never read
        body = echo_body(request, await request.read())
        body["control"] = True
        seen.append(body)
        return web.json_response(body)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return app


@contextlib.asynccontextmanager
async def harness(
    *, control: bool = True, public_url: str = "", **settings_kw: Any
) -> AsyncIterator[Harness]:
    # A short private dir: Unix socket paths are limited to 107 bytes.
    data = Path(tempfile.mkdtemp(prefix="rt-"))
    (data / "run").mkdir()
    settings = Settings(
        data_dir=data,
        host="127.0.0.1",
        port=0,
        domain=DOMAIN,
        public_url=public_url,
        **settings_kw,
    )
    cleanups: list[Callable[[], Awaitable[None]]] = []
    seen: list[dict[str, Any]] = []
    try:
        if control:
            runner = web.AppRunner(control_app(seen))
            await runner.setup()
            await web.UnixSite(runner, str(settings.control_socket)).start()
            cleanups.append(runner.cleanup)
        router = await start_router(settings)
        h = Harness(data, router, AppState(), seen, cleanups)
        try:
            yield h
        finally:
            await router.close()
    finally:
        for cleanup in reversed(cleanups):
            await cleanup()
        shutil.rmtree(data, ignore_errors=True)


def space(name: str, port: int, sdk: str = "gradio", **kw: Any) -> RouteEntry:
    return RouteEntry(name, sdk, kw.pop("stage", "RUNNING"), upstream=f"127.0.0.1:{port}", **kw)


# -- a raw HTTP/1.1 client --------------------------------------------------------------------


@dataclass
class RawResponse:
    status: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    complete: bool = False

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k == name]
        return found[0] if found else None

    def json(self) -> Any:
        return json.loads(self.body)


class RawClient:
    """Writes bytes as given and parses responses (in order) with httptools."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.done: list[RawResponse] = []
        self.current: RawResponse | None = None
        self.head_request = False
        self.parser = httptools.HttpResponseParser(self)
        self.eof = False

    def on_message_begin(self) -> None:
        self.current = RawResponse()

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self.current is not None
        self.current.headers.append((name.decode().lower(), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        assert self.current is not None
        self.current.status = self.parser.get_status_code()
        if self.head_request and self.current.status >= 200:
            self.current.complete = True
            self.done.append(self.current)

    def on_body(self, body: bytes) -> None:
        assert self.current is not None
        self.current.body += body

    def on_message_complete(self) -> None:
        assert self.current is not None
        if not self.current.complete:
            self.current.complete = True
            self.done.append(self.current)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self, *, head: bool = False) -> RawResponse:
        self.head_request = head
        while not self.done:
            data = await self.reader.read(65536)
            if not data:
                self.eof = True
                cur = self.current
                if cur is not None and cur.status and not cur.complete:
                    return cur  # close-delimited (or truncated): the caller checks
                raise EOFError("connection closed before a response")
            self.parser.feed_data(data)
            if head and self.done:
                self.parser = httptools.HttpResponseParser(self)
        self.head_request = False
        return self.done.pop(0)

    async def get(self, path: str, host: str = "x.org", extra: str = "") -> RawResponse:
        await self.send(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode())
        return await self.response()

    async def closed(self) -> bool:
        return (await self.reader.read(1)) == b""

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


def sent_headers(resp: RawResponse) -> dict[str, str]:
    """The headers an echo upstream (or the control plane) received, as a dict."""
    return {k: v for k, v in resp.json()["headers"]}


# -- tests ----------------------------------------------------------------------------------------


@LOOPS
@aio
async def test_keep_alive_reuses_client_and_upstream_connections(loop_kind: str) -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        client = await h.client()
        peers = set()
        for i in range(3):
            resp = await client.get(f"/echo/{i}?q=1", host="alice-demo.spaces.test")
            assert resp.status == 200
            assert resp.json()["path"] == f"/echo/{i}?q=1"
            assert resp.header("content-security-policy") == "frame-ancestors *"
            peers.add(resp.json()["peer_port"])
        assert len(peers) == 1  # one pooled upstream connection served all three


@LOOPS
@aio
async def test_pipelined_requests_are_answered_in_order(loop_kind: str) -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        client = await h.client()
        host = "Host: alice-demo.spaces.test\r\n"
        await client.send(
            f"GET /slow HTTP/1.1\r\n{host}\r\nGET /fast HTTP/1.1\r\n{host}\r\n"
            f"POST /echo HTTP/1.1\r\n{host}Content-Length: 3\r\n\r\nabc".encode()
        )
        await asyncio.wait_for(h.state.slow_seen.wait(), 10)
        h.state.slow_release.set()
        first, second, third = [await client.response() for _ in range(3)]
        assert (first.body, second.body) == (b"slow", b"fast")
        assert third.json()["method"] == "POST" and third.json()["body_len"] == 3


@LOOPS
@aio
async def test_chunked_upload_is_streamed(loop_kind: str) -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        client = await h.client()
        first = b"a" * 1000
        await client.send(
            b"POST /spaces/alice/demo/upload HTTP/1.1\r\nHost: x.org\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n%b\r\n" % (len(first), first)
        )
        # The upstream sees the first chunk while the client has not finished the body.
        await asyncio.wait_for(h.state.upload_first_chunk.wait(), 10)
        rest = [b"b" * 70000, b"c" * 5]
        await client.send(b"".join(b"%x\r\n%b\r\n" % (len(c), c) for c in rest) + b"0\r\n\r\n")
        resp = await client.response()
        whole = first + b"".join(rest)
        assert resp.status == 200
        assert resp.json() == {"total": len(whole), "sha256": hashlib.sha256(whole).hexdigest()}
        # The connection stays usable after a chunked request.
        assert (await client.get("/spaces/alice/demo/fast")).body == b"fast"


@aio
async def test_content_length_upload_is_streamed() -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        client = await h.client()
        body = os.urandom(3 * 1024 * 1024)
        await client.send(
            b"POST /spaces/alice/demo/upload HTTP/1.1\r\nHost: x.org\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body[:4096]
        )
        await asyncio.wait_for(h.state.upload_first_chunk.wait(), 10)
        await client.send(body[4096:])
        resp = await client.response()
        assert resp.json() == {"total": len(body), "sha256": hashlib.sha256(body).hexdigest()}


@aio
async def test_early_response_to_an_upload_reaches_a_client_still_sending() -> None:
    # The control plane answers 413 from Content-Length alone; a client that writes its whole
    # body before reading (requests, curl) must still get that answer, not a stall.
    async with harness() as h:
        client = await h.client()
        body = b"\0" * (8 * 1024 * 1024)
        # the control plane is the upstream here: a Unix socket, whose small buffer fills fast
        head = b"POST /reject HTTP/1.1\r\nHost: x.org\r\nContent-Length: %d\r\n\r\n" % len(body)
        # send everything before reading anything, as http.client does
        await asyncio.wait_for(client.send(head + body), 10)
        resp = await asyncio.wait_for(client.response(), 10)
        assert resp.status == 413 and resp.json() == {"error": "too large"}


@aio
async def test_expect_100_continue() -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        client = await h.client()
        await client.send(
            b"POST /spaces/alice/demo/echo HTTP/1.1\r\nHost: x.org\r\n"
            b"Expect: 100-continue\r\nContent-Length: 5\r\n\r\n"
        )
        interim = await client.response()
        assert interim.status == 100
        await client.send(b"hello")
        final = await client.response()
        assert final.status == 200
        assert final.json()["body_len"] == 5


@LOOPS
@aio
async def test_sse_events_arrive_one_by_one(loop_kind: str) -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{h.url}/spaces/alice/demo/sse") as resp,
        ):
            assert resp.headers["Content-Type"] == "text/event-stream"
            # The first event arrives while the upstream is still holding the stream open.
            assert await asyncio.wait_for(resp.content.readline(), 10) == b"data: one\n"
            assert await resp.content.readline() == b"\n"
            assert not h.state.sse_release.is_set()
            h.state.sse_release.set()
            assert await asyncio.wait_for(resp.content.readline(), 10) == b"data: two\n"
            assert await resp.content.read() == b"\n"


@LOOPS
@aio
async def test_websocket_echo_through_both_url_styles(loop_kind: str) -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        async with aiohttp.ClientSession() as session:
            for url, headers in [
                (f"{h.url}/spaces/alice/demo/ws", {}),
                (f"{h.url}/ws", {"Host": "alice-demo.spaces.test"}),
            ]:
                async with session.ws_connect(url, headers=headers) as ws:
                    await ws.send_str("hi")
                    assert await ws.receive_str(timeout=10) == "echo:hi"
                    await ws.send_bytes(b"\x01\x02\x03")
                    assert await ws.receive_bytes(timeout=10) == b"\x03\x02\x01"
                    big = "z" * 300_000
                    await ws.send_str(big)
                    assert await ws.receive_str(timeout=10) == "echo:" + big
                    await ws.close()


@aio
async def test_upgrade_refused_by_the_upstream_closes_the_connection() -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        client = await h.client()
        await client.send(
            b"GET /spaces/alice/demo/not-ws HTTP/1.1\r\nHost: x.org\r\nConnection: Upgrade\r\n"
            b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
        resp = await client.response()
        assert resp.status == 200  # the echo route answers normally
        assert resp.header("connection") == "close"
        assert await client.closed()


@aio
async def test_502_when_the_upstream_is_down() -> None:
    async with harness() as h:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            dead = s.getsockname()[1]  # bound, never listening: connections are refused
            h.publish(space("alice/demo", dead))
            client = await h.client()
            resp = await client.get("/spaces/alice/demo/")
            assert resp.status == 502
            assert (resp.header("content-type") or "").startswith("text/html")
            assert b"alice/demo" in resp.body
            resp = await client.get("/spaces/alice/demo/", extra="Accept: application/json\r\n")
            assert resp.status == 502
            assert resp.json()["error"]["code"] == "upstream_unreachable"
            assert resp.json()["error"]["hint"]
            # The client connection survives a gateway error.
            resp = await client.get("/somewhere")
            assert resp.json()["control"] is True


@aio
async def test_502_when_the_upstream_closes_or_garbles() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)

    async def garble(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()
        await reader.read()

    async with harness() as h:
        h.publish(
            space("a/closes", await h.raw_upstream(hang_up)),
            space("a/garbles", await h.raw_upstream(garble)),
        )
        client = await h.client()
        for path in ("/spaces/a/closes/", "/spaces/a/garbles/"):
            resp = await client.get(path, extra="Accept: application/json\r\n")
            assert resp.status == 502, path
            assert resp.json()["error"]["code"] == "upstream_unreachable"


@aio
async def test_upstream_dying_mid_body_truncates_and_closes() -> None:
    async def die(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
        await writer.drain()

    async with harness() as h:
        h.publish(space("a/dies", await h.raw_upstream(die)))
        client = await h.client()
        resp = await client.get("/spaces/a/dies/")
        assert resp.status == 200 and not resp.complete
        assert resp.body == b"0123456789"
        assert client.eof


@aio
async def test_close_delimited_upstream_response_is_reframed() -> None:
    async def http10(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close")
        await writer.drain()

    async with harness() as h:
        h.publish(space("a/old", await h.raw_upstream(http10)))
        client = await h.client()
        for _ in range(2):
            resp = await client.get("/spaces/a/old/")
            assert resp.complete and resp.body == b"until close"
            assert resp.header("transfer-encoding") == "chunked"


@aio
async def test_http10_client_gets_a_close_delimited_body() -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        client = await h.client()
        await client.send(b"GET /spaces/alice/demo/chunked HTTP/1.0\r\n\r\n")
        resp = await client.response()
        assert resp.status == 200
        assert resp.header("transfer-encoding") is None
        assert resp.body == b"part1-part2"
        assert client.eof


@aio
async def test_head_has_no_body_and_keeps_the_connection() -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        client = await h.client()
        await client.send(b"HEAD /spaces/alice/demo/sized HTTP/1.1\r\nHost: x.org\r\n\r\n")
        resp = await client.response(head=True)
        assert resp.status == 200
        assert resp.header("content-length") == "100"
        assert resp.body == b""
        for _ in range(2):  # the pooled upstream connection is still in step, too
            resp = await client.get("/spaces/alice/demo/sized")
            assert resp.body == b"x" * 100


@aio
async def test_route_table_reload_on_file_change() -> None:
    async with harness() as h:
        port = await h.upstream()
        client = await h.client()
        resp = await client.get("/spaces/alice/demo/echo")
        assert resp.json()["control"] is True
        assert sent_headers(resp)["x-spacehost-space"] == "alice/demo"

        async def reaches_space() -> bool:
            resp = await client.get("/spaces/alice/demo/echo")
            return "control" not in resp.json()

        h.publish(space("alice/demo", port), reload=False)
        await apoll(reaches_space, what="the router to pick up the new table")

        async def reaches_control() -> bool:
            return not await reaches_space()

        h.publish(space("alice/demo", port, stage="SLEEPING"), reload=False)
        await apoll(reaches_control, what="the router to see the space asleep")


@aio
async def test_control_plane_fallback_over_the_unix_socket() -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()), space("carol/wip", 1, stage="BUILDING"))
        client = await h.client()
        cases = [
            ("/", "x.org", None),
            ("/api/spaces?limit=5", "x.org", None),
            ("/spaces/alice/demo", "x.org", None),  # the space page
            ("/spaces/carol/wip/", "x.org", "carol/wip"),  # not running
            ("/", "carol-wip.spaces.test", "carol/wip"),
            ("/spaces/nobody/there/x", "x.org", "nobody/there"),  # unknown
            ("/", "spaces.test", None),
        ]
        for path, host, named in cases:
            resp = await client.get(path, host=host, extra="X-Spacehost-Space: evil/spoof\r\n")
            body = resp.json()
            assert body["control"] is True, path
            assert body["path"] == path
            seen = sent_headers(resp)
            assert seen.get("x-spacehost-space") == named, path
            assert seen["x-forwarded-host"] == host
            assert seen["x-forwarded-for"] == "127.0.0.1"
            assert "x-forwarded-prefix" not in seen
            assert resp.header("content-security-policy") is None


@aio
async def test_control_plane_down_gives_502() -> None:
    async with harness(control=False) as h:
        client = await h.client()
        resp = await client.get("/", extra="Accept: application/json\r\n")
        assert resp.status == 502
        assert "control plane" in resp.json()["error"]["message"]
        assert "spacehost serve" in resp.json()["error"]["hint"]


@aio
async def test_forwarded_headers() -> None:
    async with harness(public_url="https://spaces.test") as h:
        port = await h.upstream()
        h.publish(space("alice/demo", port), space("bob/api", port, sdk="docker"))
        client = await h.client()
        spoof = (
            "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Host: evil.example\r\n"
            "X-Real-IP: 1.1.1.1\r\nX-Forwarded-Prefix: /evil\r\n"
        )
        cases = [
            # Gradio path route: the prefix rides in X-Forwarded-Host (Gradio ignores -Prefix).
            (
                "/spaces/alice/demo/x",
                "h.test:8000",
                "h.test:8000/spaces/alice/demo",
                "/spaces/alice/demo",
            ),
            ("/spaces/bob/api/x", "h.test:8000", "h.test:8000", "/spaces/bob/api"),
            ("/x", "alice-demo.spaces.test:8000", "alice-demo.spaces.test:8000", None),
        ]
        for path, host, fwd_host, prefix in cases:
            resp = await client.get(path, host=host, extra=spoof)
            assert resp.json()["path"] == "/x"
            seen = sent_headers(resp)
            assert seen["host"] == host
            assert seen["x-forwarded-host"] == fwd_host
            assert seen.get("x-forwarded-prefix") == prefix
            assert seen["x-forwarded-proto"] == "https"
            assert seen["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
            assert seen["x-real-ip"] == "127.0.0.1"


@aio
async def test_hop_by_hop_headers_are_stripped_both_ways() -> None:
    async def hoppy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await read_head(reader)
        body = head
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: keep-alive, X-Resp-Hop\r\n"
            b"Keep-Alive: timeout=5\r\nX-Resp-Hop: 1\r\nProxy-Authenticate: Basic\r\n"
            b"X-Frame-Options: DENY\r\nX-End-To-End: kept\r\n\r\n%b" % (len(body), body)
        )
        await writer.drain()
        await reader.read()

    async with harness() as h:
        entry = space(
            "a/hop",
            await h.raw_upstream(hoppy),
            frame_ancestors="'none'",
            headers={"Cross-Origin-Opener-Policy": "same-origin"},
        )
        h.publish(entry)
        client = await h.client()
        resp = await client.get(
            "/spaces/a/hop/",
            extra=(
                "Connection: keep-alive, X-Req-Hop\r\nX-Req-Hop: secret\r\nKeep-Alive: 300\r\n"
                "TE: trailers\r\nTrailer: X-Sum\r\nProxy-Authorization: Basic eA==\r\n"
                "Upgrade: h2c\r\nX-Kept: 1\r\n"
            ),
        )
        received = resp.body.lower()
        for gone in (
            b"x-req-hop",
            b"keep-alive",
            b"te:",
            b"trailer",
            b"proxy-",
            b"upgrade",
            b"connection",
        ):
            assert gone not in received, gone
        assert b"x-kept: 1" in received
        names = [k for k, _ in resp.headers]
        for gone in (
            "x-resp-hop",
            "keep-alive",
            "proxy-authenticate",
            "x-frame-options",
            "connection",
        ):
            assert gone not in names
        assert resp.header("x-end-to-end") == "kept"
        assert resp.header("content-security-policy") == "frame-ancestors 'none'"
        assert resp.header("cross-origin-opener-policy") == "same-origin"


@aio
async def test_static_space(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_text("<h1>home</h1>")
    (root / "style.css").write_text("h1{color:red}")
    (root / "sub" / "index.html").write_text("sub home")
    (root / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    os.symlink(tmp_path / "secret.txt", root / "link.txt")
    entry = RouteEntry("bob/site", "static", "RUNNING", static_dir=str(root))
    async with harness() as h:
        h.publish(entry)
        client = await h.client()
        for prefix, host in [("/spaces/bob/site", "x.org"), ("", "bob-site.spaces.test")]:
            resp = await client.get(f"{prefix}/", host=host)
            assert (resp.status, resp.body) == (200, b"<h1>home</h1>")
            assert resp.header("content-type") == "text/html; charset=utf-8"
            assert resp.header("content-security-policy") == "frame-ancestors *"
            etag = resp.header("etag")
            resp = await client.get(f"{prefix}/", host=host, extra=f"If-None-Match: {etag}\r\n")
            assert (resp.status, resp.body) == (304, b"")
            resp = await client.get(f"{prefix}/style.css", host=host)
            assert resp.header("content-type") == "text/css; charset=utf-8"
            resp = await client.get(f"{prefix}/sub?x=1", host=host)
            assert resp.status == 308
            assert resp.header("location") == f"{prefix}/sub/?x=1"
            resp = await client.get(f"{prefix}/sub/", host=host)
            assert resp.body == b"sub home"
            resp = await client.get(f"{prefix}/big.bin", host=host)
            assert resp.body == (root / "big.bin").read_bytes()
        await client.send(b"HEAD /spaces/bob/site/style.css HTTP/1.1\r\nHost: x\r\n\r\n")
        resp = await client.response(head=True)
        assert resp.header("content-length") == "13" and resp.body == b""
        resp = await client.get("/spaces/bob/site/style.css")
        assert resp.body == b"h1{color:red}"
        await client.send(
            b"POST /spaces/bob/site/ HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
        )
        resp = await client.response()
        assert resp.status == 405 and resp.header("allow") == "GET, HEAD"
        for attack in [
            "/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/..%2fsecret.txt",
            "/link.txt",
            "/%2e%2e%2f%2e%2e%2fsecret.txt",
            "/..\\secret.txt",
        ]:
            resp = await client.get(attack, host="bob-site.spaces.test")
            assert resp.status == 404, attack
            assert b"SECRET" not in resp.body


@LOOPS
@aio
async def test_big_download_streams_with_bounded_router_memory(loop_kind: str) -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.connect(("127.0.0.1", h.port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=64 * 1024)
        writer.write(b"GET /spaces/alice/demo/big HTTP/1.1\r\nHost: x.org\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"content-length: %d" % BIG in head.lower()
        received = len(await reader.readexactly(1024 * 1024))

        # The client stops reading: backpressure must reach the upstream, the router holding
        # only a bounded amount meanwhile.
        last = -1

        def stalled() -> bool:
            nonlocal last
            now, last = last, h.state.big_sent
            return now == h.state.big_sent

        for _ in range(5):
            await poll(stalled, what="the upstream to stall")
        assert not h.state.big_done
        conns = [c for c in h.router.ctx.connections if isinstance(c, ClientConnection)]
        assert conns
        for conn in conns:
            assert conn.transport is not None
            assert conn.transport.get_write_buffer_size() <= 1024 * 1024
        upstreams = list(h.router.ctx.pool._all)
        assert upstreams and all(u.reading_paused for u in upstreams)

        while received < BIG:
            chunk = await reader.read(1024 * 1024)
            assert chunk, "connection closed early"
            received += len(chunk)
        assert received == BIG
        assert h.state.big_done
        writer.close()
        await writer.wait_closed()


@aio
async def test_bad_requests() -> None:
    async with harness() as h:
        client = await h.client()
        await client.send(b"NOT HTTP AT ALL\r\n\r\n")
        resp = await client.response()
        assert resp.status == 400 and resp.header("connection") == "close"
        assert await client.closed()

        client = await h.client()
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
        resp = await client.response()
        assert resp.status == 431

        client = await h.client()
        await client.send(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        assert (await client.response()).status == 400


@aio
async def test_router_close_ends_every_connection() -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        client = await h.client()
        await client.send(b"GET /spaces/alice/demo/sse HTTP/1.1\r\nHost: x\r\n\r\n")
        await poll(lambda: h.router.ctx.pool._all, what="an upstream connection")
        await h.router.close()
        with contextlib.suppress(ConnectionError):
            while await client.reader.read(65536):
                pass
        assert not h.router.ctx.connections
        assert not h.router.ctx.pool._all
        h.state.sse_release.set()


@aio
async def test_oversized_upstream_head_gives_502() -> None:
    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\n")
        for _ in range(40):
            writer.write(b"X-Junk: " + b"j" * 8000 + b"\r\n")
            await writer.drain()
        await reader.read()

    async with harness() as h:
        h.publish(space("a/flood", await h.raw_upstream(flood)))
        client = await h.client()
        resp = await client.get("/spaces/a/flood/")
        assert resp.status == 502


@aio
async def test_a_stale_pooled_connection_is_retried_for_safe_requests() -> None:
    connections = 0

    async def flaky(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        first = connections == 1
        while True:
            await read_head(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
            if first:
                # Like an app whose keep-alive timer fires just as the router reuses the
                # connection: the next request is read, then the connection closes unanswered.
                await read_head(reader)
                return

    async with harness() as h:
        h.publish(space("a/flaky", await h.raw_upstream(flaky)))
        client = await h.client()
        for _ in range(3):
            resp = await client.get("/spaces/a/flaky/")
            assert (resp.status, resp.body) == (200, b"ok")
        assert connections == 2


@aio
async def test_a_request_with_a_body_is_not_retried() -> None:
    async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        await read_head(reader)

    async with harness() as h:
        h.publish(space("a/once", await h.raw_upstream(once)))
        client = await h.client()
        assert (await client.get("/spaces/a/once/")).status == 200
        await client.send(b"POST /spaces/a/once/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        assert (await client.response()).status == 502


@aio
async def test_idle_client_connections_are_swept() -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        idle = await h.client()
        assert (await idle.get("/spaces/alice/demo/fast")).body == b"fast"
        busy = await h.client()
        await busy.send(b"GET /spaces/alice/demo/sse HTTP/1.1\r\nHost: x\r\n\r\n")
        conns = h.router.ctx.connections
        await poll(
            lambda: len(conns) == 2 and sum(c.idle_since is None for c in conns) == 1,
            what="one idle connection and one with a request in flight",
        )
        h.router.ctx.idle_timeout = 0.0
        h.router.ctx.sweep()
        assert await idle.closed()
        h.state.sse_release.set()
        resp = await busy.response()
        assert resp.body == b"data: one\n\ndata: two\n\n"


@aio
async def test_close_cuts_clients_that_do_not_read() -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
        sock.connect(("127.0.0.1", h.port))
        _reader, writer = await asyncio.open_connection(sock=sock, limit=16 * 1024)
        writer.write(b"GET /spaces/alice/demo/big HTTP/1.1\r\nHost: x.org\r\n\r\n")
        await poll(lambda: h.state.big_sent >= 4 * len(MB), what="the download to start")
        loop = asyncio.get_running_loop()
        started = loop.time()
        await h.router.close()
        assert loop.time() - started < 5
        assert not h.router.ctx.connections
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


@aio
async def test_a_page_host_never_reaches_an_app() -> None:
    # page.OWNER-NAME.DOMAIN serves the control plane's pages same-site with the app
    # (router/match.is_page_host): the live router must not route it to the app, by path either
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        client = await h.client()
        for path in ("/spaces/alice/demo/fast", "/fast"):
            resp = await client.get(path, host="page.alice-demo.spaces.test")
            assert resp.status == 200 and resp.json().get("control") is True, (path, resp.body)
