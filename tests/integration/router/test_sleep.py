"""The router and sleeping spaces: requests wake them (one wake call for many requests) and are
held until the route table shows them live; activity is recorded and reported."""

from __future__ import annotations

import asyncio

import aiohttp

from spacehost.activityfile import parse_activity
from spacehost.router.table import RouteEntry
from tests.support.polling import wait_for_async
from tests.support.router_harness import aio, harness, space


def wake_calls(seen: list[dict[str, object]]) -> list[dict[str, object]]:
    return [r for r in seen if r["path"] == "/api/spaces/alice/demo/wake"]


@aio
async def test_concurrent_requests_to_a_paused_space_share_one_wake_and_are_held() -> None:
    async with harness() as h:
        port = await h.upstream()
        h.publish(space("alice/demo", port, stage="SLEEPING", asleep="paused"))
        async with aiohttp.ClientSession() as session:

            async def get(i: int) -> tuple[int, str]:
                async with session.get(f"{h.url}/spaces/alice/demo/echo?i={i}") as resp:
                    return resp.status, (await resp.json())["path"]

            requests = [asyncio.ensure_future(get(i)) for i in range(10)]
            await wait_for_async(lambda: wake_calls(h.control_seen), what="the wake call")
            await asyncio.sleep(0.1)  # held: nothing answered while the space sleeps
            assert not any(r.done() for r in requests)
            h.publish(space("alice/demo", port), reload=False)  # the control plane woke it
            answers = await asyncio.gather(*requests)
        assert answers == [(200, f"/echo?i={i}") for i in range(10)]
        assert len(wake_calls(h.control_seen)) == 1
        assert h.router.ctx.waker.calls == 1
        assert not [r for r in h.control_seen if r["path"] != "/api/spaces/alice/demo/wake"]


@aio
async def test_a_browser_visiting_a_stopped_space_gets_the_control_planes_page_at_once() -> None:
    async with harness() as h:
        h.publish(RouteEntry("alice/demo", "gradio", "SLEEPING", asleep="stopped"))
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{h.url}/", headers={"Host": "alice-demo.spaces.test", "Accept": "text/html"}
            ) as resp,
        ):
            body = await resp.json()
        assert body["control"] is True and body["path"] == "/"
        await wait_for_async(lambda: wake_calls(h.control_seen), what="the wake call")


@aio
async def test_requests_and_open_streams_are_reported_as_activity() -> None:
    async with harness() as h:
        h.publish(space("alice/demo", await h.upstream()))
        activity = h.router.ctx.activity
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{h.url}/spaces/alice/demo/echo") as resp:
                assert resp.status == 200
            assert "alice/demo" in activity.last and not activity.open
            async with session.get(f"{h.url}/spaces/alice/demo/sse") as resp:
                await resp.content.readline()
                assert activity.open == {"alice/demo": 1}
                h.state.sse_release.set()
                await resp.read()
            await wait_for_async(lambda: not activity.open, what="the stream to end")
            async with session.ws_connect(f"{h.url}/spaces/alice/demo/ws") as ws:
                await ws.send_str("hi")
                assert await ws.receive_str(timeout=10) == "echo:hi"
                assert activity.open == {"alice/demo": 1}
                assert activity.report()
                report = parse_activity(activity.path.read_text())
                assert report["alice/demo"].open == 1
            await wait_for_async(lambda: not activity.open, what="the tunnel to close")
        assert activity.report()
        assert parse_activity(activity.path.read_text())["alice/demo"].open == 0
        assert not activity.report()  # nothing changed since
