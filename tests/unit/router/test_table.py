"""The router's route table: parsing, indexing, validation, liveness; and reloading the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spacehost.domain import Stage
from spacehost.errors import SpacehostError
from spacehost.router.routes_file import RoutesFile
from spacehost.router.table import (
    RouteEntry,
    RouteTable,
    Upstream,
    is_live,
    parse_table,
    parse_upstream,
    routes_json,
    safe_header_value,
)


@pytest.mark.parametrize(
    ("text", "upstream"),
    [
        ("127.0.0.1:49153", Upstream("127.0.0.1", 49153)),
        ("localhost:80", Upstream("localhost", 80)),
        ("[::1]:8080", Upstream("::1", 8080)),
        ("unix:/run/app.sock", Upstream("", 0, "/run/app.sock")),
    ],
)
def test_parse_upstream(text: str, upstream: Upstream) -> None:
    assert parse_upstream(text) == upstream


def test_upstream_keys_differ_by_kind() -> None:
    assert parse_upstream("127.0.0.1:1").key == "127.0.0.1:1"
    assert parse_upstream("unix:/a.sock").key == "unix:/a.sock"


@pytest.mark.parametrize(
    "text", ["127.0.0.1", "127.0.0.1:", ":80", "host:0", "host:65536", "host:http", "unix:rel"]
)
def test_parse_upstream_rejects(text: str) -> None:
    with pytest.raises(SpacehostError, match="invalid upstream"):
        parse_upstream(text)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("*", True),
        ("'self' https://a.example", True),
        ("tab\tok", True),
        ("caf\xe9", True),
        ("a\r\nSet-Cookie: x=1", False),
        ("a\nb", False),
        ("nul\x00", False),
        ("del\x7f", False),
        ("snow\u2603", False),
    ],
)
def test_safe_header_value(value: str, ok: bool) -> None:
    assert safe_header_value(value) is ok


@pytest.mark.parametrize("stage", list(Stage))
def test_is_live_follows_the_stage(stage: Stage) -> None:
    proxied = RouteEntry("a/b", "gradio", stage.value, upstream="127.0.0.1:1")
    static = RouteEntry("a/b", "static", stage.value, static_dir="/srv")
    bare = RouteEntry("a/b", "gradio", stage.value)
    assert is_live(proxied) is stage.is_serving
    assert is_live(static) is stage.is_serving
    assert is_live(bare) is False


def test_is_live_false_for_an_unknown_stage() -> None:
    assert not is_live(RouteEntry("a/b", "gradio", "WARMING", upstream="127.0.0.1:1"))


def test_build_indexes_by_space_and_subdomain() -> None:
    a = RouteEntry("Alice/My_App", "gradio", "RUNNING", upstream="127.0.0.1:1")
    b = RouteEntry("bob/x", "static", "RUNNING", static_dir="/srv/x")
    table = RouteTable.build([a, b])
    assert table.entries == (a, b)
    assert table.by_space == {"Alice/My_App": a, "bob/x": b}
    assert table.by_subdomain == {"alice-my-app": a, "bob-x": b}


def test_build_first_entry_wins_for_duplicates() -> None:
    a = RouteEntry("a/b", "gradio", "RUNNING", upstream="127.0.0.1:1")
    a2 = RouteEntry("a/b", "gradio", "RUNNING", upstream="127.0.0.1:2")
    assert RouteTable.build([a, a2]).by_space["a/b"] is a


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (RouteEntry("nope", "gradio", "RUNNING"), "expected owner/name"),
        (RouteEntry("a/-b", "gradio", "RUNNING"), "invalid space name"),
        (RouteEntry("a/b", "gradio", "RUNNING", upstream="x"), "invalid upstream"),
        (RouteEntry("a/b", "static", "RUNNING", static_dir="rel/dir"), "must be absolute"),
        (RouteEntry("a/b", "gradio", "RUNNING", frame_ancestors="*\r\nX: y"), "control chars"),
        (RouteEntry("a/b", "gradio", "RUNNING", headers={"bad name": "v"}), "invalid header"),
        (RouteEntry("a/b", "gradio", "RUNNING", headers={"x-a": "v\r\n"}), "invalid header"),
    ],
)
def test_build_rejects_unsafe_entries(entry: RouteEntry, message: str) -> None:
    with pytest.raises(SpacehostError, match=message) as info:
        RouteTable.build([entry])
    assert "spaces[0]" in str(info.value)
    assert info.value.hint


def test_parse_table_round_trips_routes_json() -> None:
    entries = [
        RouteEntry(
            "b/two",
            "gradio",
            "RUNNING",
            upstream="127.0.0.1:9",
            frame_ancestors="'none'",
            headers={"cross-origin-opener-policy": "same-origin"},
        ),
        RouteEntry("a/one", "static", "RUNNING", static_dir="/srv/one"),
    ]
    table = parse_table(routes_json(entries))
    # routes_json sorts by space, so the table order is deterministic.
    assert [e.space for e in table.entries] == ["a/one", "b/two"]
    assert table.by_space["b/two"].headers == {"cross-origin-opener-policy": "same-origin"}
    assert table.by_space["b/two"].frame_ancestors == "'none'"


def test_parse_table_ignores_unknown_fields() -> None:
    text = (
        '{"version": 1, "spaces": [{"space": "a/b", "sdk": "gradio", "stage": "RUNNING",'
        ' "upstream": "127.0.0.1:1", "title": "x", "hardware": "cpu-basic"}]}'
    )
    assert parse_table(text).by_space["a/b"].upstream == "127.0.0.1:1"


@pytest.mark.parametrize(
    "text",
    ["", "{", "[]", '{"version": 2, "spaces": []}', '{"version": 1, "spaces": [{"sdk": "x"}]}'],
)
def test_parse_table_rejects_bad_files(text: str) -> None:
    with pytest.raises(SpacehostError, match="route table") as info:
        parse_table(text)
    assert "version 1" in info.value.hint


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(".routes.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def test_routes_file_reloads_on_change_at_most_every_interval(tmp_path: Path) -> None:
    path = tmp_path / "routes.json"
    clock = Clock()
    routes = RoutesFile(path, clock, interval=0.5)
    assert routes.current().entries == ()  # a missing file is an empty table

    _write_atomically(path, routes_json([RouteEntry("a/b", "gradio", "RUNNING")]))
    clock.now += 0.25
    assert routes.current().entries == ()  # checked too recently: not re-read yet
    clock.now += 0.25
    assert [e.space for e in routes.current().entries] == ["a/b"]

    _write_atomically(path, routes_json([RouteEntry("c/d", "gradio", "RUNNING")]))
    clock.now += 0.5
    assert [e.space for e in routes.current().entries] == ["c/d"]


def test_routes_file_keeps_the_last_good_table(tmp_path: Path) -> None:
    path = tmp_path / "routes.json"
    clock = Clock()
    routes = RoutesFile(path, clock)
    _write_atomically(path, routes_json([RouteEntry("a/b", "gradio", "RUNNING")]))
    assert routes.refresh()
    _write_atomically(path, "{not json")
    assert not routes.refresh()
    assert [e.space for e in routes.table.entries] == ["a/b"]
    assert not routes.refresh()  # the same bad file is not parsed again
    path.unlink()
    assert routes.refresh()
    assert routes.table.entries == ()


def test_routes_file_compiles_space_targets(tmp_path: Path) -> None:
    path = tmp_path / "routes.json"
    entry = RouteEntry(
        "a/b",
        "gradio",
        "RUNNING",
        upstream="127.0.0.1:9",
        frame_ancestors="'none'",
        headers={"X-A": "1"},
    )
    static = RouteEntry("c/d", "static", "RUNNING", static_dir="/srv/d")
    _write_atomically(path, routes_json([entry, static]))
    routes = RoutesFile(path, Clock())
    routes.refresh()
    compiled = routes.target_for("a/b")
    assert compiled.upstream == Upstream("127.0.0.1", 9)
    assert b"content-security-policy: frame-ancestors 'none'\r\n" in compiled.headers.extra
    assert b"x-a: 1\r\n" in compiled.headers.extra
    assert routes.target_for("c/d").upstream is None
    assert routes.target_for("other/space").headers.extra == b""
