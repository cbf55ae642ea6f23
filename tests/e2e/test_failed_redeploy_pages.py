"""A failed redeploy as a visitor meets it in Chromium (issue 11, C17): after a push whose app
raises at import, and one whose build fails, the old revision serves on and the pages say so --
a banner with the failed revision, its error and a link to its log on the space page, a marker
on the gallery card, the Files tab on the serving revision (the failed one a click away), and
the Logs tab's panes labelled by revision ("serving" / "failed")."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.chromium import ARTIFACTS, BROWSER_TESTS
from tests.e2e.conftest import ROOT, Running
from tests.support.polling import wait_for

pytestmark = BROWSER_TESTS
SPACE = "e2e/f-redeploy"
NOISE = ("Looking in indexes: ", "(the default when README.md sets none)")
BROKEN_APP = 'raise RuntimeError("broken on purpose at import")\n'


def _info(running: Running) -> dict[str, Any]:
    resp = requests.get(f"{running.url}/api/spaces/{SPACE}", timeout=10)
    resp.raise_for_status()
    result: dict[str, Any] = resp.json()
    return result


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"failed-redeploy-{name}.png"), full_page=True)


def _push_broken(running: Running, folder: Path) -> tuple[str, str]:
    """Push *folder*, which fails; the failed revision and what the push printed."""
    proc = running.cli("push", str(folder), "--name", SPACE)
    assert proc.returncode != 0, proc.stdout
    info = _info(running)
    assert info["stage"] == "RUNNING" and info["sha"] != info["servingSha"], info
    return str(info["revision"]), proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def serving(platform: Running, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The space running spaces/hello; returns the serving revision."""
    platform.cli("push", str(ROOT / "spaces" / "hello"), "--name", SPACE, check=True)
    return str(_info(platform)["servingRevision"])


# the Gradio app loads its front end in the page's iframe: seconds on a loaded 2-core machine
# (5 s, playwright's default, ran out once in a full CI run)
APP_FRAME_S = 30


def _check_banner(
    running: Running, page: Page, failed: str, serving: str, what: str, log_pane: str
) -> None:
    page.goto(f"{running.url}/spaces/{SPACE}")
    banner = page.locator("#failed-deploy")
    expect(banner).to_contain_text(f"Revision {failed[:7]} {what}")
    expect(banner).to_contain_text(f"{serving[:7]} is still serving")
    expect(page.locator("#space-stage")).to_have_text("RUNNING")
    expect(page.frame_locator("#app-frame").get_by_label("name")).to_be_visible(
        timeout=APP_FRAME_S * 1000
    )
    banner.get_by_role("link", name="log").click()
    expect(page.locator(".tabs a.active")).to_have_text("Logs")
    pane = page.locator(f"#{log_pane}")
    expect(page.locator(f"h2[data-for={log_pane}]")).to_contain_text(f"{failed[:7]} (failed)")
    expect(pane).to_be_visible()


def test_app_that_raises_at_import(
    platform: Running, serving: str, page: Page, tmp_path: Path
) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(ROOT / "spaces" / "hello", folder)
    (folder / "app.py").write_text(BROKEN_APP)
    failed, _ = _push_broken(platform, folder)
    _check_banner(platform, page, failed, serving, "failed to start", "failed-run-log")
    expect(page.locator("#failed-run-log")).to_contain_text("broken on purpose at import")
    expect(page.locator("h2[data-for=run-log]")).to_contain_text(f"{serving[:7]} (serving)")
    expect(page.locator("#run-log")).to_contain_text("Running on")  # its stream is connected
    assert "broken on purpose" not in page.locator("#run-log").inner_text()
    expect(page.locator("body")).not_to_contain_text("Previous run")
    _shot(page, "logs")

    page.goto(f"{platform.url}/")
    card = page.locator(f".card[data-space='{SPACE}']")
    expect(card.locator(".failed-marker")).to_contain_text("update failed")
    expect(card.locator("[data-stage]")).to_have_text("RUNNING")
    _shot(page, "gallery")

    page.goto(f"{platform.url}/spaces/{SPACE}?tab=files&path=app.py")
    expect(page.locator("#files-revision")).to_contain_text(f"{serving[:7]} (serving)")
    expect(page.locator("#file-body")).to_contain_text("def greet")
    page.get_by_role("link", name=f"see revision {failed[:7]} (failed)").click()
    expect(page.locator("#files-revision")).to_contain_text(f"{failed[:7]} (failed)")
    page.get_by_role("link", name="app.py").click()
    expect(page.locator("#file-body")).to_contain_text("broken on purpose at import")
    _shot(page, "files")


def test_build_that_fails(platform: Running, serving: str, page: Page, tmp_path: Path) -> None:
    folder = tmp_path / "unbuildable"
    shutil.copytree(ROOT / "spaces" / "hello", folder)
    (folder / "requirements.txt").write_text("this-package-does-not-exist-spacehost==0.0.1\n")
    failed, printed = _push_broken(platform, folder)
    _check_banner(platform, page, failed, serving, "failed to build", "build-log")
    build_log = page.locator("#build-log")
    expect(build_log).to_contain_text(
        "ERROR: No matching distribution found for this-package-does-not-exist-spacehost==0.0.1"
    )
    # C19: the build output a user sees (the page, the push) is the steps and the failing
    # step's own lines; the engine's ids, the mirror's index lines and the platform's notes
    # about its build setup only in the full log
    shown = build_log.inner_text()
    assert "Step 1/" in shown and "RUN pip install --no-cache-dir " in shown
    assert " -r requirements.txt" in shown
    assert "ERROR: No matching distribution" in printed, printed
    for noise in (*NOISE, " ---> Running in ", "Removing intermediate container"):
        assert noise not in shown, noise
        assert noise not in printed, (noise, printed)
    full = requests.get(
        f"{platform.url}/api/spaces/{SPACE}/logs", params={"kind": "build", "full": "1"}, timeout=10
    ).text
    assert all(noise in full for noise in NOISE), full
    _shot(page, "build")


def test_a_good_push_clears_the_banner(platform: Running, serving: str, page: Page) -> None:
    platform.cli("push", str(ROOT / "spaces" / "hello"), "--name", SPACE, check=True)
    wait_for(
        lambda: _info(platform)["sha"] == _info(platform)["servingSha"],
        timeout=60,
        what="the good revision to serve",
    )
    page.goto(f"{platform.url}/spaces/{SPACE}")
    expect(page.frame_locator("#app-frame").get_by_label("name")).to_be_visible(
        timeout=APP_FRAME_S * 1000
    )
    expect(page.locator("#failed-deploy")).to_have_count(0)
