"""Embedding spaces in a page of ANOTHER origin (a small HTTP server on its own 127.0.0.1 port),
in Debian chromium: by iframe and by the ``<gradio-app>`` web component whose ``gradio.js``
spacehost serves per Gradio version; two Gradio versions in one page; and
``disable_embedding: true`` refused both ways. Screenshots go to artifacts/."""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from playwright.sync_api import (
    ConsoleMessage,
    Frame,
    FrameLocator,
    Locator,
    Page,
    expect,
)

from tests.e2e.chromium import ARTIFACTS, BROWSER_TESTS
from tests.e2e.conftest import ROOT, Running

pytestmark = BROWSER_TESTS
HELLO, NOEMBED, OLD = "e2e/em-hello", "e2e/em-noembed", "e2e/em-old"
NEW_VERSION, OLD_VERSION = "6.31.0", "5.49.1"
APP = (ROOT / "spaces" / "hello" / "app.py").read_text()
README = """---
title: {title}
sdk: gradio
sdk_version: {version}
app_file: app.py
{extra}
---
"""
SPACES = {
    HELLO: README.format(title="Embed hello", version=NEW_VERSION, extra=""),
    NOEMBED: README.format(
        title="Not embeddable", version=NEW_VERSION, extra="disable_embedding: true"
    ),
    OLD: README.format(title="Old gradio", version=OLD_VERSION, extra=""),
}
BUILD_TIMES: dict[str, float] = {}


class OtherOrigin:
    """Pages served from their own origin, ``http://127.0.0.1:{port}``: the embedding site."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "not found").encode())

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, path: str, body: str) -> str:
        """Serve *body* (inside a minimal HTML page) at *path*; returns its URL."""
        self.pages[path] = f"<!doctype html><meta charset=utf-8><title>{path}</title>\n{body}"
        return self.origin + path


@pytest.fixture(scope="module")
def site() -> Iterator[OtherOrigin]:
    other = OtherOrigin()
    yield other
    other.server.shutdown()
    other.server.server_close()


@pytest.fixture(scope="module")
def spaces(platform: Running, tmp_path_factory: pytest.TempPathFactory) -> Running:
    for space, readme in SPACES.items():
        folder = tmp_path_factory.mktemp(space.split("/")[1])
        (folder / "README.md").write_text(readme)
        (folder / "app.py").write_text(APP)
        started = time.monotonic()
        platform.cli("push", str(folder), "--name", space, check=True)
        BUILD_TIMES[space] = time.monotonic() - started
    return platform


VIEWPORT = {"width": 1200, "height": 1400}  # read by the page fixture


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"embed-{name}.png"), full_page=True)


def greet(scope: Page | Locator | FrameLocator, who: str) -> None:
    """Type *who* into the hello app inside *scope*, submit, and read the greeting."""
    scope.get_by_label("name").fill(who)
    scope.get_by_role("button", name="Submit").click()
    expect(scope.get_by_label("greeting")).to_have_value(f"Hello, {who}!", timeout=30_000)


def gradio_js(spaces: Running, version: str) -> str:
    return f"{spaces.url}/static/gradio/{version}/gradio.js"


def component(spaces: Running, space: str, version: str) -> str:
    """The web component snippet the Embed tab gives (web.embed.embed_snippets)."""
    from spacehost.web.embed import embed_snippets

    return embed_snippets(
        spaces.space_url(space, "subdomain"), gradio_js(spaces, version), title=space
    ).web_component


def test_gradio_js_is_served_per_version_with_cors(spaces: Running) -> None:
    for version in (NEW_VERSION, OLD_VERSION):
        resp = requests.get(
            gradio_js(spaces, version), timeout=60, headers={"Origin": "http://127.0.0.1:1"}
        )
        assert resp.status_code == 200, resp.text
        assert resp.headers["Content-Type"].startswith("text/javascript")
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        assert "immutable" in resp.headers["Cache-Control"]
        assert resp.text.startswith('import("./assets/index-')
        entry = resp.text.split('"./')[1].split('"')[0]
        chunk = requests.get(f"{spaces.url}/static/gradio/{version}/{entry}", timeout=30).text
        name = "gradio-app-" + version.replace(".", "-")
        assert f"customElements.define(`{name}`," in chunk
    # what was extracted is the files of that version: Gradio's own version string is in them
    missing = requests.get(gradio_js(spaces, "4.44.1"), timeout=30)
    assert missing.status_code == 404 and missing.json()["error"]["hint"]
    print(f"build times: {BUILD_TIMES}")


def test_iframe_from_another_origin(spaces: Running, site: OtherOrigin, page: Page) -> None:
    url = site.page(
        "/iframe.html",
        f'<iframe id=app src="{spaces.space_url(HELLO, "subdomain")}"'
        " width=1000 height=700></iframe>",
    )
    page.goto(url)
    greet(page.frame_locator("#app"), "Iframe")
    shot(page, "iframe")


def _is_blocked(frame: Frame) -> bool:
    return frame.url.startswith("chrome-error://")


def test_iframe_refused_with_disable_embedding(
    spaces: Running, site: OtherOrigin, page: Page
) -> None:
    blocked = spaces.space_url(NOEMBED, "subdomain")
    url = site.page(
        "/iframe-refused.html",
        f'<iframe id=app src="{spaces.space_url(HELLO, "subdomain")}" width=1000 '
        f'height=500></iframe>\n<iframe id=refused src="{blocked}" width=1000 '
        "height=500></iframe>",
    )
    with page.expect_event("framenavigated", predicate=_is_blocked, timeout=30_000):
        page.goto(url)
    greet(page.frame_locator("#app"), "Neighbour")  # the page itself works
    expect(page.frame_locator("#refused").get_by_label("name")).to_have_count(0)
    refused = [f for f in page.frames if f.name == "" and f != page.main_frame]
    assert any(_is_blocked(f) for f in refused), [f.url for f in page.frames]
    # the space itself is up: only framing from another origin is refused
    assert (
        requests.get(blocked, timeout=30).headers["Content-Security-Policy"]
        == "frame-ancestors 'none'"
    )
    shot(page, "iframe-refused")


def test_web_component_from_another_origin(spaces: Running, site: OtherOrigin, page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    url = site.page("/component.html", component(spaces, HELLO, NEW_VERSION))
    page.goto(url)
    app = page.locator("gradio-app-6-31-0")
    greet(app, "Component")
    expect(app.locator(".gradio-container-6-31-0")).to_have_count(1)
    # the main stylesheet came from the versioned folder (Gradio alone would ask for /assets/)
    css = page.locator(f"link[rel=stylesheet][href^='{gradio_js(spaces, NEW_VERSION)[:-9]}']")
    expect(css.first).to_be_attached()
    shot(page, "web-component")
    assert not errors, errors


def test_two_gradio_versions_in_one_page(spaces: Running, site: OtherOrigin, page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    body = (
        f"<h1>Two Gradio versions</h1>\n{component(spaces, HELLO, NEW_VERSION)}\n"
        f"<hr>\n{component(spaces, OLD, OLD_VERSION)}"
    )
    page.goto(site.page("/two-versions.html", body))
    new = page.locator("gradio-app-6-31-0")
    old = page.locator("gradio-app-5-49-1")
    greet(new, "Six")
    greet(old, "Five")
    # each app is rendered by its own version's frontend (Gradio marks its container)
    expect(new.locator(".gradio-container-6-31-0")).to_have_count(1)
    expect(old.locator(".gradio-container-5-49-1")).to_have_count(1)
    expect(new.locator(".gradio-container-5-49-1")).to_have_count(0)
    shot(page, "two-versions")
    assert not errors, errors


def _cors_refusal(noembed_host: str) -> Callable[[ConsoleMessage], bool]:
    def predicate(msg: ConsoleMessage) -> bool:
        return "CORS policy" in msg.text and noembed_host in msg.text

    return predicate


def test_web_component_refused_with_disable_embedding(
    spaces: Running, site: OtherOrigin, page: Page
) -> None:
    noembed = spaces.space_url(NOEMBED, "subdomain")
    body = (
        f'<script type="module" src="{html.escape(gradio_js(spaces, NEW_VERSION))}"></script>'
        f'\n<gradio-app-6-31-0 id=ok src="{spaces.space_url(HELLO, "subdomain")}">'
        f'</gradio-app-6-31-0>\n<gradio-app-6-31-0 id=refused src="{noembed}">'
        "</gradio-app-6-31-0>"
    )
    with page.expect_console_message(_cors_refusal(noembed.rstrip("/")), timeout=30_000):
        page.goto(site.page("/component-refused.html", body))
    try:
        greet(page.locator("#ok"), "Allowed")
        # Gradio's own message for an app it cannot fetch, and no app inside
        expect(page.locator("#refused")).to_contain_text("Could not load this space")
        expect(page.locator("#refused").get_by_label("name")).to_have_count(0)
    finally:
        shot(page, "web-component-refused")
    # same-origin use of the space is untouched: its own page still works
    page.goto(noembed)
    greet(page, "Direct")


def test_build_times_recorded(spaces: Running) -> None:
    """Not a check: prints how long each push took (an older Gradio is a pip install more)."""
    assert set(BUILD_TIMES) == set(SPACES)
    Path(ARTIFACTS).mkdir(exist_ok=True)
    (ARTIFACTS / "embed-build-times.txt").write_text(
        "".join(f"{space}: {seconds:.1f} s\n" for space, seconds in BUILD_TIMES.items())
    )
