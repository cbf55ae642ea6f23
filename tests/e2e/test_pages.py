"""The platform's pages in a real browser (Debian chromium, Playwright): the gallery (search,
filters, live badges, phone viewport), the space page and each of its tabs (the live log shows a
line printed after the page opened; the Use-via-API snippets are executed), and oEmbed."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from gradio_client import Client
from playwright.sync_api import Browser, Page, expect

from tests.e2e.chromium import ARTIFACTS, BROWSER_TESTS
from tests.e2e.conftest import ROOT, Running
from tests.support.polling import wait_for

pytestmark = BROWSER_TESTS
# named to sort first among the shared platform's spaces: the gallery shows 24 a page, and the
# e2e modules before this one leave more than that (alphabetical after the pinned ones)
ECHO, STATIC = "e2e/a-p-echo", "e2e/a-p-static"

ECHO_README = """---
title: Pages echo
emoji: 📣
colorFrom: pink
colorTo: yellow
sdk: gradio
sdk_version: 6.31.0
app_file: app.py
short_description: Shouts back and logs what it heard
tags: [pages-test, text]
header: mini
---

# Pages echo

Shouts your text back. <script>document.title='pwned'</script>
"""

ECHO_APP = """import gradio as gr


def shout(text: str) -> str:
    print(f"heard: {text}", flush=True)
    return text.upper()


demo = gr.Interface(fn=shout, inputs=gr.Textbox(label="text"),
                    outputs=gr.Textbox(label="loud"), api_name="shout")

if __name__ == "__main__":
    demo.launch()
"""


@pytest.fixture(scope="module")
def spaces(platform: Running, tmp_path_factory: pytest.TempPathFactory) -> Running:
    """p-static live; p-echo pushed without waiting, so the first test sees it come up."""
    folder = tmp_path_factory.mktemp("p-echo")
    (folder / "README.md").write_text(ECHO_README)
    (folder / "app.py").write_text(ECHO_APP)
    platform.cli("push", str(ROOT / "spaces" / "static-page"), "--name", STATIC, check=True)
    platform.cli("push", str(folder), "--name", ECHO, "--no-wait", check=True)
    return platform


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"pages-{name}.png"), full_page=True)


def _wait_running(spaces: Running) -> None:
    def running() -> bool:
        r = requests.get(f"{spaces.url}/api/spaces/{ECHO}", timeout=5)
        return bool(r.json()["stage"] == "RUNNING")

    wait_for(running, timeout=240, interval=0.5, what=f"{ECHO} to run")


def test_gallery_badge_goes_live_without_reload(spaces: Running, page: Page) -> None:
    page.goto(spaces.url + "/")
    badge = page.locator(f"a.card[data-space='{ECHO}'] [data-stage]")
    first = badge.inner_text()
    page.evaluate("window.__same_page = true")
    expect(badge).to_have_text("RUNNING", timeout=240_000)
    assert page.evaluate("window.__same_page") is True  # updated in place, not reloaded
    assert first != "RUNNING", "the space was already running when the page opened"
    expect(badge).to_have_class("badge running")


def test_gallery_search_and_filters(spaces: Running, page: Page) -> None:
    page.goto(spaces.url + "/")
    echo, static = (
        page.locator(f"a.card[data-space='{ECHO}']"),
        page.locator(f"a.card[data-space='{STATIC}']"),
    )
    expect(echo).to_be_visible()
    expect(static).to_be_visible()
    expect(echo).to_contain_text("Pages echo")
    expect(echo).to_contain_text("Shouts back and logs what it heard")
    assert "linear-gradient" in (echo.get_attribute("style") or "")
    _shot(page, "gallery")
    page.get_by_label("Search spaces").fill("shouts back")  # instant, as you type
    expect(static).to_be_hidden()
    expect(echo).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?q=shouts\+back$"))
    page.get_by_label("Search spaces").fill("")
    expect(static).to_be_visible()
    page.get_by_label("sdk", exact=True).select_option("static")
    expect(echo).to_be_hidden()
    expect(static).to_be_visible()
    page.get_by_label("sdk", exact=True).select_option("")
    page.get_by_label("tag", exact=True).select_option("pages-test")
    expect(static).to_be_hidden()
    expect(echo).to_be_visible()
    # the same filters as links, applied by the server
    page.goto(spaces.url + "/?sdk=static")
    expect(echo).to_be_hidden()
    expect(static).to_be_visible()
    page.goto(spaces.url + "/?q=nothing-matches-this")
    expect(page.locator("#count")).to_have_text("0 spaces")
    page.goto(spaces.url + "/?stage=RUNNING&tag=pages-test")
    expect(static).to_be_hidden()
    expect(echo).to_be_visible()
    echo.click()
    # its App tab lives on the page host, same-site with the app (docs/embedding.md)
    expect(page).to_have_url(f"http://page.e2e-a-p-echo.localhost:{spaces.port}/spaces/{ECHO}")


def test_gallery_fits_a_phone(spaces: Running, browser: Browser) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    try:
        page.goto(spaces.url + "/")
        expect(page.locator(f"a.card[data-space='{ECHO}']")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"horizontal overflow: {width}px"
        box = page.locator(f"a.card[data-space='{ECHO}']").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        _shot(page, "gallery-phone")
        page.goto(f"{spaces.url}/spaces/{ECHO}?tab=api")
        expect(page.locator("#api-python-0")).to_be_visible(timeout=30_000)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


def test_space_page_app_tab(spaces: Running, page: Page) -> None:
    _wait_running(spaces)
    page.goto(f"{spaces.url}/spaces/{ECHO}")
    expect(page.locator(".tabs a.active")).to_have_text("App")
    expect(page.locator("header.space-head.mini")).to_be_visible()  # header: mini
    expect(page.locator("#space-stage")).to_have_text("RUNNING")
    assert page.locator("#open-app").get_attribute("href") == spaces.space_url(ECHO, "subdomain")
    frame = page.frame_locator("#app-frame")
    frame.get_by_label("text").fill("from the frame")
    frame.get_by_role("button", name="Submit").click()
    expect(frame.get_by_label("loud")).to_have_value("FROM THE FRAME", timeout=30_000)
    _shot(page, "tab-app")


def test_live_logs_show_a_line_printed_after_the_page_opened(spaces: Running, page: Page) -> None:
    _wait_running(spaces)
    page.goto(f"{spaces.url}/spaces/{ECHO}?tab=logs")
    expect(page.locator(".tabs a.active")).to_have_text("Logs")
    run_log = page.locator("#run-log")
    expect(run_log).to_contain_text("Running on", timeout=30_000)  # the stream is connected
    expect(page.locator("#build-log")).to_contain_text("Step", timeout=30_000)
    marker = f"live-{uuid.uuid4().hex}"
    assert run_log.inner_text().find(marker) < 0
    Client(spaces.space_url(ECHO, "path"), verbose=False).predict(marker, api_name="/shout")
    expect(run_log).to_contain_text(f"heard: {marker}", timeout=30_000)
    _shot(page, "tab-logs")


def test_use_via_api_snippets_run(spaces: Running, page: Page, tmp_path: Path) -> None:
    _wait_running(spaces)
    page.goto(f"{spaces.url}/spaces/{ECHO}?tab=api")
    expect(page.locator("section.endpoint")).to_have_attribute("data-api-name", "/shout")
    expect(page.locator("table.types").first).to_contain_text("str")
    python = page.locator("#api-python-0").inner_text()
    curl = page.locator("#api-curl-0").inner_text()
    _shot(page, "tab-api")
    # the page's own address, path style: Python resolves it as it is (issue 11, C16)
    host = spaces.space_url(ECHO, "path")
    assert f'Client("{host}")' in python and 'api_name="/shout"' in python
    word = f"api-{uuid.uuid4().hex[:8]}"
    out = subprocess.run(
        [sys.executable, "-c", python.replace('"Hello!!"', f'"{word}"')],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert word.upper() in out.stdout
    script = curl.replace("Hello!!", word)
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "event: complete" in out.stdout and f'["{word.upper()}"]' in out.stdout, out.stdout


def test_embed_tab(spaces: Running, page: Page) -> None:
    page.goto(f"{spaces.url}/spaces/{ECHO}?tab=embed")
    host = spaces.space_url(ECHO, "subdomain")
    expect(page.locator("#embed-iframe")).to_contain_text(f'<iframe src="{host}"')
    expect(page.locator("#embed-component")).to_contain_text(
        f"{spaces.url}/static/gradio/6.31.0/gradio.js"
    )
    expect(page.locator("#embed-component")).to_contain_text(f'<gradio-app-6-31-0 src="{host}">')
    page.locator("button[data-copy=embed-iframe]").click()
    expect(page.locator("button[data-copy=embed-iframe]")).to_have_text("Copied")
    _shot(page, "tab-embed")


def test_files_tab(spaces: Running, page: Page) -> None:
    page.goto(f"{spaces.url}/spaces/{ECHO}?tab=files")
    expect(page.locator("#files")).to_contain_text("app.py")
    expect(page.locator("#readme h1")).to_have_text("Pages echo")
    expect(page.locator("#readme")).to_contain_text("<script>document.title='pwned'</script>")
    assert page.title() != "pwned"  # the README's script is text, not code
    _shot(page, "tab-files")
    page.get_by_role("link", name="app.py").click()
    expect(page.locator("#file-body")).to_contain_text('print(f"heard: {text}", flush=True)')
    page.goto(f"{spaces.url}/spaces/{ECHO}?tab=files&path=../../token")
    expect(page.locator("#file-missing")).to_be_visible()


def test_static_space_page_and_unknown_space(spaces: Running, page: Page) -> None:
    page.goto(f"{spaces.url}/spaces/{STATIC}")
    expect(page.locator("header.space-head h1")).to_have_text("Static page")
    expect(page.locator("header.space-head")).to_contain_text("hardware: cpu-basic")
    page.goto(f"{spaces.url}/spaces/{STATIC}?tab=api")
    expect(page.locator("#api-unavailable")).to_contain_text("not a Gradio app")
    resp = page.goto(f"{spaces.url}/spaces/e2e/p-does-not-exist")
    assert resp is not None and resp.status == 404
    expect(page.get_by_role("heading")).to_contain_text("no space named e2e/p-does-not-exist")


def test_oembed(spaces: Running, page: Page) -> None:
    page.goto(f"{spaces.url}/spaces/{ECHO}?tab=embed")
    href = page.locator("link[type='application/json+oembed']").get_attribute("href")
    assert href
    body = requests.get(href, timeout=10).json()
    assert body["type"] == "rich" and body["version"] == "1.0"
    assert body["title"] == "Pages echo" and body["author_name"] == "e2e"
    assert body["provider_name"] == "spacehost"
    assert f'src="{spaces.space_url(ECHO, "subdomain")}"' in body["html"]
    r = requests.get(
        f"{spaces.url}/api/oembed",
        params={"url": spaces.space_url(ECHO, "subdomain"), "maxwidth": "400"},
        timeout=10,
    )
    assert r.status_code == 200 and r.json()["width"] == 400
    r = requests.get(
        f"{spaces.url}/api/oembed", params={"url": f"{spaces.url}/spaces/e2e/p-nope"}, timeout=10
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = requests.get(f"{spaces.url}/api/oembed", params={"url": "not a url"}, timeout=10)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_request"
