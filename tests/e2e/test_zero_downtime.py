"""A code-only redeploy under load: concurrent clients calling the space through the router see
no failed request, and their answers switch from the old version to the new one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import ROOT, Running
from tests.e2e.loops import ClientThreads
from tests.support.polling import wait_for

pytestmark = pytest.mark.docker

SPACE = "e2e/zero-downtime"
CLIENTS = 5


def hello_version(tmp: Path, version: str) -> Path:
    """The hello example whose /config carries *version* in its title."""
    src = tmp / version
    shutil.copytree(ROOT / "spaces" / "hello", src)
    app = (src / "app.py").read_text()
    (src / "app.py").write_text(app.replace('title="Hello"', f'title="Hello {version}"'))
    return src


class Clients(ClientThreads):
    """*n* keep-alive clients calling GET /config in a loop; every answer or error recorded."""

    def __init__(self, url: str, n: int):
        super().__init__(n, join_s=30)
        self.url = url

    def _run(self, i: int) -> None:
        with requests.Session() as session:
            while not self._stop.is_set():
                try:
                    resp = session.get(self.url, timeout=30)
                except requests.RequestException as e:
                    self.failures.append(f"client {i}: {type(e).__name__}: {e}")
                    continue
                if resp.status_code != 200:
                    self.failures.append(f"client {i}: HTTP {resp.status_code}")
                    continue
                text = resp.text
                self.answers[i].append(
                    "v2" if "Hello v2" in text else "v1" if "Hello v1" in text else "other"
                )

    def seen(self, version: str) -> bool:
        return all(version in a for a in self.answers)


def test_redeploy_under_load_fails_no_request(platform: Running, tmp_path: Path) -> None:
    platform.cli("push", str(hello_version(tmp_path, "v1")), "--name", SPACE, check=True)
    try:
        url = platform.space_url(SPACE, "subdomain") + "config"
        with Clients(url, CLIENTS) as clients:
            wait_for(lambda: clients.seen("v1"), timeout=30, what="every client to get v1")
            platform.cli("push", str(hello_version(tmp_path, "v2")), "--name", SPACE, check=True)
            wait_for(lambda: clients.seen("v2"), timeout=30, what="every client to get v2")
        assert clients.failures == []
        for answers in clients.answers:
            assert "other" not in answers
            switch = answers.index("v2")
            # old until the switch, new after it: no client goes back to the old version
            assert set(answers[:switch]) == {"v1"} and set(answers[switch:]) == {"v2"}
    finally:
        platform.cli("rm", "--yes", SPACE)
