"""The platform's origin in real Chromium (issue 11, A7): a pushed hub file cannot run script on
it, and every platform page carries ``nosniff`` and a CSP that fits it -- loaded with no
violation, the space page's app frame included."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.e2e.chromium import BROWSER_TESTS
from tests.e2e.conftest import ROOT, Running

pytestmark = BROWSER_TESTS

SPACE = "e2e/b-hello"  # the same name as test_browser.py's: pushed once a session
MARK = "<script>localStorage.setItem('pwned', document.domain); document.title='pwned'</script>"
HOSTILE = {
    "page.html": f"<!doctype html><title>x</title>{MARK}",
    "logo.svg": f'<svg xmlns="http://www.w3.org/2000/svg">{MARK}</svg>',
    "notes.xml": f'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">{MARK}</html>',
    "README.md": "---\nlicense: mit\n---\n# hostile\n",
}
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + location.href);
});
"""


@pytest.fixture(scope="module")
def site(platform: Running, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A running Gradio space and a model holding active files."""
    platform.cli("push", str(ROOT / "spaces" / "hello"), "--name", SPACE, check=True)
    folder = tmp_path_factory.mktemp("hostile")
    for name, text in HOSTILE.items():
        (folder / name).write_text(text)
    model = f"e2e/hostile-{uuid.uuid4().hex[:6]}"
    platform.cli("push", str(folder), "--type", "model", "--name", model, check=True)
    return {"model": model}


def _open(page: Page, url: str) -> str:
    """Open *url*: "download" when the browser saves it instead of showing it."""
    try:
        with page.expect_download(timeout=15_000) as download:
            try:
                page.goto(url)
            except PlaywrightError as exc:
                if "Download is starting" not in str(exc):
                    raise
        download.value.cancel()
        return "download"
    except PlaywrightError:
        return "shown"


@pytest.mark.parametrize("name", ["page.html", "logo.svg", "notes.xml"])
def test_pushed_active_files_never_run_on_the_platform_origin(
    platform: Running, site: dict[str, str], page: Page, name: str
) -> None:
    url = f"{platform.url}/{site['model']}/resolve/main/{name}"
    page.goto(f"{platform.url}/models")
    if _open(page, url) == "shown":
        assert page.title() != "pwned"
    page.goto(f"{platform.url}/models")
    assert page.evaluate("localStorage.getItem('pwned')") is None  # it never ran here
    for method in ("HEAD", "GET"):  # a GET is handed off to the router: the head must survive
        resp = requests.request(method, url, timeout=10)
        assert resp.status_code == 200
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in resp.headers["Content-Security-Policy"]
        assert resp.headers["Content-Disposition"].startswith("attachment")
        assert resp.headers["Content-Type"].startswith("text/plain")
    assert resp.text == HOSTILE[name]  # the bytes are still the file's


def test_plain_files_stay_inline_under_a_sandbox(platform: Running, site: dict[str, str]) -> None:
    resp = requests.get(f"{platform.url}/{site['model']}/resolve/main/README.md", timeout=10)
    assert resp.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def _pages(platform: Running, model: str) -> list[str]:
    space = f"{platform.url}/spaces/{SPACE}"
    return [
        f"{platform.url}/",
        space,
        f"{space}?tab=logs",
        f"{space}?tab=api",
        f"{space}?tab=embed",
        f"{space}?tab=files",
        f"{platform.url}/models",
        f"{platform.url}/datasets",
        f"{platform.url}/{model}",
        f"{platform.url}/docs",
        f"{platform.url}/docs/getting-started",
        f"{platform.url}/spaces/e2e/no-such-space",
        platform.space_url("e2e/no-such-space", "subdomain"),
    ]  # a status page, space host


def test_every_platform_page_has_a_fitting_csp_and_nosniff(
    platform: Running, site: dict[str, str], page: Page, tmp_path: Path
) -> None:
    page.add_init_script(WATCH)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    for url in _pages(platform, site["model"]):
        resp = page.goto(url)
        assert resp is not None, url
        headers = resp.all_headers()
        assert headers.get("x-content-type-options") == "nosniff", url
        policy = headers.get("content-security-policy", "")
        assert (
            "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
        ), (url, policy)
        page.wait_for_load_state("networkidle")
        if url.endswith(f"/spaces/{SPACE}"):  # the App tab: the app itself answers in its frame
            frame = page.frame_locator("#app-frame")
            expect(frame.get_by_label("name")).to_be_visible(timeout=60_000)
        violations = page.evaluate("window.__csp")
        assert violations == [], (url, violations)
    assert not [c for c in console if "Content Security Policy" in c], console
    # inline script that did not come from the page itself is refused (the policy at work)
    page.goto(f"{platform.url}/docs")
    page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = "window.__ran = 1"; document.body.appendChild(s); }""")
    assert page.evaluate("window.__ran") is None
    assert any("script-src" in v for v in page.evaluate("window.__csp"))
