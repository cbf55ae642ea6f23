"""router/route_watch.py: a held request's look at its space's route is read afresh from the
file each poll (a change the control plane writes shows at the next look), and the looks end
at the deadline."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from spacehost.atomicfile import replacing
from spacehost.router.route_watch import route_looks
from spacehost.router.routes_file import RoutesFile
from spacehost.routetable import RouteEntry, routes_json


def publish(path: Path, *entries: RouteEntry) -> None:
    with replacing(path) as f:
        f.write(routes_json(entries).encode())


def test_each_look_reads_the_route_table_file_afresh(tmp_path: Path) -> None:
    path = tmp_path / "routes.json"
    publish(path, RouteEntry("alice/demo", "gradio", "APP_STARTING"))
    routes = RoutesFile(path, time.monotonic, interval=3600)  # only check_now reads the file

    async def watch() -> list[str | None]:
        seen: list[str | None] = []
        async for entry in route_looks(routes, "alice/demo", 30, 0.001):
            seen.append(entry.stage if entry else None)
            if entry is None:
                return seen
            if entry.stage == "APP_STARTING":
                publish(path, RouteEntry("alice/demo", "gradio", "RUNNING", "127.0.0.1:1"))
            else:
                publish(path)  # the space is gone from the table
        return seen

    assert asyncio.run(watch()) == ["APP_STARTING", "RUNNING", None]


def test_the_looks_end_at_the_deadline(tmp_path: Path) -> None:
    routes = RoutesFile(tmp_path / "routes.json", time.monotonic)

    async def count() -> int:
        return len([entry async for entry in route_looks(routes, "alice/demo", 0.05, 0.01)])

    started = time.monotonic()
    looks = asyncio.run(count())
    assert 1 <= looks <= 10 and time.monotonic() - started < 5
