"""A static space keeps serving through the router while its next revision is refused, fails
to build or fails to start: a client loop sees its page all along, without one failed request,
and the API shows each error next to stage RUNNING."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import ROOT, Running
from tests.e2e.loops import RequestLoop
from tests.support.polling import wait_for

pytestmark = pytest.mark.docker

SPACE = "e2e/static-keeps"
README = "---\ntitle: Keeps\nsdk: {sdk}\n{extra}---\n"


def folder(tmp: Path, name: str, files: dict[str, str]) -> Path:
    path = tmp / name
    path.mkdir()
    for rel, text in files.items():
        (path / rel).write_text(text)
    return path


def info(platform: Running) -> dict[str, Any]:
    resp = requests.get(f"{platform.url}/api/spaces/{SPACE}", timeout=10)
    resp.raise_for_status()
    result: dict[str, Any] = resp.json()
    return result


def runtime(platform: Running) -> dict[str, Any]:
    resp = requests.get(f"{platform.url}/api/spaces/{SPACE}/runtime", timeout=10)
    resp.raise_for_status()
    result: dict[str, Any] = resp.json()
    return result


def test_static_space_serves_through_failed_redeploys(platform: Running, tmp_path: Path) -> None:
    v1 = tmp_path / "v1"
    shutil.copytree(ROOT / "spaces" / "static-page", v1)
    platform.cli("push", str(v1), "--name", SPACE, check=True)
    try:
        sha = info(platform)["sha"]
        invalid = folder(
            tmp_path,
            "invalid",
            {
                "README.md": README.format(sdk="gradio", extra="sdk_version: not-a-version\n"),
                "app.py": "print(1)\n",
            },
        )
        build_fails = folder(
            tmp_path,
            "build-fails",
            {
                "README.md": README.format(sdk="docker", extra="app_port: 8080\n"),
                "Dockerfile": (
                    "FROM spacehost/base:bookworm\nRUN echo failing on purpose && false\n"
                ),
            },
        )
        start_fails = folder(
            tmp_path,
            "start-fails",
            {
                "README.md": README.format(sdk="gradio", extra=""),
                "app.py": "raise SystemExit('failing on purpose')\n",
            },
        )
        for style in ("path", "subdomain"):
            url = platform.space_url(SPACE, style)
            assert "A static space" in requests.get(url, timeout=10).text
        with RequestLoop(platform.space_url(SPACE, "path"), "A static space") as loop:
            wait_for(lambda: loop.served > 0, timeout=30, what="the page to be served")
            refused = platform.cli("push", str(invalid), "--name", SPACE)
            assert refused.returncode != 0 and "sdk_version" in refused.stdout + refused.stderr
            for bad, error in (
                (build_fails, "failing on purpose"),
                (start_fails, "exited with code"),
            ):
                served = loop.served
                failed = platform.cli("push", str(bad), "--name", SPACE)
                assert failed.returncode != 0, failed.stdout
                rt = runtime(platform)
                assert rt["stage"] == "RUNNING", rt
                assert error in (rt["errorMessage"] or ""), rt["errorMessage"]
                assert info(platform)["sha"] != sha  # the failed revision is the last pushed
                wait_for(
                    lambda s=served: loop.served > s + 3,
                    timeout=30,  # type: ignore[misc]
                    what="the page to be served after the failed deploy",
                )
        assert loop.failures == [], loop.failures[:5]
        assert loop.served > 10
    finally:
        platform.cli("rm", "--yes", SPACE)
