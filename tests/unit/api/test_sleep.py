"""The sleeptime / pause / wake API over HTTP (aiohttp test server, fake engine)."""

from __future__ import annotations

from spacehost.domain import Stage
from spacehost.lifecycle import Platform
from tests.support.control_api import AUTH, DEMO, DEMO_BASE, ApiCall, serve_api

SPACE, BASE = DEMO, DEMO_BASE


def test_sleeptime_sets_gc_timeout_and_needs_the_token(platform: Platform) -> None:
    async def scenario(call: ApiCall) -> None:
        status, body = await call("GET", f"{BASE}/runtime")
        assert (status, body["gcTimeout"]) == (200, 3600)
        assert body["sleep"] == {"level": None, "idleSeconds": body["sleep"]["idleSeconds"]}
        status, body = await call("POST", f"{BASE}/sleeptime", json={"seconds": 300})
        assert (status, body["error"]["code"]) == (401, "unauthorized")
        status, body = await call("POST", f"{BASE}/sleeptime", json={"seconds": 300}, headers=AUTH)
        assert (status, body["gcTimeout"]) == (200, 300)
        status, body = await call("POST", f"{BASE}/sleeptime", json={"seconds": -1}, headers=AUTH)
        assert (status, body["gcTimeout"]) == (200, None)
        status, body = await call(
            "POST", f"{BASE}/sleeptime", json={"seconds": "soon"}, headers=AUTH
        )
        assert (status, body["error"]["code"]) == (400, "invalid_request")

    serve_api(platform, scenario)
    assert platform.store.get_space(SPACE).sleep_time == -1


def test_pause_then_wake_does_nothing_until_restart(platform: Platform) -> None:
    async def scenario(call: ApiCall) -> None:
        status, body = await call("POST", f"{BASE}/pause", headers=AUTH)
        assert (status, body["stage"]) == (200, "PAUSED")
        status, body = await call("POST", f"{BASE}/wake")
        assert (status, body["waking"]) == (200, False)
        status, body = await call("POST", "/api/spaces/alice/nope/wake")
        assert status == 404

    serve_api(platform, scenario)
    assert platform.store.get_space(SPACE).stage is Stage.PAUSED
