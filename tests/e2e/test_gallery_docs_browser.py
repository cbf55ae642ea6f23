"""The gallery's order and pages, the favicon and the docs on a phone, in real Chromium (issue
11, C21): ``?sort=`` newest / name / recently active and ``?page=`` links, server-rendered;
``/favicon.ico`` and the icon link on the platform's pages; the docs sidebar folded on a phone
so the guide's own text is on the first screen."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.e2e.chromium import ARTIFACTS, BROWSER_TESTS
from tests.e2e.conftest import ROOT, Running
from tests.support.polling import wait_for

pytestmark = BROWSER_TESTS
TAG = "gallery-order"
NAMES = ("g-bravo", "g-alpha", "g-charlie")  # pushed in this order: charlie is the newest


@pytest.fixture(scope="module")
def spaces(platform: Running, tmp_path_factory: pytest.TempPathFactory) -> Running:
    for name in NAMES:
        folder = tmp_path_factory.mktemp(name)
        shutil.copytree(ROOT / "spaces" / "static-page", folder, dirs_exist_ok=True)
        readme = (folder / "README.md").read_text()
        (folder / "README.md").write_text(
            readme.replace("tags: [example, static]", f"tags: [{TAG}]")
        )
        platform.cli("push", str(folder), "--name", f"e2e/{name}", check=True)
    return platform


def _cards(page: Page) -> list[str]:
    return [c.get_attribute("data-space") or "" for c in page.locator("a.card:visible").all()]


def test_gallery_sorts_and_pages(spaces: Running, page: Page) -> None:
    page.goto(f"{spaces.url}/?tag={TAG}&per=2")
    assert _cards(page) == ["e2e/g-alpha", "e2e/g-bravo"]  # by name
    page.get_by_label("sort", exact=True).select_option("newest")  # the server orders
    expect(page).to_have_url(f"{spaces.url}/?tag={TAG}&sort=newest&per=2")
    assert _cards(page) == ["e2e/g-charlie", "e2e/g-alpha"]
    expect(page.locator("#page-of")).to_have_text("Page 1 of 2")
    page.get_by_role("link", name="Next →").click()
    expect(page.locator("#page-of")).to_have_text("Page 2 of 2")
    assert _cards(page) == ["e2e/g-bravo"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "gallery-page-2.png"), full_page=True)
    page.get_by_role("link", name="← Previous").click()
    assert _cards(page) == ["e2e/g-charlie", "e2e/g-alpha"]
    # a visit makes a space the most recently active
    resp = requests.get(spaces.space_url("e2e/g-bravo", "path"), timeout=10)
    assert resp.status_code == 200

    def bravo_first() -> bool:
        page.goto(f"{spaces.url}/?tag={TAG}&sort=active")
        return _cards(page)[:1] == ["e2e/g-bravo"]

    wait_for(bravo_first, timeout=30, interval=0.5, what="the visited space to lead")


def test_favicon_on_platform_pages(spaces: Running, page: Page) -> None:
    resp = requests.get(f"{spaces.url}/favicon.ico", timeout=10)
    assert resp.status_code == 200 and resp.headers["content-type"] == "image/x-icon"
    for path in ("/", "/docs", "/spaces/e2e/g-alpha?tab=files"):
        page.goto(spaces.url + path)
        expect(page.locator("link[rel=icon]")).to_have_attribute("href", "/favicon.ico")
    size = page.evaluate("""() => new Promise(ok => { const i = new Image();
        i.onload = () => ok([i.naturalWidth, i.naturalHeight]); i.onerror = () => ok(null);
        i.src = '/favicon.ico'; })""")
    assert size == [32, 32]


@pytest.fixture()
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    yield context.new_page()
    context.close()


def test_docs_sidebar_folds_on_a_phone(spaces: Running, phone: Page, page: Page) -> None:
    phone.goto(f"{spaces.url}/docs/manifest")
    heading = phone.locator("#doc h1").bounding_box()
    assert heading is not None and heading["y"] + heading["height"] < 844 / 2, heading
    expect(phone.locator("nav.side")).to_be_hidden()
    phone.get_by_text("Contents", exact=True).click()
    expect(phone.locator("nav.side a.current")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "docs-phone-open.png"))
    page.goto(f"{spaces.url}/docs/manifest")  # a wide screen: always shown, no summary
    expect(page.locator("nav.side a.current")).to_be_visible()
    expect(page.get_by_text("Contents", exact=True)).to_be_hidden()
