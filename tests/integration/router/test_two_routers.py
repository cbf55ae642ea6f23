"""Two routers on one data dir (docs/cluster.md, "Two routers behind a load balancer"): each
reports the use it sees in its own file, and the idle loop's reader sees both — neither router's
report overwrites the other's, so a space used through one of them is not put to sleep early."""

from __future__ import annotations

import aiohttp

from spacehost.activityfile import read_activities
from spacehost.router import start_router
from spacehost.settings import Settings
from tests.support.router_harness import DOMAIN, aio, harness, space


@aio
async def test_each_routers_use_reaches_the_idle_loop() -> None:
    async with harness() as h:
        port = await h.upstream()
        h.publish(space("alice/one", port), space("alice/two", port))
        second = await start_router(
            Settings(data_dir=h.data, host="127.0.0.1", port=0, domain=DOMAIN)
        )
        try:
            async with aiohttp.ClientSession() as session:
                for url, name in ((h.url, "one"), (second.url, "two")):
                    async with session.get(f"{url}/spaces/alice/{name}/echo") as resp:
                        assert resp.status == 200
            assert h.router.ctx.activity.report() and second.ctx.activity.report()
            seen = read_activities(Settings(data_dir=h.data).activity_dir)
        finally:
            await second.close()
    assert h.router.ctx.activity.path != second.ctx.activity.path
    assert set(seen) == {"alice/one", "alice/two"}
    assert seen["alice/one"].last == h.router.ctx.activity.last["alice/one"]
    assert seen["alice/two"].last == second.ctx.activity.last["alice/two"]
