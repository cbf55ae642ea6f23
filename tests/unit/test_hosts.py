"""spacehost.hosts: the Host parse the router and the control plane share."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from spacehost.domain import SpaceId
from spacehost.hosts import host_name, page_host_label, subdomain_label
from spacehost.settings import Settings
from spacehost.web.urls import space_urls

SPACE = SpaceId("Frank_X", "my.App")


@pytest.mark.parametrize("port", [80, 8000])
def test_the_hosts_the_platform_hands_out_parse_back_to_the_space(port: int) -> None:
    settings = Settings(domain="spaces.example.org", port=port)
    urls = space_urls(SPACE, settings)
    app_host, page_host = urlsplit(urls.host).netloc, urlsplit(urls.page_host).netloc
    assert subdomain_label(app_host, settings.domain) == SPACE.subdomain == "frank-x-my-app"
    assert page_host_label(page_host, settings.domain) == SPACE.subdomain
    assert page_host_label(app_host, settings.domain) is None
    assert subdomain_label(page_host, settings.domain) is None  # never an app host


@pytest.mark.parametrize(
    "host",
    [
        "",
        ":",
        "spaces.example.org",
        "a.b.spaces.example.org",
        "alice-demo.other.org",
        "[::1]:8000",
        "[::1",
        "page..spaces.example.org",
    ],
)
def test_hosts_that_name_no_space(host: str) -> None:
    assert subdomain_label(host, "spaces.example.org") is None
    assert page_host_label(host, "spaces.example.org") is None


@pytest.mark.parametrize(
    "host",
    [
        "Page.Alice-Demo.Spaces.Example.ORG",
        " page.alice-demo.spaces.example.org:443 ",
        "page.alice-demo.spaces.example.org:",
    ],
)
def test_page_host_any_case_port_or_empty_port(host: str) -> None:
    assert page_host_label(host, "spaces.example.org") == "alice-demo"
    assert host_name(host).endswith("spaces.example.org")
