"""What keeps a space awake, and how long a request waits for a wake, through the real router:
a request in flight counts as activity until its response ends (a long non-streaming request
is not idle time), and a request held while its space wakes waits for the space's own
``startup_duration_timeout`` (from the route table), not the platform's."""

from __future__ import annotations

import asyncio
import socket
import struct
import time

import aiohttp

from spacehost.activityfile import parse_activity
from spacehost.router.table import RouteEntry
from tests.support.polling import wait_for_async
from tests.support.router_harness import aio, harness, space


@aio
async def test_a_long_request_in_flight_keeps_its_space_busy() -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        activity = h.router.ctx.activity
        async with aiohttp.ClientSession() as session:
            slow = asyncio.ensure_future(session.get(f"{h.url}/spaces/alice/demo/slow"))
            await asyncio.wait_for(h.state.slow_seen.wait(), 10)
            assert activity.open == {"alice/demo": 1}
            assert activity.report()
            assert parse_activity(activity.path.read_text())["alice/demo"].open == 1
            h.state.slow_release.set()
            async with await slow as resp:
                assert await resp.text() == "slow"
            await wait_for_async(lambda: not activity.open, what="the request to end")
        assert activity.report()
        assert parse_activity(activity.path.read_text())["alice/demo"].open == 0


@aio
async def test_gradios_reload_stream_does_not_keep_its_space_awake() -> None:
    """An open page of a Gradio space under its reload watcher holds ``/dev/reload`` open for
    as long as it is open (docs/pushing.md#hot-reload); that is not use of the space."""
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        activity = h.router.ctx.activity
        client = await h.client()
        await client.send(
            b"GET /spaces/alice/demo/gradio_api/dev/reload HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        await asyncio.wait_for(h.state.slow_seen.wait(), 10)
        assert activity.open == {}
        h.state.slow_release.set()


@aio
async def test_a_request_whose_client_goes_away_stops_counting() -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        activity = h.router.ctx.activity
        client = await h.client()
        await client.send(b"GET /spaces/alice/demo/slow HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.wait_for(h.state.slow_seen.wait(), 10)
        assert activity.open == {"alice/demo": 1}
        # a reset, not a FIN: a half-closed client would still get its response
        sock = client.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.writer.close()
        await wait_for_async(lambda: not activity.open, what="the aborted request to stop counting")
        h.state.slow_release.set()


@aio
async def test_a_held_request_waits_for_the_spaces_own_startup_timeout() -> None:
    async with harness() as h:
        assert h.router.ctx.settings.startup_timeout_s >= 60  # the platform's: far longer
        h.publish(
            RouteEntry(
                "alice/demo",
                "gradio",
                "SLEEPING",
                asleep="paused",
                upstream="127.0.0.1:9",
                startup_timeout=0.5,
            )
        )
        started = time.monotonic()
        async with aiohttp.ClientSession() as session:
            get = session.get(f"{h.url}/spaces/alice/demo/echo")
            async with await asyncio.wait_for(get, 20) as resp:
                body = await resp.json()
        waited = time.monotonic() - started
        # never woken: after 0.5 s the control plane answers (its status page, here an echo)
        assert body["control"] is True and 0.5 <= waited < 10
