"""Route matching: host and path styles, live and not-live spaces, from strings."""

from __future__ import annotations

import pytest

from spacehost.hosts import host_name
from spacehost.router.match import Match, match_host, match_path, match_request
from spacehost.router.table import RouteEntry, RouteTable

DOMAIN = "spaces.example.org"

RUNNING = RouteEntry("alice/demo", "gradio", "RUNNING", upstream="127.0.0.1:5001")
STATIC = RouteEntry("bob/site", "static", "RUNNING", static_dir="/srv/site")
BUILDING = RouteEntry("carol/wip", "gradio", "BUILDING")
ERRORED = RouteEntry("dan/bad", "gradio", "RUNTIME_ERROR", upstream="127.0.0.1:5002")
REBUILDING = RouteEntry("erin/app", "docker", "RUNNING_BUILDING", upstream="127.0.0.1:5003")
DOTTED = RouteEntry("Frank_X/my.App", "gradio", "RUNNING", upstream="127.0.0.1:5004")
PREFIX = "/spaces/alice/demo"
TABLE = RouteTable.build([RUNNING, STATIC, BUILDING, ERRORED, REBUILDING, DOTTED])


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("example.org", "example.org"),
        ("Example.ORG", "example.org"),
        ("example.org:8000", "example.org"),
        ("  example.org:80 ", "example.org"),
        ("[::1]:8000", "::1"),
        ("[::1]", "::1"),
        ("127.0.0.1:8000", "127.0.0.1"),
        ("example.org:", "example.org"),
        ("", ""),
    ],
)
def test_host_name(host: str, name: str) -> None:
    assert host_name(host) == name


@pytest.mark.parametrize(
    ("host", "space"),
    [
        ("alice-demo.spaces.example.org", "alice/demo"),
        ("ALICE-Demo.Spaces.Example.org:8443", "alice/demo"),
        ("bob-site.spaces.example.org", "bob/site"),
        ("carol-wip.spaces.example.org", "carol/wip"),
        ("frank-x-my-app.spaces.example.org", "Frank_X/my.App"),
        ("spaces.example.org", None),
        ("nobody-here.spaces.example.org", None),
        ("a.alice-demo.spaces.example.org", None),
        ("alice-demo.example.org", None),
        ("alice-demo.spaces.example.org.evil.com", None),
        (".spaces.example.org", None),
        ("alice-demospaces.example.org", None),
    ],
)
def test_match_host(host: str, space: str | None) -> None:
    entry = match_host(host, TABLE, DOMAIN)
    assert (entry.space if entry else None) == space


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/spaces/alice/demo/", Match(RUNNING, "/", "/spaces/alice/demo")),
        ("/spaces/alice/demo/a/b?x=1", Match(RUNNING, "/a/b?x=1", "/spaces/alice/demo")),
        ("/spaces/alice/demo//x", Match(RUNNING, "//x", "/spaces/alice/demo")),
        ("/spaces/alice/demo/?q=/spaces/x", Match(RUNNING, "/?q=/spaces/x", "/spaces/alice/demo")),
        ("/spaces/bob/site/index.html", Match(STATIC, "/index.html", "/spaces/bob/site")),
        ("/spaces/erin/app/x", Match(REBUILDING, "/x", "/spaces/erin/app")),
        ("/spaces/Frank_X/my.App/", Match(DOTTED, "/", "/spaces/Frank_X/my.App")),
        # The space page belongs to the control plane: no redirect, no space header.
        ("/spaces/alice/demo", Match(None, "/spaces/alice/demo")),
        ("/spaces/alice/demo?x=1", Match(None, "/spaces/alice/demo?x=1")),
        # Not live: the control plane renders the status page for the named space.
        ("/spaces/carol/wip/", Match(None, "/spaces/carol/wip/", space="carol/wip")),
        ("/spaces/dan/bad/x", Match(None, "/spaces/dan/bad/x", space="dan/bad")),
        # Unknown but valid: a 404 page for that space.
        ("/spaces/zed/none/", Match(None, "/spaces/zed/none/", space="zed/none")),
        # Paths are case-sensitive, as stored.
        ("/spaces/Alice/demo/", Match(None, "/spaces/Alice/demo/", space="Alice/demo")),
        # Not a space at all.
        ("/", Match(None, "/")),
        ("/api/spaces/alice/demo", Match(None, "/api/spaces/alice/demo")),
        ("/spaces", Match(None, "/spaces")),
        ("/spaces/", Match(None, "/spaces/")),
        ("/spaces/alice", Match(None, "/spaces/alice")),
        ("/spaces/alice/", Match(None, "/spaces/alice/")),
        ("/spacesx/alice/demo/", Match(None, "/spacesx/alice/demo/")),
        ("/spaces/-bad/demo/", Match(None, "/spaces/-bad/demo/")),
        ("/spaces/al..ice/demo/", Match(None, "/spaces/al..ice/demo/")),
        ("/spaces/alice/%2e%2e/", Match(None, "/spaces/alice/%2e%2e/")),
        ("/spaces/alice/de%0amo/", Match(None, "/spaces/alice/de%0amo/")),
        ("*", Match(None, "*")),
        # git's smart HTTP and LFS routes of a space are the control plane's (docs/git.md),
        # live or not; the space's own paths stay the app's
        *[
            (t, Match(None, t))
            for t in (
                "/spaces/alice/demo/info/refs?service=git-upload-pack",
                "/spaces/alice/demo/info/refs?service=git-receive-pack",
                "/spaces/alice/demo/git-upload-pack",
                "/spaces/alice/demo/git-receive-pack",
                "/spaces/alice/demo.git/info/refs?service=git-upload-pack",
                "/spaces/alice/demo.git/git-receive-pack",
                "/spaces/alice/demo.git/info/lfs/objects/batch",
                "/spaces/alice/demo/info/lfs/objects/batch",
                "/spaces/carol/wip/info/refs?service=git-upload-pack",
                "/spaces/zed/none.git/info/refs?service=git-upload-pack",
            )
        ],
        ("/spaces/alice/demo/info/refs", Match(RUNNING, "/info/refs", PREFIX)),
        ("/spaces/alice/demo/info/x", Match(RUNNING, "/info/x", PREFIX)),
    ],
)
def test_match_path(target: str, expected: Match) -> None:
    assert match_path(target, TABLE) == expected


@pytest.mark.parametrize(
    ("host", "target", "expected"),
    [
        # Host routing keeps the path as is, even one that looks like a path route.
        ("alice-demo.spaces.example.org", "/x?y", Match(RUNNING, "/x?y")),
        (
            "alice-demo.spaces.example.org",
            "/spaces/bob/site/",
            Match(RUNNING, "/spaces/bob/site/"),
        ),
        ("bob-site.spaces.example.org:80", "/", Match(STATIC, "/")),
        ("carol-wip.spaces.example.org", "/", Match(None, "/", space="carol/wip")),
        # An unknown space host is that host's 404 (the control plane's page), whatever the path.
        (
            "zzz.spaces.example.org",
            "/spaces/alice/demo/",
            Match(None, "/spaces/alice/demo/", space="zzz"),
        ),
        ("zzz.spaces.example.org", "/", Match(None, "/", space="zzz")),
        # Another host: path routing applies.
        ("localhost:8000", "/spaces/alice/demo/x", Match(RUNNING, "/x", "/spaces/alice/demo")),
        ("", "/spaces/alice/demo/", Match(RUNNING, "/", "/spaces/alice/demo")),
        ("spaces.example.org", "/", Match(None, "/")),
        ("", "/", Match(None, "/")),
    ],
)
def test_match_request(host: str, target: str, expected: Match) -> None:
    assert match_request(host, target, TABLE, DOMAIN) == expected


def test_empty_table_sends_everything_to_the_control_plane() -> None:
    empty = RouteTable()
    assert match_request("alice-demo.spaces.example.org", "/", empty, DOMAIN) == Match(
        None, "/", space="alice-demo"
    )
    assert match_request("h", "/spaces/a/b/", empty, DOMAIN) == Match(
        None, "/spaces/a/b/", space="a/b"
    )


def test_subdomain_collision_first_entry_wins() -> None:
    first = RouteEntry("a/b-c", "gradio", "RUNNING", upstream="127.0.0.1:1")
    second = RouteEntry("a-b/c", "gradio", "RUNNING", upstream="127.0.0.1:2")
    table = RouteTable.build([first, second])
    assert match_host("a-b-c.d.org", table, "d.org") is first
    assert match_host("a-b-c.d.org", RouteTable.build([second, first]), "d.org") is second
    # Both stay reachable by path.
    assert match_path("/spaces/a-b/c/", table).entry is second
