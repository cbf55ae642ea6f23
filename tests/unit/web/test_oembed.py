"""oEmbed: which space a URL names, and the answer's shape."""

from __future__ import annotations

import pytest

from spacehost.errors import InvalidRequest, NotFound
from spacehost.settings import Settings
from spacehost.web.oembed import _dimension, find_target, oembed_json
from tests.support.web_records import HOSTILE, record

SETTINGS = Settings(port=8000)
RECS = [record("alice/demo"), record("bob/my-app"), record("bob-my/app")]


@pytest.mark.parametrize(
    ("url", "space"),
    [
        ("http://127.0.0.1:8000/spaces/alice/demo", "alice/demo"),
        ("http://127.0.0.1:8000/spaces/alice/demo/", "alice/demo"),
        ("https://elsewhere.example/spaces/bob/my-app?tab=logs", "bob/my-app"),
        ("http://alice-demo.localhost:8000/", "alice/demo"),
        ("http://ALICE-DEMO.localhost:8000/gradio_api/info", "alice/demo"),
    ],
)
def test_page_and_host_urls_find_the_space(url: str, space: str) -> None:
    assert str(find_target(url, RECS, SETTINGS).id) == space


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/",
        "http://127.0.0.1:8000/spaces/alice/nope",
        "http://nobody-here.localhost:8000/",
        "http://example.org/whatever",
    ],
)
def test_unknown_urls_are_not_found(url: str) -> None:
    with pytest.raises(NotFound):
        find_target(url, RECS, SETTINGS)


@pytest.mark.parametrize("url", ["nope", "ftp://127.0.0.1/spaces/alice/demo", "/spaces/a/b", ""])
def test_bad_urls_are_invalid(url: str) -> None:
    with pytest.raises(InvalidRequest):
        find_target(url, RECS, SETTINGS)


def test_answer_is_oembed_rich_with_an_iframe_of_the_space_host() -> None:
    body = oembed_json(record("alice/demo", title=HOSTILE), SETTINGS, width=640, height=480)
    assert {
        k: body[k]
        for k in (
            "version",
            "type",
            "author_name",
            "provider_name",
            "provider_url",
            "width",
            "height",
        )
    } == {
        "version": "1.0",
        "type": "rich",
        "author_name": "alice",
        "provider_name": "spacehost",
        "provider_url": "http://127.0.0.1:8000/",
        "width": 640,
        "height": 480,
    }
    assert body["title"] == HOSTILE
    assert body["html"].startswith(
        '<iframe src="http://alice-demo.localhost:8000/" title="&lt;script&gt;'
    )
    assert 'width="640" height="480"' in body["html"]


def test_embedding_disabled_has_no_oembed() -> None:
    with pytest.raises(NotFound, match="cannot be embedded"):
        oembed_json(record(disable_embedding=True), SETTINGS)


def test_max_dimensions_cap_the_defaults() -> None:
    assert _dimension({}, "maxwidth", 800) == 800
    assert _dimension({"maxwidth": "500"}, "maxwidth", 800) == 500
    assert _dimension({"maxwidth": "5000"}, "maxwidth", 800) == 800
    for bad in ("abc", "0", "-3"):
        with pytest.raises(InvalidRequest):
            _dimension({"maxwidth": bad}, "maxwidth", 800)
