"""Where a space's page is served so that its app frame is same-site (issue 11, C15)."""

from __future__ import annotations

import pytest

from spacehost.domain import SpaceId
from spacehost.hosts import page_host_label
from spacehost.router.match import is_page_host, match_request
from spacehost.router.table import RouteEntry, RouteTable
from spacehost.settings import Settings
from spacehost.web.page_host import stays
from spacehost.web.urls import frames_cross_site, space_urls

APP = "alice-demo.localhost:8000"


def test_page_host_is_a_subdomain_of_the_app_host() -> None:
    urls = space_urls(SpaceId("alice", "demo"), Settings(port=8000))
    assert urls.page_host == "http://page.alice-demo.localhost:8000/spaces/alice/demo"


@pytest.mark.parametrize(
    ("host", "cross"),
    [
        ("127.0.0.1:8000", True),
        ("localhost:8000", True),
        ("[::1]:8000", True),
        ("bob-other.localhost:8000", True),
        ("page.bob-other.localhost:8000", True),
        ("page.alice-demo.localhost:8000", False),
        ("PAGE.Alice-Demo.localhost", False),
        ("hub.example.org", False),  # a real domain: the operator's choice (docs/embedding.md)
    ],
)
def test_frames_cross_site(host: str, cross: bool) -> None:
    assert frames_cross_site(host, APP) is cross


@pytest.mark.parametrize(
    ("host", "page"),
    [
        ("page.alice-demo.localhost:8000", True),
        ("page.alice-demo.localhost", True),
        ("alice-demo.localhost:8000", False),
        ("page.localhost:8000", False),
        ("page.a.b.localhost:8000", False),
        ("x.alice-demo.localhost:8000", False),
        ("127.0.0.1:8000", False),
    ],
)
def test_is_page_host(host: str, page: bool) -> None:
    assert is_page_host(host, "localhost") is page


def test_a_page_host_never_routes_to_an_app() -> None:
    table = RouteTable.build(
        [RouteEntry("alice/demo", "gradio", "RUNNING", upstream="127.0.0.1:5001")]
    )
    match = match_request(
        "page.alice-demo.localhost:8000", "/spaces/alice/demo/", table, "localhost"
    )
    assert match.entry is None and match.space is None
    assert match_request("alice-demo.localhost:8000", "/", table, "localhost").entry


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        ("/spaces/alice/demo", True),
        ("/spaces/Alice/Demo", True),  # the subdomain is lower case
        ("/api/spaces/alice/demo/logs", True),
        ("/favicon.ico", True),
        ("/spaces/bob/other", False),
        ("/spaces/alice/demo/", False),
        ("/", False),
        ("/docs", False),
        ("/sentence-transformers/all-MiniLM-L6-v2", False),
        ("/spaces/../x", False),
    ],
)
def test_a_page_host_keeps_only_its_page_and_the_api(path: str, kept: bool) -> None:
    assert stays(path, "alice-demo") is kept
    assert page_host_label("page.alice-demo.localhost:8000", "localhost") == "alice-demo"
