"""Replicas in the route table: the format stays version 1, old files load, bad ones refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spacehost.errors import SpacehostError
from spacehost.router.routes_file import RoutesFile
from spacehost.router.table import RouteEntry, Upstream, parse_table, routes_json

THREE = ("127.0.0.1:1001", "127.0.0.1:1002", "127.0.0.1:1003")


def test_replicas_round_trip_with_upstream_first() -> None:
    entry = RouteEntry("a/b", "gradio", "RUNNING", replicas=THREE)
    assert entry.upstream == THREE[0] and entry.upstreams == THREE
    text = routes_json([entry])
    assert json.loads(text)["version"] == 1
    assert parse_table(text).by_space["a/b"] == entry


def test_a_table_of_one_replica_is_written_as_before() -> None:
    one = RouteEntry("a/b", "gradio", "RUNNING", upstream=THREE[0])
    assert "replicas" not in json.loads(routes_json([one]))["spaces"][0]
    assert one.upstreams == (THREE[0],)
    assert RouteEntry("a/b", "static", "RUNNING").upstreams == ()


def test_an_older_file_without_replicas_still_loads() -> None:
    old = {"space": "a/b", "sdk": "gradio", "stage": "RUNNING", "upstream": THREE[0]}
    table = parse_table(json.dumps({"version": 1, "spaces": [old]}))
    assert table.by_space["a/b"].upstreams == (THREE[0],)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (RouteEntry("a/b", "gradio", "RUNNING", replicas=(THREE[0], "nope")), "invalid upstream"),
        (
            RouteEntry("a/b", "gradio", "RUNNING", upstream=THREE[1], replicas=THREE),
            "replicas[0] is not upstream",
        ),
    ],
)
def test_bad_replicas_are_refused(entry: RouteEntry, message: str) -> None:
    with pytest.raises(SpacehostError, match=message.replace("[", r"\[")):
        parse_table(routes_json([entry]))


def test_compiled_targets_carry_the_replicas(tmp_path: Path) -> None:
    path = tmp_path / "routes.json"
    path.write_text(
        routes_json(
            [
                RouteEntry("a/b", "gradio", "RUNNING", replicas=THREE),
                RouteEntry("c/d", "gradio", "RUNNING", upstream=THREE[0]),
            ]
        )
    )
    routes = RoutesFile(path, lambda: 0.0)
    routes.refresh()
    assert routes.target_for("a/b").replicas == tuple(
        Upstream("127.0.0.1", p) for p in (1001, 1002, 1003)
    )
    assert routes.target_for("c/d").replicas == ()  # one upstream: no choosing at all


def test_watched_round_trips_and_is_written_only_when_set() -> None:
    watched = RouteEntry("a/b", "gradio", "RUNNING", upstream=THREE[0], watched=True)
    assert json.loads(routes_json([watched]))["spaces"][0]["watched"] is True
    assert parse_table(routes_json([watched])).by_space["a/b"].watched
    plain = RouteEntry("a/b", "gradio", "RUNNING", upstream=THREE[0])
    assert "watched" not in json.loads(routes_json([plain]))["spaces"][0]
    assert not parse_table(routes_json([plain])).by_space["a/b"].watched
