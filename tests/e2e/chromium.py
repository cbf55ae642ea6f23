"""Debian chromium driven by Playwright: one setup for every browser test.

Playwright's own browser download cannot work here (no internet); the tests use the system
Chromium with the flags this machine needs (no sandbox as root, no background networking).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "artifacts"

# in CI a missing chromium must fail the browser tests, not skip them
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
    reason="Debian chromium is not installed (scripts/setup.sh --test)",
)
BROWSER_TESTS = [pytest.mark.docker, pytest.mark.browser, needs_chromium]


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Debian chromium, closed on exit."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()
