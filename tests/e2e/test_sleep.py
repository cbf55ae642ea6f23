"""Sleep and wake on a real platform with short idle times: a space pauses, then stops; an API
client's request wakes it and succeeds, a browser sees the waking page turn into the app, and
an explicitly paused space stays asleep on visits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from gradio_client import Client
from playwright.sync_api import expect

from tests.e2e.chromium import ARTIFACTS, chromium, needs_chromium
from tests.e2e.conftest import ROOT, Running, remove_containers, start_platform, stop_platform
from tests.support.polling import wait_for
from tests.support.ports import free_port

pytestmark = pytest.mark.docker
SPACE = "e2e/sleepy"


@pytest.fixture(scope="module")
def sleepy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    data = tmp_path_factory.mktemp("sleep")
    proc, running = start_platform(
        data, free_port(), extra_env={"SPACEHOST_SLEEP_AFTER": "3", "SPACEHOST_STOP_AFTER": "8"}
    )
    try:
        running.cli("push", str(ROOT / "spaces" / "hello"), "--name", SPACE, check=True)
        yield running
    finally:
        stop_platform(proc, running, "sleep")
        remove_containers(data)


def runtime(running: Running) -> dict[str, Any]:
    resp = requests.get(f"{running.url}/api/spaces/{SPACE}/runtime", timeout=10)
    resp.raise_for_status()
    result: dict[str, Any] = resp.json()
    return result


def wait_level(running: Running, level: str) -> None:
    wait_for(
        lambda: runtime(running)["sleep"]["level"] == level,
        timeout=60,
        what=f"{SPACE} to be {level}",
    )


def test_paused_space_wakes_for_a_gradio_client_call(sleepy: Running) -> None:
    assert runtime(sleepy)["gcTimeout"] == 3
    wait_level(sleepy, "paused")
    assert runtime(sleepy)["stage"] == "SLEEPING"
    client = Client(sleepy.space_url(SPACE, "path"), verbose=False)
    assert client.predict("sleeper", api_name="/greet") == "Hello, sleeper!"
    assert runtime(sleepy)["stage"] == "RUNNING"


def test_stopped_space_holds_a_plain_request_until_it_answers(sleepy: Running) -> None:
    wait_level(sleepy, "stopped")
    start = time.monotonic()
    resp = requests.get(sleepy.space_url(SPACE, "subdomain") + "config", timeout=120)
    took = time.monotonic() - start
    assert resp.status_code == 200, resp.text[:300]
    assert resp.json()["title"] == "Hello"
    assert runtime(sleepy)["stage"] == "RUNNING"
    print(f"wake from stopped, request held {took:.2f} s")


@pytest.mark.browser
@needs_chromium
def test_browser_gets_the_waking_page_that_turns_into_the_app(sleepy: Running) -> None:
    wait_level(sleepy, "stopped")
    with chromium() as browser:
        page = browser.new_page()
        first = page.goto(sleepy.space_url(SPACE, "path"))
        assert first is not None and first.status == 503
        assert first.headers.get("x-spacehost-status") in ("SLEEPING", "APP_STARTING")
        page.get_by_label("name").fill("Browser", timeout=90_000)
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_label("greeting")).to_have_value("Hello, Browser!", timeout=30_000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "sleep-woken.png"))


def test_paused_by_its_owner_stays_asleep_on_visits(sleepy: Running, tmp_path: Path) -> None:
    sleepy.cli("pause", SPACE, check=True)
    assert runtime(sleepy)["stage"] == "PAUSED"
    for _ in range(3):
        resp = requests.get(
            sleepy.space_url(SPACE, "path"), headers={"Accept": "text/html"}, timeout=10
        )
        assert resp.status_code == 503 and "paused by its owner" in resp.text
    resp = requests.post(f"{sleepy.url}/api/spaces/{SPACE}/wake", timeout=10)
    assert resp.json()["waking"] is False
    assert runtime(sleepy)["stage"] == "PAUSED"
    sleepy.cli("restart", SPACE, check=True)
    wait_for(lambda: runtime(sleepy)["stage"] == "RUNNING", timeout=120, what="the restart")
