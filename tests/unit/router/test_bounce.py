"""Sending a browser through the platform's host: which requests, and where to."""

from __future__ import annotations

import pytest

from spacehost.router.bounce import (
    bounce_location,
    is_navigation,
    platform_base,
    request_port,
    was_bounced,
)
from spacehost.spaceaccess import BOUNCED_PARAM

HTML = "text/html,application/xhtml+xml,*/*;q=0.8"


@pytest.mark.parametrize(
    ("method", "accept", "headers", "navigation"),
    [
        (b"GET", HTML, [(b"sec-fetch-mode", b"navigate")], True),
        (b"GET", HTML, [(b"sec-fetch-mode", b"Navigate ")], True),
        (b"GET", HTML, [(b"sec-fetch-mode", b"cors")], False),  # a fetch() from a page
        (b"GET", "*/*", [(b"sec-fetch-mode", b"no-cors")], False),  # an <img>
        (b"GET", HTML, [], True),  # a browser without Sec-Fetch-Mode
        (b"GET", "application/json", [], False),
        (b"GET", "", [], False),  # curl, gradio_client
        (b"POST", HTML, [(b"sec-fetch-mode", b"navigate")], False),  # a form post
        (b"HEAD", HTML, [], False),
    ],
)
def test_is_navigation(
    method: bytes, accept: str, headers: list[tuple[bytes, bytes]], navigation: bool
) -> None:
    assert is_navigation(method, accept, headers) is navigation


def test_was_bounced() -> None:
    assert was_bounced(f"/?{BOUNCED_PARAM}=1".encode())
    assert was_bounced(f"/x?a=1&{BOUNCED_PARAM}".encode())
    assert not was_bounced(b"/x")
    assert not was_bounced(f"/{BOUNCED_PARAM}".encode())  # in the path, not the query
    assert not was_bounced(f"/?x{BOUNCED_PARAM}=1".encode())


def test_the_platform_base_is_the_public_url_else_the_domain_on_the_request_port() -> None:
    assert platform_base("https://hub.example.org/", "", "http", "d.org", "a-b.d.org:1") == (
        "https://hub.example.org"
    )
    assert (
        platform_base("", "", "http", "localhost", "a-b.localhost:8000") == "http://localhost:8000"
    )
    assert platform_base("", "", "https", "d.org", "a-b.d.org") == "https://d.org"
    # a platform on loopback only: where its users sign in, the base URL it prints
    local = "http://127.0.0.1:8000"
    assert platform_base("", local, "http", "localhost", "a-b.localhost:8000") == local
    assert request_port("a-b.d.org:") == ""
    assert request_port("[::1]:80") == "80"


def test_bounce_location_quotes_the_label_and_the_whole_target() -> None:
    assert bounce_location("http://d.org:8000", "alice-demo", b"/a b?x=1&y=%2F#f") == (
        "http://d.org:8000/auth/space?host=alice-demo&next=%2Fa%20b%3Fx%3D1%26y%3D%252F%23f"
    )
