"""The join-body peek of a space with replicas, the way a hostile client attacks it: raw sockets.

The router reads a ``POST .../queue/join`` body (up to ``PEEK_LIMIT``) before it chooses the
replica. That must not change where any message ends: each replica (an h11 parser, the strict
reference) receives exactly the requests the client framed, the body whole, whatever the mix of
Content-Length, chunking, pipelining or bodies too big or too broken to read.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from spacehost.router.gradiosession import PEEK_LIMIT
from spacehost.router.routes_file import replica_token
from spacehost.router.table import Upstream
from spacehost.routetable import RouteEntry
from tests.support.h11_upstream import H11Upstream, Received
from tests.support.polling import wait_for_async
from tests.support.ports import free_port
from tests.support.router_harness import Harness, aio, harness, read_head

HOST = b"alice-demo.spaces.test"
VICTIM = b"GET /mine HTTP/1.1\r\nHost: " + HOST + b"\r\nCookie: session=victim\r\n\r\n"
JOIN = b"/gradio_api/queue/join"
COOKIE = "spacehost_replica"


class Replicated:
    def __init__(self, h: Harness, upstreams: list[H11Upstream]) -> None:
        self.h = h
        self.upstreams = upstreams

    def received(self) -> list[tuple[int, Received]]:
        """Every complete request, with the index of the replica that got it."""
        return [(i, r) for i, u in enumerate(self.upstreams) for r in u.received if r.complete]

    def errors(self) -> list[str]:
        return [e for u in self.upstreams for e in u.errors]

    def where(self, target: bytes) -> list[int]:
        return [i for i, r in self.received() if r.target == target]


def entry(ports: list[int]) -> RouteEntry:
    upstreams = tuple(f"127.0.0.1:{p}" for p in ports)
    return RouteEntry("alice/demo", "gradio", "RUNNING", replicas=upstreams)


def join(session: str, extra: bytes = b"") -> bytes:
    return json.dumps({"data": [], "fn_index": 0, "session_hash": session}).encode() + extra


def post(body: bytes, *, chunks: list[bytes] | None = None, target: bytes = JOIN) -> bytes:
    head = b"POST " + target + b" HTTP/1.1\r\nHost: " + HOST + b"\r\n"
    if chunks is None:
        return head + b"Content-Length: %d\r\n\r\n" % len(body) + body
    framed = b"".join(b"%x\r\n%b\r\n" % (len(c), c) for c in chunks)
    return head + b"Transfer-Encoding: chunked\r\n\r\n" + framed + b"0\r\n\r\n"


async def start(count: int) -> list[H11Upstream]:
    upstreams = [H11Upstream() for _ in range(count)]
    for u in upstreams:
        await u.start()
    return upstreams


async def stop(upstreams: list[H11Upstream]) -> None:
    for u in upstreams:
        await u.stop()


async def exchange(h: Harness, data: bytes, responses: int = 1) -> list[int]:
    client = await h.client()
    await client.send(data)
    return [(await asyncio.wait_for(client.response(), 5)).status for _ in range(responses)]


@aio
async def test_a_join_goes_to_the_replica_its_session_is_on() -> None:
    upstreams = await start(3)
    try:
        async with harness() as h:
            r = Replicated(h, upstreams)
            h.publish(entry([u.port for u in upstreams]))
            heartbeat = b"GET /gradio_api/heartbeat/s1 HTTP/1.1\r\nHost: " + HOST + b"\r\n\r\n"
            assert await exchange(h, heartbeat) == [200]
            body = join("s1")
            # split inside the key, the value and the JSON: the peek sees the parsed body
            chunks = [body[:5], body[5:20], body[20:-3], body[-3:]]
            for request in (post(body), post(body, chunks=chunks)):
                assert await exchange(h, request + VICTIM, 2) == [200, 200]
            data = b"GET /gradio_api/queue/data?session_hash=s1 HTTP/1.1\r\nHost: " + HOST
            assert await exchange(h, data + b"\r\n\r\n") == [200]
    finally:
        await stop(upstreams)
    assert r.errors() == []
    home = r.where(b"/gradio_api/heartbeat/s1")
    assert len(home) == 1
    assert r.where(JOIN) == home * 2
    assert r.where(b"/gradio_api/queue/data?session_hash=s1") == home
    assert [rec.body for _, rec in r.received() if rec.target == JOIN] == [body, body]


SMUGGLED = b"GET /admin HTTP/1.1\r\nHost: " + HOST + b"\r\nX-Glue: "


@pytest.mark.parametrize(
    "request_bytes",
    [
        post(join("s2", SMUGGLED)),  # a request inside the JSON's Content-Length
        post(b"", chunks=[join("s2"), SMUGGLED]),  # ... inside a chunk
        post(SMUGGLED + b"x" * PEEK_LIMIT),  # too big to peek: the default choice
        post(b"{not json" + SMUGGLED),  # malformed: the default choice
        post(join("s2"), target=JOIN + b"?x=1"),
    ],
    ids=["cl", "chunked", "over-peek-limit", "malformed", "query"],
)
@aio
async def test_the_peek_keeps_every_body_whole(request_bytes: bytes) -> None:
    upstreams = await start(3)
    try:
        async with harness() as h:
            r = Replicated(h, upstreams)
            h.publish(entry([u.port for u in upstreams]))
            assert await exchange(h, request_bytes + VICTIM, 2) == [200, 200]
    finally:
        await stop(upstreams)
    assert r.errors() == []
    got = [rec for _, rec in r.received()]
    assert [rec.target.partition(b"?")[0] for rec in got] == [JOIN, b"/mine"]
    sent_body = request_bytes.partition(b"\r\n\r\n")[2]
    if b"Transfer-Encoding" in request_bytes:
        sent_body = join("s2") + SMUGGLED
    assert got[0].body == sent_body
    assert got[1].header(b"cookie") == [b"session=victim"]


AMBIGUOUS = {
    "TE and CL": b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "differing CL": b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "gzip then chunked": b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "bad chunk size": b"Transfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n",
}


@pytest.mark.parametrize("tail", AMBIGUOUS.values(), ids=AMBIGUOUS.keys())
@aio
async def test_an_ambiguous_join_is_refused_before_any_replica(tail: bytes) -> None:
    upstreams = await start(3)
    try:
        async with harness() as h:
            r = Replicated(h, upstreams)
            h.publish(entry([u.port for u in upstreams]))
            head = b"POST " + JOIN + b" HTTP/1.1\r\nHost: " + HOST + b"\r\n"
            assert await exchange(h, head + tail + VICTIM) == [400]
    finally:
        await stop(upstreams)
    assert r.received() == []


@aio
async def test_a_join_that_expects_100_continue_is_not_held() -> None:
    # its client sends the body only once a replica says 100 Continue: it goes on at once
    upstreams = await start(2)
    try:
        async with harness() as h:
            r = Replicated(h, upstreams)
            h.publish(entry([u.port for u in upstreams]))
            body = join("s3")
            client = await h.client()
            head = post(body).partition(b"\r\n\r\n")[0]
            await client.send(head + b"\r\nExpect: 100-continue\r\n\r\n")
            await wait_for_async(
                lambda: any(u.received for u in upstreams), what="the head at a replica"
            )
            await client.send(body)
            assert (await asyncio.wait_for(client.response(), 5)).status == 200
    finally:
        await stop(upstreams)
    assert [rec.body for _, rec in r.received()] == [body]


@aio
async def test_new_sessions_go_round_a_replica_that_refuses() -> None:
    upstreams = await start(2)
    dead = free_port()  # nothing listens there
    try:
        async with harness() as h:
            h.publish(entry([dead, upstreams[0].port, upstreams[1].port]))
            statuses = []
            for i in range(6):
                statuses += await exchange(h, post(join(f"new-{i}")))
            spread = [len(u.received) for u in upstreams]
            # a session whose replica dies fails once (its state is gone), then starts anew
            await exchange(h, post(join("s4")))
            home = next(i for i, u in enumerate(upstreams) if len(u.received) > spread[i])
            await upstreams[home].stop()
            h.router.ctx.pool.close()  # its connections die with it
            again = await exchange(h, post(join("s4")))
            then = await exchange(h, post(join("s4")))
    finally:
        await stop(upstreams)
    assert statuses == [200] * 6  # none of the new sessions saw the dead replica
    assert spread == [3, 3]
    assert (again, then) == ([502], [200])
    assert upstreams[1 - home].received[-1].body == join("s4")


@aio
async def test_the_affinity_cookie_names_a_replica_and_a_space_cannot_forge_it() -> None:
    async def tosser(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:  # a space trying to choose its visitors' replica (or another space's)
            await read_head(reader)
            writer.write(
                b"HTTP/1.1 200 OK\r\nSet-Cookie: spacehost_replica=forged; Path=/\r\n"
                b"Content-Length: 2\r\n\r\nok"
            )
            await writer.drain()

    upstreams = await start(2)
    try:
        async with harness() as h:
            r = Replicated(h, upstreams)
            third = await h.raw_upstream(tosser)
            h.publish(entry([upstreams[0].port, upstreams[1].port, third]))
            client = await h.client()
            first = await client.get("/spaces/alice/demo/", host="x.org")
            [cookie] = [v for k, v in first.headers if k == "set-cookie"]
            assert cookie.endswith("; Path=/spaces/alice/demo; HttpOnly; SameSite=Lax")
            token = cookie.split(";")[0]
            for _ in range(4):  # the same replica, and no new cookie
                again = await client.get("/a", host=HOST.decode(), extra=f"Cookie: {token}\r\n")
                assert (again.status, again.header("set-cookie")) == (200, None)
            forged = await client.get(
                "/b", host=HOST.decode(), extra="Cookie: spacehost_replica=x\r\n"
            )
            third_answer = await client.get("/c", host=HOST.decode())
            tossed = await client.get("/d", host=HOST.decode())
    finally:
        await stop(upstreams)
    assert r.where(b"/") == r.where(b"/a")[:1] and len(set(r.where(b"/a"))) == 1
    assert (
        forged.header(
            "set-cookie",
        )
        is not None
    )  # an unknown value: chosen anew
    assert [third_answer.status, tossed.status] == [200, 200]
    for resp in (third_answer, tossed):
        assert all("forged" not in v for k, v in resp.headers if k == "set-cookie")


@aio
async def test_a_cookie_naming_a_dead_replica_gets_a_new_one() -> None:
    upstreams = await start(2)
    dead = free_port()
    try:
        async with harness() as h:
            h.publish(entry([dead, upstreams[0].port, upstreams[1].port]))
            stale = replica_token("alice/demo", Upstream("127.0.0.1", dead))
            client = await h.client()
            resp = await client.get("/x", host=HOST.decode(), extra=f"Cookie: {COOKIE}={stale}\r\n")
    finally:
        await stop(upstreams)
    assert resp.status == 200
    cookie = resp.header("set-cookie") or ""
    assert cookie.startswith(f"{COOKIE}=") and stale not in cookie
    assert cookie.endswith("; Path=/; HttpOnly; SameSite=Lax")
