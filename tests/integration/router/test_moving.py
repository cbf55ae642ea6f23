"""A request to a space whose machine stopped answering (a Swarm node lost), sent before the
control plane noticed: on a route the control plane watches (``watched``), the refused request
is held until the route changes, then goes where it says — the new upstream, or the control
plane's status page — instead of a 502 (router/moving.py)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from spacehost.routetable import RouteEntry
from tests.support.router_harness import aio, harness, space


@pytest.fixture()
def dead_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        yield s.getsockname()[1]


def starting(name: str) -> RouteEntry:
    return RouteEntry(name, "gradio", "APP_STARTING")


@aio
async def test_a_refused_request_is_held_until_the_space_moves(dead_port: int) -> None:
    async with harness() as h:
        h.publish(space("alice/demo", dead_port, watched=True))
        client = await h.client()
        sent = asyncio.ensure_future(client.get("/spaces/alice/demo/x"))
        await asyncio.sleep(0.3)  # a wait the test imposes: the router must not answer yet
        assert not sent.done()
        h.publish(space("alice/demo", await h.upstream(), watched=True))  # served elsewhere
        resp = await sent
        assert resp.status == 200 and resp.json()["path"] == "/x"


@aio
async def test_a_held_request_gets_the_status_page_while_the_space_starts_elsewhere(
    dead_port: int,
) -> None:
    async with harness() as h:
        h.publish(space("alice/demo", dead_port, watched=True))
        client = await h.client()
        sent = asyncio.ensure_future(client.get("/spaces/alice/demo/x"))
        await asyncio.sleep(0.3)
        h.publish(starting("alice/demo"))
        resp = await sent
        assert resp.status == 200 and resp.json()["control"] is True  # the status page's place


@aio
async def test_an_unwatched_route_still_answers_502_at_once(dead_port: int) -> None:
    async with harness() as h:
        h.publish(space("alice/demo", dead_port))
        client = await h.client()
        resp = await asyncio.wait_for(client.get("/spaces/alice/demo/"), 2)
        assert resp.status == 502
