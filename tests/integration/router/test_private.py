"""Private spaces at the router (issue 14): a visitor without access gets exactly what a space
that does not exist gets, credentials are checked once per (space, credentials) with the
control plane and cached, a browser is sent through the platform's host, and no platform
credential ever reaches a space's container, public or private.

Real servers on free ports: an echo upstream that records what it received, the router
in-process, and a stand-in control plane on the router's Unix socket
(tests/support/access_control.py) that answers the access check from a table.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from spacehost.routetable import RouteEntry
from spacehost.spaceaccess import BOUNCED_PARAM, CACHE_ALLOW_S, CACHE_DENY_S
from tests.support.access_control import AccessControl, serve_access_control
from tests.support.polling import wait_for_async
from tests.support.router_harness import LOOPS, Harness, RawResponse, aio, harness, space

TOKEN = "hf_alice_reads_secret"
SESSION = "spacehost_session=alice-session"
PASS = "spacehost_space=alice-secret-pass"
SECRET = "alice/secret"
HOST = "alice-secret.spaces.test"
PUBLIC_HOST = "alice-open.spaces.test"
JSON = "Accept: application/json\r\n"


@dataclass
class Private:
    h: Harness
    ac: AccessControl
    upstream_seen: list[dict[str, Any]]
    port: int

    def publish(self, *extra: RouteEntry, secret: bool = True) -> None:
        entries = [space("alice/open", self.port), *extra]
        if secret:
            entries.append(space(SECRET, self.port, private=True))
        self.h.publish(*entries)


def recording_app(seen: list[dict[str, Any]]) -> web.Application:
    async def ws(request: web.Request) -> web.WebSocketResponse:
        seen.append({"path": request.path_qs, "headers": {}, "body": ""})
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        async for msg in sock:
            if msg.type == aiohttp.WSMsgType.TEXT:
                await sock.send_str("echo:" + msg.data)
        return sock

    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        got = {
            "path": request.path_qs,
            "headers": {k.lower(): request.headers.getall(k) for k in request.headers},
            "body": body.decode("latin-1"),
        }
        seen.append(got)
        return web.json_response(got)

    async def cookies(request: web.Request) -> web.Response:
        resp = web.Response(text="cookies")
        resp.headers.add("Set-Cookie", "theme=dark; Path=/")
        resp.headers.add("Set-Cookie", "spacehost_session=forged; Domain=spaces.test; Path=/")
        return resp

    app = web.Application()
    app.router.add_get("/ws", ws)
    app.router.add_get("/set-cookies", cookies)
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


@contextlib.asynccontextmanager
async def private_router(**kw: Any) -> AsyncIterator[Private]:
    async with harness(control=False, **kw) as h:
        ac = AccessControl(allowed={SECRET: {TOKEN, SESSION, PASS}})
        h.cleanups.append(await serve_access_control(str(h.router.ctx.settings.control_socket), ac))
        seen: list[dict[str, Any]] = []
        p = Private(h, ac, seen, await h.serve(recording_app(seen)))
        p.publish()
        yield p


def answer(resp: RawResponse) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
    """What a visitor can see of a response: status, body, headers (the date aside)."""
    body = resp.json()
    body["headers"] = [h for h in body["headers"] if h[0] != "date"]
    return resp.status, body, [h for h in resp.headers if h[0] != "date"]


async def visit(p: Private, path: str, host: str, extra: str = JSON) -> RawResponse:
    client = await p.h.client()
    return await client.get(path, host=host, extra=extra)


# -- denied looks like unknown ------------------------------------------------------------------


@aio
async def test_a_visitor_without_access_gets_what_a_space_that_does_not_exist_gets() -> None:
    async with private_router() as p:
        cases = [
            ("/x?a=1", HOST, ""),  # host style, no credential
            ("/spaces/alice/secret/x?a=1", "x.org", ""),  # path style, no credential
            ("/x", HOST, "Authorization: Bearer hf_someone_else\r\n"),
            ("/spaces/alice/secret/x", "x.org", "Cookie: spacehost_session=stale\r\n"),
            ("/x", HOST, "Authorization: Bearer abc\r\n"),  # not a platform token
        ]
        for path, host, extra in cases:
            p.publish()
            private = answer(await visit(p, path, host, JSON + extra))
            p.publish(secret=False)
            unknown = answer(await visit(p, path, host, JSON + extra))
            assert private == unknown, (path, extra)
            assert private[0] == 404 and private[1]["control"] is True
        assert p.upstream_seen == []
        # no credential at all: denied without asking; a wrong one: asked once (then cached)
        assert len(p.ac.checks) == 2


@aio
async def test_each_platform_credential_reaches_a_private_space_on_both_url_styles() -> None:
    basic = base64.b64encode(f"alice:{TOKEN}".encode()).decode()  # git's stored credential
    credentials = [
        f"Authorization: Bearer {TOKEN}\r\n",
        f"X-HF-Authorization: Bearer {TOKEN}\r\n",  # gradio_client
        f"Authorization: Basic {basic}\r\n",
        f"Cookie: {SESSION}\r\n",
        f"Cookie: theme=dark; {PASS}\r\n",
    ]
    async with private_router() as p:
        for extra in credentials:
            for path, host in (("/x", HOST), ("/spaces/alice/secret/x", "x.org")):
                resp = await visit(p, path, host, JSON + extra)
                assert resp.status == 200, (extra, path)
                assert resp.json()["path"] == "/x"
        assert len(p.upstream_seen) == 2 * len(credentials)
        assert len(p.ac.checks) == len(credentials)  # both URL styles share the answer
        for check in p.ac.checks:
            assert check["x-spacehost-space"] == SECRET
        assert p.ac.checks[4]["cookie"] == PASS  # only the platform's cookies are sent
        for got in p.upstream_seen:
            assert TOKEN not in str(got) and "spacehost_" not in str(got)


# -- credentials never reach a space ------------------------------------------------------------


@LOOPS
@aio
async def test_platform_credentials_never_reach_a_space_public_or_private(loop_kind: str) -> None:
    platform = (
        f"Authorization: Bearer {TOKEN}\r\nX-HF-Authorization: Bearer {TOKEN}\r\n"
        f"Cookie: a=1; {SESSION}; b=2; spacehost_csrf=c\r\nCookie: {PASS}\r\n"
    )
    own = f"Authorization: Bearer abc\r\nCookie: theme=dark; {PASS}\r\nCookie: c=3\r\n"
    async with private_router() as p:
        for host in (PUBLIC_HOST, HOST):
            got = (await visit(p, "/x", host, platform)).json()["headers"]
            assert "authorization" not in got and "x-hf-authorization" not in got
            assert got["cookie"] == ["a=1; b=2"]  # the one left; the platform-only one dropped
            got = (await visit(p, "/x", host, own)).json()["headers"]
            assert got["authorization"] == ["Bearer abc"]  # a space's own Authorization passes
            assert got["cookie"] == ["theme=dark", "c=3"]


@aio
async def test_a_space_cannot_set_a_platform_cookie() -> None:
    async with private_router() as p:
        for host, extra in ((PUBLIC_HOST, ""), (HOST, f"Cookie: {PASS}\r\n")):
            resp = await visit(p, "/set-cookies", host, extra)
            assert resp.status == 200
            assert [v for k, v in resp.headers if k == "set-cookie"] == ["theme=dark; Path=/"]


@aio
async def test_the_control_plane_still_gets_the_credentials() -> None:
    async with private_router() as p:
        extra = f"Authorization: Bearer {TOKEN}\r\nCookie: {SESSION}\r\n"
        resp = await visit(p, "/api/whoami-v2", "spaces.test", extra)
        got = dict(resp.json()["headers"])
        assert got["authorization"] == f"Bearer {TOKEN}" and got["cookie"] == SESSION


# -- the cache ----------------------------------------------------------------------------------


@aio
async def test_answers_are_cached_per_space_and_credentials_and_expire() -> None:
    async with private_router() as p:
        now = [1000.0]
        p.h.router.ctx.access.clock = lambda: now[0]
        client = await p.h.client()
        for _ in range(20):
            assert (await client.get("/x", host=HOST, extra=f"Cookie: {SESSION}\r\n")).status == 200
        assert len(p.ac.checks) == 1
        now[0] += CACHE_ALLOW_S + 0.01
        assert (await client.get("/x", host=HOST, extra=f"Cookie: {SESSION}\r\n")).status == 200
        assert len(p.ac.checks) == 2
        wrong = f"Authorization: Bearer hf_wrong\r\n{JSON}"
        for _ in range(5):
            assert (await client.get("/x", host=HOST, extra=wrong)).status == 404
        assert len(p.ac.checks) == 3
        now[0] += CACHE_DENY_S + 0.01
        assert (await client.get("/x", host=HOST, extra=wrong)).status == 404
        assert len(p.ac.checks) == 4


@aio
async def test_concurrent_requests_with_the_same_credentials_share_one_check() -> None:
    async with private_router() as p:
        p.ac.gate = asyncio.Event()
        async with aiohttp.ClientSession() as session:

            async def get(i: int) -> int:
                url = f"{p.h.url}/spaces/alice/secret/x?i={i}"
                async with session.get(url, headers={"Cookie": SESSION}) as resp:
                    return resp.status

            requests = [asyncio.ensure_future(get(i)) for i in range(10)]
            await wait_for_async(lambda: p.ac.checks, what="the check call")
            assert not any(r.done() for r in requests)
            p.ac.gate.set()
            assert await asyncio.gather(*requests) == [200] * 10
        assert len(p.ac.checks) == 1 and p.h.router.ctx.access.calls == 1


@LOOPS
@aio
async def test_a_websocket_to_a_private_space_waits_for_the_check(loop_kind: str) -> None:
    async with private_router() as p, aiohttp.ClientSession() as session:
        url = f"{p.h.url}/spaces/alice/secret/ws"
        async with session.ws_connect(url, headers={"Cookie": SESSION}) as ws:
            await ws.send_str("hi")
            assert await ws.receive_str(timeout=10) == "echo:hi"
        assert len(p.ac.checks) == 1
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(url, headers={"Cookie": "spacehost_session=x"})
        assert refused.value.status == 404
        assert [got["path"] for got in p.upstream_seen] == ["/ws"]


# -- browsers -----------------------------------------------------------------------------------


NAVIGATE = "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\nSec-Fetch-Mode: navigate\r\n"


@aio
async def test_a_browser_is_sent_through_the_platform_for_a_private_or_unknown_host() -> None:
    async with private_router() as p:
        port = p.h.port
        bounces = {}
        for label in ("alice-secret", "nobody-there"):
            host = f"{label}.spaces.test:{port}"
            resp = await visit(p, "/x/y?a=1&b=%20", host, NAVIGATE)
            assert resp.status == 302
            # the router of this harness listens on loopback: its users sign in at its base URL
            base = p.h.router.ctx.settings.base_url
            assert resp.header("location") == (
                f"{base}/auth/space?host={label}&next=%2Fx%2Fy%3Fa%3D1%26b%3D%2520"
            )
            assert resp.header("cache-control") == "no-store"
            bounces[label] = [
                (k, v.replace(label, "LABEL")) for k, v in resp.headers if k != "date"
            ]
        assert bounces["alice-secret"] == bounces["nobody-there"]
        # without Sec-Fetch-Mode, an HTML Accept counts as a navigation
        assert (await visit(p, "/", HOST, "Accept: text/html\r\n")).status == 302
        assert p.ac.checks == [] and p.upstream_seen == []


@aio
async def test_no_bounce_when_bounced_already_or_not_a_navigation_or_allowed() -> None:
    async with private_router() as p:
        back = f"/?{BOUNCED_PARAM}=1"
        p.publish()
        private = answer(await visit(p, back, HOST, NAVIGATE))
        p.publish(secret=False)
        unknown = answer(await visit(p, back, HOST, NAVIGATE))
        assert private == unknown and private[0] == 404  # back from the platform, no pass
        p.publish()
        fetch = "Accept: text/html\r\nSec-Fetch-Mode: cors\r\n"
        assert (await visit(p, "/", HOST, fetch)).status == 404
        path_style = await visit(p, "/spaces/alice/secret/", "spaces.test", NAVIGATE)
        assert path_style.status == 404 and path_style.json()["control"] is True
        allowed = await visit(p, "/", HOST, NAVIGATE + f"Cookie: {PASS}\r\n")
        assert allowed.status == 200 and p.upstream_seen[0]["path"] == "/"


@aio
async def test_the_bounce_goes_to_the_public_url_when_one_is_set() -> None:
    async with private_router(public_url="https://hub.example.org") as p:
        resp = await visit(p, "/", HOST, NAVIGATE)
        assert resp.header("location") == (
            "https://hub.example.org/auth/space?host=alice-secret&next=%2F"
        )


# -- sleeping private spaces --------------------------------------------------------------------


@aio
async def test_a_sleeping_private_space_wakes_only_for_a_visitor_who_may_see_it() -> None:
    async with private_router() as p:
        asleep = RouteEntry(SECRET, "gradio", "SLEEPING", asleep="paused", private=True)
        p.publish(asleep, secret=False)
        for path, host in (("/spaces/alice/secret/x", "x.org"), ("/x", HOST)):
            resp = await visit(p, path, host)
            assert resp.status == 404 and resp.json()["control"] is True
        assert p.h.router.ctx.waker.calls == 0
        assert not [f for f in p.ac.forwarded if f["path"].endswith("/wake")]
        assert SECRET not in p.h.router.ctx.activity.last  # nor kept awake by it

        allowed = asyncio.ensure_future(visit(p, "/x", HOST, f"Cookie: {SESSION}\r\n"))
        await wait_for_async(
            lambda: [f for f in p.ac.forwarded if f["path"] == "/api/spaces/alice/secret/wake"],
            what="the wake call",
        )
        assert p.h.router.ctx.waker.calls == 1 and not allowed.done()
        p.publish(secret=True)  # the control plane woke it
        assert (await allowed).status == 200


# -- smuggling ----------------------------------------------------------------------------------


@aio
async def test_a_smuggled_or_pipelined_request_cannot_ride_on_anothers_credentials() -> None:
    async with private_router() as p:
        smuggled = f"GET /stolen HTTP/1.1\r\nHost: {HOST}\r\n\r\n"
        client = await p.h.client()
        await client.send(
            (
                f"POST /first HTTP/1.1\r\nHost: {HOST}\r\nCookie: {PASS}\r\n"
                f"Content-Length: {len(smuggled)}\r\n\r\n{smuggled}"
                f"GET /second HTTP/1.1\r\nHost: {HOST}\r\n{JSON}\r\n"
            ).encode()
        )
        first, second = await client.response(), await client.response()
        assert first.status == 200 and first.json()["body"] == smuggled
        assert second.status == 404 and second.json()["control"] is True
        assert [got["path"] for got in p.upstream_seen] == ["/first"]

        # ambiguous framing (the classic CL.TE desync) is refused before anything is served
        client = await p.h.client()
        await client.send(
            (
                f"POST /third HTTP/1.1\r\nHost: {HOST}\r\nCookie: {PASS}\r\n"
                f"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}"
            ).encode()
        )
        assert (await client.response()).status == 400
        assert await client.closed()
        assert [got["path"] for got in p.upstream_seen] == ["/first"]
