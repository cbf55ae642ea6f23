"""Spaces in a real browser (Debian chromium driven by Playwright), through both URL styles:
the Gradio 6 page loads its assets, the queue answers, and an image upload round-trips."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.chromium import ARTIFACTS, BROWSER_TESTS
from tests.e2e.conftest import ROOT, Running

pytestmark = BROWSER_TESTS


@pytest.fixture(scope="module")
def spaces(platform: Running) -> Running:
    for name in ("hello", "image-filter"):
        platform.cli("push", str(ROOT / "spaces" / name), "--name", f"e2e/b-{name}", check=True)
    return platform


@pytest.mark.parametrize("style", ["path", "subdomain"])
def test_hello_works_in_chromium(spaces: Running, page: Page, style: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(spaces.space_url("e2e/b-hello", style))
    page.get_by_label("name").fill("Browser")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_label("greeting")).to_have_value("Hello, Browser!", timeout=30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"hello-{style}.png"))
    assert not errors, errors


@pytest.mark.parametrize("style", ["path", "subdomain"])
def test_image_upload_works_in_chromium(
    spaces: Running, page: Page, style: str, tmp_path: Path
) -> None:
    from PIL import Image

    src = tmp_path / "pic.png"
    Image.new("RGB", (40, 30), (200, 20, 20)).save(src)
    page.goto(spaces.space_url("e2e/b-image-filter", style))
    page.locator("input[type=file]").first.set_input_files(str(src))
    page.get_by_label("invert").check()
    page.get_by_role("button", name="Submit").click()
    output = page.locator("img[src*='/file=']").or_(page.locator("img[src*='gradio_api/file']"))
    expect(output.last).to_be_visible(timeout=30_000)
    src_url = output.last.get_attribute("src") or ""
    base = spaces.space_url("e2e/b-image-filter", style).rstrip("/")
    assert src_url.startswith(base), (src_url, base)  # file URLs point back through the router
    page.screenshot(path=str(ARTIFACTS / f"image-filter-{style}.png"))


def test_building_page_follows_the_log_and_turns_into_the_app(
    spaces: Running, page: Page, tmp_path: Path
) -> None:
    folder = tmp_path / "slow"
    folder.mkdir()
    for name in ("README.md", "server.py"):
        (folder / name).write_bytes((ROOT / "spaces" / "docker-app" / name).read_bytes())
    dockerfile = (ROOT / "spaces" / "docker-app" / "Dockerfile").read_text()
    marker = f"slow-build-marker-{uuid.uuid4().hex}"  # new each run: the slow step never caches
    (folder / "Dockerfile").write_text(
        dockerfile.replace("WORKDIR", f"RUN echo {marker} && sleep 8\nWORKDIR", 1)
    )
    spaces.cli("push", str(folder), "--name", "e2e/b-slow", "--no-wait", check=True)
    page.goto(spaces.space_url("e2e/b-slow", "subdomain"))
    expect(page.locator("#stage")).to_have_text("BUILDING")
    expect(page.locator("#log")).to_contain_text(marker, timeout=30_000)  # streamed live
    page.screenshot(path=str(ARTIFACTS / "building-page.png"))
    expect(page.get_by_role("heading", name="Hello from an sdk: docker space")).to_be_visible(
        timeout=60_000
    )  # the page reloaded into the app by itself
