"""A first-time visitor on a space's page, in real Chromium (issue 11, C14, C15, C19): a sleeping
space wakes when its page is opened and the page turns into the app by itself; the example
spaces (the chatbot, whose chat history needs ``localStorage``, among them) render and answer
inside their own page, in a fresh context that blocks third-party storage as incognito does;
the app frame takes the app's height (no scrollbar inside the page)."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import pytest
import requests
from PIL import Image
from playwright.sync_api import Browser, Frame, Page, expect

from tests.e2e.chromium import ARTIFACTS, BROWSER_TESTS
from tests.e2e.conftest import ROOT, Running
from tests.support.polling import wait_for

pytestmark = BROWSER_TESTS
HELLO, CHAT, TALL, IMAGE = "e2e/v-hello", "e2e/v-chat", "e2e/v-tall", "e2e/v-image"
ROWS = 24  # textboxes in the tall app: well over one screen

TALL_README = """---
title: Tall
sdk: gradio
sdk_version: 6.31.0
app_file: app.py
---
"""
TALL_APP = f"""import gradio as gr

with gr.Blocks() as demo:
    boxes = [gr.Textbox(label=f"row {{i}}", value=str(i)) for i in range({ROWS})]
    gr.Markdown("the end", elem_id="the-end")

demo.launch()
"""


@pytest.fixture(scope="module")
def spaces(platform: Running, tmp_path_factory: pytest.TempPathFactory) -> Running:
    tall = tmp_path_factory.mktemp("v-tall")
    (tall / "README.md").write_text(TALL_README)
    (tall / "app.py").write_text(TALL_APP)
    for folder, name in (
        (ROOT / "spaces" / "hello", HELLO),
        (ROOT / "spaces" / "chatbot", CHAT),
        (ROOT / "spaces" / "image-filter", IMAGE),
        (tall, TALL),
    ):
        platform.cli("push", str(folder), "--name", name, "--no-wait", check=True)
    for name in (HELLO, CHAT, IMAGE, TALL):
        wait_for(
            lambda n=name: _stage(platform, n) == "RUNNING",
            timeout=600,
            interval=0.5,
            what=f"{name} to run",
        )
    return platform


def _stage(running: Running, space: str) -> str:
    resp = requests.get(f"{running.url}/api/spaces/{space}", timeout=10)
    resp.raise_for_status()
    return str(resp.json()["stage"])


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"visits-{name}.png"), full_page=True)


def _fresh(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(60_000)
    return context.new_page()


def _app_frame(page: Page) -> Frame:
    handle = page.locator("#app-frame").element_handle()
    frame = handle.content_frame() if handle else None
    assert frame is not None
    return frame


def _greet_in_frame(page: Page, who: str, timeout_ms: float) -> None:
    frame = page.frame_locator("#app-frame")
    frame.get_by_label("name").fill(who, timeout=timeout_ms)
    frame.get_by_role("button", name="Submit").click()
    expect(frame.get_by_label("greeting")).to_have_value(f"Hello, {who}!", timeout=30_000)


def _sleep(running: Running, space: str) -> None:
    running.cli("sleeptime", space, "1", check=True)
    wait_for(
        lambda: _stage(running, space) == "SLEEPING",
        timeout=60,
        interval=0.2,
        what=f"{space} to sleep",
    )
    running.cli("sleeptime", space, "-1", check=True)  # it stays asleep until woken


def test_sleeping_space_page_wakes_it_and_turns_into_the_app(
    spaces: Running, browser: Browser
) -> None:
    took = []
    for attempt in range(3):
        _sleep(spaces, HELLO)
        page = _fresh(browser)
        try:
            start = time.monotonic()
            page.goto(f"{spaces.url}/spaces/{HELLO}")
            # no reload by hand: the page must wake the space and show the app itself
            _greet_in_frame(page, f"sleeper{attempt}", timeout_ms=60_000)
            took.append(time.monotonic() - start)
            expect(page.locator("#space-stage")).to_have_text("RUNNING")
        finally:
            _shot(page, f"woken-{attempt}")
            page.context.close()
    print(
        f"sleeping page -> app usable: median {statistics.median(took):.2f} s "
        f"({', '.join(f'{t:.2f}' for t in took)})"
    )


def _chat(page: Page) -> None:
    frame = page.frame_locator("#app-frame")
    box = frame.get_by_role("textbox").first
    box.fill("hi there", timeout=60_000)
    box.press("Enter")
    expect(
        frame.get_by_text("You said: hi there. Streaming works through spacehost.")
    ).to_be_visible(timeout=30_000)


def test_chatbot_answers_inside_its_own_page(spaces: Running, browser: Browser) -> None:
    errors: list[str] = []
    for attempt in range(3):
        page = _fresh(browser)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            page.goto(f"{spaces.url}/spaces/{CHAT}")
            _chat(page)
        finally:
            _shot(page, f"chat-{attempt}")
            page.context.close()
    assert not [e for e in errors if "SecurityError" in e], errors


def test_examples_render_and_answer_in_their_page(
    spaces: Running, browser: Browser, tmp_path: Path
) -> None:
    page = _fresh(browser)
    try:
        page.goto(f"{spaces.url}/spaces/{HELLO}")
        _greet_in_frame(page, "page", timeout_ms=60_000)
        page.goto(f"{spaces.url}/spaces/{IMAGE}")
        frame = page.frame_locator("#app-frame")
        src = tmp_path / "pic.png"
        Image.new("RGB", (40, 30), (200, 20, 20)).save(src)
        frame.locator("input[type=file]").first.set_input_files(str(src))
        frame.get_by_label("invert").check()
        frame.get_by_role("button", name="Submit").click()
        output = frame.locator("img[src*='/file=']").or_(
            frame.locator("img[src*='gradio_api/file']")
        )
        expect(output.last).to_be_visible(timeout=30_000)
        _shot(page, "image-filter")
    finally:
        page.context.close()


def test_page_is_same_site_with_the_app_and_keeps_its_own_origin(
    spaces: Running, page: Page
) -> None:
    page.goto(f"{spaces.url}/spaces/{HELLO}")
    frame = page.frame_locator("#app-frame")
    expect(frame.get_by_label("name")).to_be_visible()
    page_host = page.evaluate("location.host")
    app_host = spaces.space_url(HELLO, "subdomain").split("/")[2]
    assert page_host.endswith("." + app_host), (page_host, app_host)
    # the app's script cannot reach into the page around it (another origin)
    app = _app_frame(page)
    assert app.url.startswith(f"http://{app_host}/"), app.url
    assert (
        app.evaluate(
            "(() => { try { return parent.document.title; } catch (e) { return e.name; } })()"
        )
        == "SecurityError"
    )
    page.get_by_role("link", name="Logs").click()
    expect(page.locator(".tabs a.active")).to_have_text("Logs")
    assert page.evaluate("location.host") == page_host  # the tabs stay next to the app
    page.get_by_role("link", name="Docs").click()  # a link elsewhere leaves the page host
    expect(page).to_have_url(f"{spaces.url}/docs")
    # no app answers on a page host, not even by the path form: it is sent to the base URL
    resp = page.goto(f"http://{page_host}/spaces/{HELLO}/config")
    assert resp is not None and resp.url == f"{spaces.url}/spaces/{HELLO}/config"
    assert resp.request.redirected_from is not None
    assert resp.request.redirected_from.url.startswith(f"http://{page_host}/")
    # only browsers move: a script reading the page is answered where it asked
    plain = requests.get(f"{spaces.url}/spaces/{HELLO}", timeout=10)
    assert plain.status_code == 200 and not plain.history and "app-frame" in plain.text


def test_app_frame_takes_the_apps_height(spaces: Running, page: Page) -> None:
    page.goto(f"{spaces.url}/spaces/{TALL}")
    frame = page.frame_locator("#app-frame")
    expect(frame.locator("#the-end")).to_be_attached()
    app = _app_frame(page)

    seen: list[tuple[int, int, float]] = []

    def fits() -> bool:
        inner = int(app.evaluate("document.documentElement.scrollHeight"))
        shown = int(app.evaluate("document.documentElement.clientHeight"))
        outer = page.locator("#app-frame").bounding_box()
        seen.append((inner, shown, outer["height"] if outer else 0.0))
        return bool(
            outer and inner > 1000 and abs(outer["height"] - inner) <= 24 and inner <= shown + 2
        )

    try:
        wait_for(fits, timeout=60, interval=0.25, what="the frame to take the app's height")
    finally:
        print("(app scrollHeight, app clientHeight, frame height):", seen[-3:])
    _shot(page, "tall")


EXAMPLES = sorted(p.name for p in (ROOT / "spaces").iterdir() if (p / "README.md").is_file())


@pytest.mark.skipif(
    not os.environ.get("SPACEHOST_ALL_EXAMPLES"),
    reason="every example in its page (torch builds: slow): SPACEHOST_ALL_EXAMPLES=1",
)
@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_renders_in_its_page(
    platform: Running, browser: Browser, example: str
) -> None:
    space = f"e2e/all-{example}"
    platform.cli("push", str(ROOT / "spaces" / example), "--name", space, check=True)
    page = _fresh(browser)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "SecurityError" in m.text else None)
    try:
        page.goto(f"{platform.url}/spaces/{space}")
        frame = page.frame_locator("#app-frame")
        gradio = "sdk: gradio" in (ROOT / "spaces" / example / "README.md").read_text()
        if gradio:  # drawn: a button or a textbox, not "Loading…"
            expect(frame.locator("button, textarea, input").first).to_be_visible(timeout=90_000)
            expect(frame.get_by_text("Loading…", exact=True)).to_have_count(0)
        else:
            expect(frame.locator("body")).not_to_be_empty(timeout=90_000)
        _shot(page, f"example-{example}")
    finally:
        page.context.close()
    assert not errors, errors
