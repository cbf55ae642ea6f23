"""The route table carries each space's own startup timeout: the router bounds a request held
during a wake by it (tests/integration/router/test_inflight.py)."""

from __future__ import annotations

import json
from pathlib import Path

from spacehost.domain import SpaceId
from spacehost.routetable import RouteEntry, parse_routes, routes_json
from spacehost.settings import Settings
from tests.support.platforms import platform_in

SPACE = SpaceId("alice", "slowstart")


def pushed(tmp_path: Path, extra: str) -> dict[str, object]:
    with platform_in(tmp_path, settings=Settings(data_dir=tmp_path)) as p:
        p.push(
            SPACE,
            {
                "README.md": f"---\ntitle: S\nsdk: gradio\n{extra}---\n".encode(),
                "app.py": b"print(1)",
            },
        )
        assert p.wait_idle()
        entries = json.loads(p.settings.routes_file.read_text())["spaces"]
    entry: dict[str, object] = entries[0]
    return entry


def test_a_spaces_startup_timeout_reaches_its_route(tmp_path: Path) -> None:
    assert pushed(tmp_path, "startup_duration_timeout: 5m\n")["startup_timeout"] == 300


def test_without_one_the_route_leaves_it_to_the_platform(tmp_path: Path) -> None:
    assert pushed(tmp_path, "")["startup_timeout"] is None


def test_the_startup_timeout_survives_the_table_and_nonsense_is_dropped() -> None:
    entry = RouteEntry("alice/x", "gradio", "SLEEPING", asleep="stopped", startup_timeout=90.0)
    assert parse_routes(routes_json([entry])) == [entry]
    for bad in (-1, 0, "5m", True, None):
        d = {**entry.to_dict(), "startup_timeout": bad}
        assert RouteEntry.from_dict(d).startup_timeout is None
    old_table = {k: v for k, v in entry.to_dict().items() if k != "startup_timeout"}
    assert RouteEntry.from_dict(old_table).startup_timeout is None
