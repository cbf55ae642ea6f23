"""An in-process router between real servers on free ports, for the router's integration
tests: upstream apps (aiohttp, or raw asyncio servers where exact bytes matter), a control plane
on a Unix socket, the route table written as the control plane writes it, and a raw HTTP/1.1
client that sends bytes as given.

``harness()`` starts them; ``aio`` runs an async test on a fresh loop (uvloop when the test's
``loop_kind`` parameter says so, see ``LOOPS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import shutil
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

from spacehost.atomicfile import replacing
from spacehost.router import Router, start_router
from spacehost.routetable import RouteEntry, routes_json
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
            runner.run(asyncio.wait_for(fn(*args, **kwargs), 60))

    return wrapper


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
    app.router.add_get("/gradio_api/dev/reload", slow)  # Gradio's reload stream: never ends
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
        with replacing(self.data / "run" / "routes.json") as f:
            f.write(routes_json(entries).encode())
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
