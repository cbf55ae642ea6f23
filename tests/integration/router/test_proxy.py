"""The router against real servers on free ports: streaming, keep-alive, upgrades, errors.

Every test starts its own upstreams (aiohttp apps, or raw asyncio servers where exact bytes
matter), a control plane on a Unix socket and the router in-process, on the default asyncio loop
and, for the streaming tests, on uvloop as in production (tests/support/router_harness.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
from pathlib import Path

import aiohttp

from spacehost.router.connection import ClientConnection
from spacehost.router.table import RouteEntry
from tests.support.polling import wait_for_async
from tests.support.router_harness import (
    BIG,
    LOOPS,
    MB,
    aio,
    harness,
    read_head,
    sent_headers,
    space,
)


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
        await wait_for_async(reaches_space, what="the router to pick up the new table")

        async def reaches_control() -> bool:
            return not await reaches_space()

        h.publish(space("alice/demo", port, stage="SLEEPING"), reload=False)
        await wait_for_async(reaches_control, what="the router to see the space asleep")


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
            await wait_for_async(stalled, what="the upstream to stall")
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
        await wait_for_async(lambda: h.router.ctx.pool._all, what="an upstream connection")
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
        await wait_for_async(
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
        await wait_for_async(lambda: h.state.big_sent >= 4 * len(MB), what="the download to start")
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
