"""Message framing through the router, the way a hostile client (or space) attacks it: raw sockets.

Request smuggling needs the router and the upstream to disagree about where a request ends; the
router must frame every body it forwards from its own parse, refuse what is ambiguous, and pool
an upstream connection only when both directions ended on a message boundary.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.support.h11_upstream import H11Upstream
from tests.support.router_harness import aio, harness, read_head, space

VICTIM = (
    b"GET /mine HTTP/1.1\r\nHost: alice-demo.spaces.test\r\n"
    b"Authorization: Bearer victim-token\r\nCookie: session=victim\r\n\r\n"
)


@aio
async def test_connection_header_cannot_remove_content_length() -> None:
    # The outsider's attack: `Connection: content-length` made the router drop Content-Length
    # but forward the body, which the upstream read as the start of the next request; the
    # pooled connection then glued the next client's request (and credentials) onto it.
    smuggled = b"GET /admin-action HTTP/1.1\r\nHost: alice-demo.spaces.test\r\nX-Glue: "
    attack = (
        b"POST /form HTTP/1.1\r\nHost: alice-demo.spaces.test\r\n"
        b"Connection: keep-alive, content-length\r\nContent-Length: %d\r\n\r\n%b"
        % (len(smuggled), smuggled)
    )
    upstream = H11Upstream()
    async with harness() as h:
        h.publish(space("alice/demo", await upstream.start()))
        try:
            attacker = await h.client()
            await attacker.send(attack)
            assert (await asyncio.wait_for(attacker.response(), 5)).status == 200
            victim = await h.client()
            await victim.send(VICTIM)
            assert (await asyncio.wait_for(victim.response(), 5)).status == 200
        finally:
            await upstream.stop()
    assert upstream.errors == []
    got = [(r.method, r.target, r.body, r.complete) for r in upstream.received]
    assert got == [(b"POST", b"/form", smuggled, True), (b"GET", b"/mine", b"", True)]
    assert upstream.received[0].header(b"content-length") == [b"%d" % len(smuggled)]
    assert upstream.received[1].header(b"authorization") == [b"Bearer victim-token"]


@aio
async def test_connection_header_cannot_remove_host_or_transfer_encoding() -> None:
    attack = (
        b"POST /c HTTP/1.1\r\nHost: alice-demo.spaces.test\r\n"
        b"Connection: host, transfer-encoding, Content-Length\r\nTransfer-Encoding: chunked\r\n"
        b"\r\n5\r\nhello\r\n0\r\n\r\n"
    )
    upstream = H11Upstream()
    async with harness() as h:
        h.publish(space("alice/demo", await upstream.start()))
        try:
            client = await h.client()
            await client.send(attack + VICTIM)
            assert (await asyncio.wait_for(client.response(), 5)).status == 200
            assert (await asyncio.wait_for(client.response(), 5)).status == 200
        finally:
            await upstream.stop()
    assert upstream.errors == []
    assert [(r.target, r.body) for r in upstream.received] == [(b"/c", b"hello"), (b"/mine", b"")]
    assert upstream.received[0].header(b"host") == [b"alice-demo.spaces.test"]


@aio
async def test_a_space_cannot_unframe_its_response_with_connection() -> None:
    # The response direction: a space naming Content-Length in Connection must not leave the
    # client without framing (its next response would be read as this one's body).
    async def unframed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_head(reader)
            writer.write(
                b"HTTP/1.1 200 OK\r\nConnection: content-length\r\nContent-Length: 5\r\n\r\nhello"
            )
            await writer.drain()

    async with harness() as h:
        h.publish(space("a/unframed", await h.raw_upstream(unframed)))
        client = await h.client()
        for _ in range(2):
            resp = await asyncio.wait_for(client.get("/spaces/a/unframed/"), 5)
            assert (resp.status, resp.body, resp.header("content-length")) == (200, b"hello", "5")


@aio
async def test_a_body_sent_with_a_head_response_does_not_reach_the_client() -> None:
    async def chatty(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await read_head(reader)
            body = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"  # looks like a response
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
            writer.write(body if head.startswith(b"HEAD") else b"x" * len(body))
            await writer.drain()

    async with harness() as h:
        h.publish(space("a/chatty", await h.raw_upstream(chatty)))
        reader, writer = await asyncio.open_connection("127.0.0.1", h.port)
        writer.write(b"HEAD /spaces/a/chatty/ HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await asyncio.wait_for(read_head(reader), 5)
        assert head.startswith(b"HTTP/1.1 200")
        writer.write(b"GET /spaces/a/chatty/ HTTP/1.1\r\nHost: x\r\n\r\n")
        second = await asyncio.wait_for(read_head(reader), 5)
        assert second.startswith(b"HTTP/1.1 200 OK\r\n")
        assert await asyncio.wait_for(reader.readexactly(38), 5) == b"x" * 38
        writer.close()


@aio
async def test_an_early_response_does_not_leave_the_connection_pooled() -> None:
    # An upstream that answers before reading the body (and never reads it) would take the
    # body as its next request; the router must not hand that connection to the next client.
    seen: list[bytes] = []

    async def early(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                data = await reader.read(65536)
                if not data:
                    return
                buf += data
            head, _, buf = buf.partition(b"\r\n\r\n")
            seen.append(head)
            if head.split(b" ")[1] != b"/early":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                continue
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n")
            while not buf:  # the body arrives; this server leaves it for the next "request"
                data = await reader.read(65536)
                if not data:
                    return
                buf += data
            writer.write(b"0\r\n\r\n")

    smuggled = b"GET /smuggled HTTP/1.1\r\nX-Glue: "
    async with harness() as h:
        h.publish(space("alice/demo", await h.raw_upstream(early)))
        reader, writer = await asyncio.open_connection("127.0.0.1", h.port)
        writer.write(
            b"POST /early HTTP/1.1\r\nHost: alice-demo.spaces.test\r\nContent-Length: %d\r\n\r\n"
            % len(smuggled)
        )
        # the response starts before the body is sent; then the body, then the response ends
        assert b"ok" in await asyncio.wait_for(reader.readuntil(b"ok\r\n"), 5)
        writer.write(smuggled)
        assert await asyncio.wait_for(reader.readuntil(b"0\r\n\r\n"), 5) == b"0\r\n\r\n"
        writer.close()
        victim = await h.client()
        await victim.send(VICTIM)
        assert (await asyncio.wait_for(victim.response(), 5)).status == 200
    targets = [head.split(b" ")[1] for head in seen]
    assert targets == [b"/early", b"/mine"]


AMBIGUOUS = {
    "gzip then chunked": b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "chunked twice": b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
    "TE and CL": b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "differing CL": b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "CL list": b"Content-Length: 5, 6\r\n\r\nhello!",
    "obs-fold": b"X-A: 1\r\n 2\r\n\r\n",
    "bare LF": b"X-A: 1\nX-B: 2\r\n\r\n",
    "bare CR": b"X-A: 1\rX-B: 2\r\n\r\n",
    "bad chunk size": b"Transfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n",
}


@pytest.mark.parametrize("tail", AMBIGUOUS.values(), ids=AMBIGUOUS.keys())
@aio
async def test_ambiguous_framing_is_refused(tail: bytes) -> None:
    upstream = H11Upstream()
    async with harness() as h:
        h.publish(space("alice/demo", await upstream.start()))
        try:
            client = await h.client()
            await client.send(
                b"POST /x HTTP/1.1\r\nHost: alice-demo.spaces.test\r\nAccept: application/json\r\n"
                + tail
                + VICTIM
            )
            resp = await asyncio.wait_for(client.response(), 5)
            assert resp.status == 400
            assert resp.header("connection") == "close"
            error = json.loads(resp.body)["error"]
            assert error["code"] == "invalid_request" and error["message"] and error["hint"]
            assert await asyncio.wait_for(client.closed(), 5)
        finally:
            await upstream.stop()
    assert [r for r in upstream.received if r.complete] == []
    assert upstream.errors == []


@aio
async def test_chunked_in_http10_is_refused() -> None:
    async with harness() as h:
        h.publish(space("alice/demo", 9))
        client = await h.client()
        await client.send(
            b"POST /x HTTP/1.0\r\nHost: alice-demo.spaces.test\r\nTransfer-Encoding: chunked\r\n"
            b"\r\n5\r\nhello\r\n0\r\n\r\n"
        )
        resp = await asyncio.wait_for(client.response(), 5)
        assert resp.status == 400
        assert "Transfer-Encoding" in resp.body.decode()


@aio
async def test_absolute_form_target_is_routed_and_forwarded_with_its_own_host() -> None:
    a, b = H11Upstream(), H11Upstream()
    async with harness() as h:
        h.publish(space("alice/one", await a.start()), space("bob/two", await b.start()))
        try:
            client = await h.client()
            await client.send(
                b"GET http://bob-two.spaces.test:8000/x?y=1 HTTP/1.1\r\n"
                b"Host: alice-one.spaces.test\r\n\r\n"
            )
            assert (await asyncio.wait_for(client.response(), 5)).status == 200
            await client.send(b"GET http://user@bob-two.spaces.test/ HTTP/1.1\r\nHost: a\r\n\r\n")
            assert (await asyncio.wait_for(client.response(), 5)).status == 400
        finally:
            await a.stop()
            await b.stop()
    assert a.received == []
    [got] = b.received
    assert got.target == b"/x?y=1"
    assert got.header(b"host") == [b"bob-two.spaces.test:8000"]
    assert got.header(b"x-forwarded-host") == [b"bob-two.spaces.test:8000"]


@aio
async def test_a_response_with_a_coding_other_than_chunked_is_a_502() -> None:
    async def gzipped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nnot really gzip")
        await writer.drain()
        await reader.read()

    async with harness() as h:
        h.publish(space("a/gz", await h.raw_upstream(gzipped)))
        client = await h.client()
        resp = await asyncio.wait_for(client.get("/spaces/a/gz/"), 5)
        assert resp.status == 502
        assert b"not really" not in resp.body
