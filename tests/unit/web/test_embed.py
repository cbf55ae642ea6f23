"""Embed snippets (iframe, versioned web component) and the router's embedding policy."""

from __future__ import annotations

import pytest

from spacehost.router.headers import HOP_BY_HOP, NO_EMBED_DROP, response_head, space_headers
from spacehost.routetable import RouteEntry
from spacehost.web.embed import component_name, embed_snippets

URL = "http://alice-demo.localhost:8000/"
JS = "http://127.0.0.1:8000/static/gradio/6.31.0/gradio.js"


def test_snippets_exact() -> None:
    s = embed_snippets(URL, JS, title="Demo", height=450)
    assert s.iframe == (
        '<iframe src="http://alice-demo.localhost:8000/" title="Demo" width="100%" height="450" '
        'frameborder="0" allow="clipboard-write; microphone; camera"></iframe>'
    )
    assert s.web_component == (
        '<script type="module" src="http://127.0.0.1:8000/static/gradio/6.31.0/gradio.js">'
        '</script>\n<gradio-app-6-31-0 src="http://alice-demo.localhost:8000/">'
        "</gradio-app-6-31-0>"
    )


def test_two_versions_get_two_element_names() -> None:
    old = embed_snippets(
        "http://a-old.localhost:8000/",
        "http://127.0.0.1:8000/static/gradio/5.49.1/gradio.js",
        title="Old",
    )
    new = embed_snippets(URL, JS, title="New")
    assert "<gradio-app-5-49-1 " in old.web_component
    assert "<gradio-app-6-31-0 " in new.web_component


@pytest.mark.parametrize(
    ("url", "name"),
    [
        (JS, "gradio-app-6-31-0"),
        ("https://spaces.example.org/static/gradio/6.0.0rc1/gradio.js", "gradio-app-6-0-0rc1"),
        ("https://gradio.s3-us-west-2.amazonaws.com/4.36.1/gradio.js", "gradio-app"),
        ("http://127.0.0.1:8000/static/gradio/latest/gradio.js", "gradio-app"),
        ("http://127.0.0.1:8000/static/gradio/6.31.0/other.js", "gradio-app"),
    ],
)
def test_component_name(url: str, name: str) -> None:
    assert component_name(url) == name


def test_snippets_escape_everything() -> None:
    s = embed_snippets('http://x/"><script>', 'http://y/"<', title='"><b>')
    assert "<script>" not in s.iframe.replace('<script type="module"', "")
    assert '"><b>' not in s.iframe and "&quot;&gt;&lt;b&gt;" in s.iframe
    assert 'src="http://y/&quot;&lt;"' in s.web_component
    assert 'src="http://x/&quot;&gt;&lt;script&gt;"' in s.web_component


CORS = [
    (b"access-control-allow-origin", b"http://other:9"),
    (b"access-control-allow-credentials", b"true"),
    (b"access-control-allow-methods", b"GET, POST"),
    (b"content-type", b"application/json"),
]


def test_embeddable_space_keeps_the_apps_cors_answers() -> None:
    compiled = space_headers(RouteEntry("a/b", "gradio", "RUNNING", frame_ancestors="*"))
    head = response_head(200, b"OK", CORS, compiled, chunked=False, connection=b"")
    assert b"access-control-allow-origin: http://other:9\r\n" in head
    assert b"content-security-policy: frame-ancestors *\r\n" in head


def test_disable_embedding_drops_cors_so_the_web_component_is_refused() -> None:
    compiled = space_headers(RouteEntry("a/b", "gradio", "RUNNING", frame_ancestors="'none'"))
    assert compiled.drop >= NO_EMBED_DROP | HOP_BY_HOP | {b"x-frame-options"}
    head = response_head(200, b"OK", CORS, compiled, chunked=False, connection=b"")
    assert b"access-control-" not in head
    assert b"content-type: application/json\r\n" in head
    assert b"content-security-policy: frame-ancestors 'none'\r\n" in head
