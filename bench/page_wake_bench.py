"""Page wake benchmark (issue 11, C14): from opening a sleeping space's page in Chromium to the
app being usable in it (its textbox filled, Submit clicked, the answer shown), for a space
asleep at each level (paused: frozen container; stopped: container stopped).

Runs a real platform (`spacehost up`) with the `spaces/hello` Gradio space and short idle times
(sleep after 2 s, stop after 6 s), and the Debian chromium the browser tests use.

    .venv/bin/python bench/page_wake_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
from playwright.sync_api import Page, expect

from benchkit import free_port, launch_platform, platform_env
from spacehost.settings import Settings

# isort: split
# after benchkit, which puts the repository's root on sys.path
from tests.e2e.chromium import chromium

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "spacehost.cli.main"]
SPACE = "bench/page-wake"


def until(cond: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def get_json(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.load(r)
    except OSError:
        return None


def level(base: str) -> str:
    info = get_json(f"{base}/api/spaces/{SPACE}/runtime") or {}
    return str((info.get("sleep") or {}).get("level") or info.get("stage") or "")


def usable_after(page: Page, base: str, who: str) -> float:
    start = time.monotonic()
    page.goto(f"{base}/spaces/{SPACE}")
    frame = page.frame_locator("#app-frame")
    frame.get_by_label("name").fill(who, timeout=120_000)
    frame.get_by_role("button", name="Submit").click()
    expect(frame.get_by_label("greeting")).to_have_value(f"Hello, {who}!", timeout=60_000)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="page-wake-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = platform_env(
        data,
        port,
        {
            "SPACEHOST_SLEEP_AFTER": "2",
            "SPACEHOST_STOP_AFTER": "6",
        },
    )
    proc = launch_platform(data, port, env)
    try:
        until(lambda: get_json(f"{base}/api/health") is not None, 90, "the platform")
        subprocess.run(
            [*CLI, "push", str(ROOT / "spaces" / "hello"), "--name", SPACE],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        results: dict[str, list[float]] = {"paused": [], "stopped": []}
        with chromium() as browser:  # the browser tests' launcher (tests/e2e/chromium.py)
            for i in range(args.runs):
                for lvl in ("paused", "stopped"):
                    until(lambda lvl=lvl: level(base) == lvl, 60, f"{SPACE} {lvl}")
                    context = browser.new_context()
                    results[lvl].append(usable_after(context.new_page(), base, f"{lvl}{i}"))
                    context.close()
        for lvl, took in results.items():
            print(
                f"page of a {lvl} space -> app usable: median {statistics.median(took):.2f} s"
                f" (min {min(took):.2f}, max {max(took):.2f}, n={len(took)})"
            )
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
        remove(data)


def remove(data: Path) -> None:
    """What this run's platform left (spaces outlive `up` by design): its containers, volumes."""
    label = f"spacehost.instance={Settings(data_dir=data).instance}"
    client = docker.from_env()
    for c in client.containers.list(all=True, filters={"label": label}):
        c.remove(force=True)
    for v in client.volumes.list(filters={"label": label}):
        v.remove(force=True)


if __name__ == "__main__":
    main()
