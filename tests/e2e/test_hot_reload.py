"""Hot reload (issue 15): huggingface_hub's ``upload_file(..., _hot_reload=True)`` from a fresh
process to a running Gradio space applies the new code to the running app (no rebuild, same
container) while clients calling it see no failed request; a restart from an image afterwards
serves the new code; a commit touching requirements.txt takes the rebuild path (a new
container); the space page says which path each took.

One space, built once (the hello example); the rebuild is of its app layer only. The module
runs its own platform with ``SPACEHOST_HOT_RELOAD=1`` (off by default: docs/pushing.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
import requests
from gradio_client import Client
from playwright.sync_api import Page

from spacehost.settings import Settings
from tests.e2e.chromium import BROWSER_TESTS
from tests.e2e.conftest import ROOT, Running, remove_containers, start_platform, stop_platform
from tests.e2e.huggingface import hf
from tests.e2e.loops import ClientThreads
from tests.support.polling import wait_for
from tests.support.ports import free_port

pytestmark = BROWSER_TESTS

SPACE = "e2e/hot-reload"
CLIENTS = 3
APP = (ROOT / "spaces" / "hello" / "app.py").read_text()


def app_saying(word: str) -> str:
    return APP.replace('f"Hello, {name}!"', f'f"{word}, {{name}}!"')


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A platform with hot reload on (its Gradio spaces run under Gradio's reload watcher)."""
    data = tmp_path_factory.mktemp("hot-platform")
    proc, running = start_platform(data, free_port(), {"SPACEHOST_HOT_RELOAD": "1"})
    try:
        yield running
    finally:
        stop_platform(proc, running, "e2e-hot-reload")
        remove_containers(running.data_dir)


@pytest.fixture(scope="module")
def hot(platform: Running, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    src = tmp_path_factory.mktemp("hot") / "space"
    src.mkdir()
    (src / "README.md").write_bytes((ROOT / "spaces" / "hello" / "README.md").read_bytes())
    (src / "app.py").write_text(app_saying("Hello"))
    platform.cli("push", str(src), "--name", SPACE, check=True)
    try:
        yield SPACE
    finally:
        platform.cli("rm", "--yes", SPACE)


def token(platform: Running) -> str:
    return (platform.data_dir / "token").read_text().strip()


def app_containers(platform: Running) -> list[tuple[str, str]]:
    """The space's app containers: (id, the revision each was started for)."""
    instance = Settings(data_dir=platform.data_dir).instance
    labels = [f"spacehost.space={SPACE}", f"spacehost.instance={instance}", "spacehost.role=app"]
    found = docker.from_env().containers.list(filters={"label": labels})
    return [(str(c.id), str(c.labels["spacehost.revision"])) for c in found]


def app_container(platform: Running) -> tuple[str, str]:
    """The space's one app container (none other is running)."""
    found = app_containers(platform)
    assert len(found) == 1, found
    return found[0]


def space_info(platform: Running) -> dict[str, Any]:
    body: dict[str, Any] = requests.get(f"{platform.url}/api/spaces/{SPACE}", timeout=10).json()
    return body


class Callers(ClientThreads):
    """*n* gradio_client clients calling /greet through the router in a loop (bounded: they
    stop at ``__exit__`` or after *limit_s*); every answer and failure recorded."""

    def __init__(self, url: str, n: int, limit_s: float = 120.0):
        super().__init__(n)
        self.url, self.limit_s = url, limit_s

    def _run(self, i: int) -> None:
        client = Client(self.url, verbose=False)
        end = time.monotonic() + self.limit_s
        while not self._stop.is_set() and time.monotonic() < end:
            try:
                self.answers[i].append(str(client.predict(f"c{i}", api_name="/greet")))
            except Exception as e:  # every failure counts, whatever it is
                self.failures.append(f"client {i}: {type(e).__name__}: {e}")

    def saw(self, word: str) -> bool:
        return all(any(a.startswith(word) for a in answers) for answers in self.answers)

    @property
    def calls(self) -> int:
        return sum(len(a) for a in self.answers)


COMMIT = """
import json, time
from gradio_client import Client
from huggingface_hub import HfApi
client = Client({url!r}, verbose=False)
api = HfApi()
start = time.monotonic()
info = api.upload_file(path_or_fileobj={data!r}, path_in_repo={path!r}, repo_id={space!r},
                       repo_type="space", commit_message="hot", _hot_reload=True)
committed = time.monotonic() - start
answer = None
while {expect!r} is not None and time.monotonic() - start < 60:
    answer = client.predict("x", api_name="/greet")
    if answer == {expect!r}:
        break
print(json.dumps({{"oid": info.oid, "committed_s": committed, "answer": answer,
                  "answering_s": time.monotonic() - start}}))
"""


def commit(
    platform: Running, home: Path, path: str, data: bytes, expect: str | None
) -> dict[str, Any]:
    """Commit *data* at *path* with hot_reload from a fresh process; with *expect*, it also
    times until /greet answers it (through the router)."""
    code = COMMIT.format(
        url=platform.space_url(SPACE, "path"), data=data, path=path, space=SPACE, expect=expect
    )
    result: dict[str, Any] = hf(platform, home, code, HF_TOKEN=token(platform))
    return result


def update_path(page: Page, platform: Running) -> str:
    page.goto(f"{platform.url}/spaces/{SPACE}?tab=logs")
    return page.locator("#update-path").inner_text()


def test_hot_reload_commit_is_live_fast_with_no_failed_request(
    platform: Running, hot: str, tmp_path: Path, page: Page
) -> None:
    before, _ = app_container(platform)
    with Callers(platform.space_url(hot, "path"), CLIENTS) as callers:
        wait_for(lambda: callers.saw("Hello"), timeout=60, what="every client to be answered")
        result = commit(platform, tmp_path, "app.py", app_saying("Howdy").encode(), "Howdy, x!")
        wait_for(lambda: callers.saw("Howdy"), timeout=30, what="every client to get new code")
    print(f"hot reload: {json.dumps(result)}; {callers.calls} calls during the switch")
    assert result["answer"] == "Howdy, x!"
    assert result["answering_s"] < 5.0  # goal 1.5 s (bench/hot_reload_bench.py); slack for CI
    assert callers.failures == [] and callers.calls >= 2 * CLIENTS
    for answers in callers.answers:  # old until the switch, new after it: never back
        switch = next(i for i, a in enumerate(answers) if a.startswith("Howdy"))
        assert all(a.startswith("Hello") for a in answers[:switch])
        assert all(a.startswith("Howdy") for a in answers[switch:])
    after, _ = app_container(platform)
    assert after == before  # no new container: the running app took the new code
    info = space_info(platform)
    assert info["sha"] == result["oid"] and info["runtime"]["stage"] == "RUNNING"
    assert "hot-reloaded in" in update_path(page, platform)
    page.goto(f"{platform.url}/spaces/{SPACE}?tab=logs")
    assert "no rebuild" in page.content()


# the request HfApi.add_space_variable sends; the client's reading of the answer is left out:
# the platform answers the one variable set, where Hugging Face answers all of them
VARIABLE = """
import json
from huggingface_hub import HfApi, constants
from huggingface_hub.utils import get_session
api = HfApi()
r = get_session().post(f"{{constants.ENDPOINT}}/api/spaces/{space}/variables",
                       headers=api._build_hf_headers(), json={{"key": "STYLE", "value": "plain"}})
r.raise_for_status()
print(json.dumps(r.status_code))
"""


def test_a_restart_after_a_hot_reload_serves_the_new_code(
    platform: Running, hot: str, tmp_path: Path
) -> None:
    """A variable set restarts the space from its image: the hot-reloaded revision's (built
    then), not the image the reloaded container was started from."""
    before, _ = app_container(platform)
    hf(platform, tmp_path, VARIABLE.format(space=hot), HF_TOKEN=token(platform))

    def restarted() -> bool:
        running = space_info(platform)["runtime"]["stage"] == "RUNNING"
        ids = [cid for cid, _ in app_containers(platform)]
        return running and len(ids) == 1 and ids[0] != before

    wait_for(restarted, timeout=600, what="the space to restart")
    client = Client(platform.space_url(hot, "path"), verbose=False)
    assert client.predict("z", api_name="/greet") == "Howdy, z!"


def test_a_requirements_change_takes_the_rebuild_path(
    platform: Running, hot: str, tmp_path: Path, page: Page
) -> None:
    before, _ = app_container(platform)
    result = commit(platform, tmp_path, "requirements.txt", b"# no dependencies\n", None)

    def rebuilt() -> bool:
        info = space_info(platform)  # the commit's oid is git's sha; containers name revisions
        running = info["sha"] == result["oid"] and info["runtime"]["stage"] == "RUNNING"
        return running and [rev for _, rev in app_containers(platform)] == [info["revision"]]

    wait_for(rebuilt, timeout=600, what="the rebuilt revision to serve")
    assert app_container(platform)[0] != before
    client = Client(platform.space_url(hot, "path"), verbose=False)
    assert client.predict("y", api_name="/greet") == "Howdy, y!"  # the hot-reloaded code, built
    text = update_path(page, platform)
    assert "rebuilt" in text and "requirements.txt" in text


def test_spacehost_push_hot_reload(
    platform: Running, hot: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """``spacehost push --hot-reload`` takes the same path for a code-only change."""
    before, _ = app_container(platform)
    src = tmp_path_factory.mktemp("cli") / "space"
    src.mkdir()
    (src / "README.md").write_bytes((ROOT / "spaces" / "hello" / "README.md").read_bytes())
    (src / "requirements.txt").write_bytes(b"# no dependencies\n")
    (src / "app.py").write_text(app_saying("Hi"))
    proc = platform.cli("push", str(src), "--name", hot, "--hot-reload", check=True)
    assert "hot-reloaded in" in proc.stdout, proc.stdout
    assert app_container(platform)[0] == before
    client = Client(platform.space_url(hot, "path"), verbose=False)
    assert client.predict("w", api_name="/greet") == "Hi, w!"


def test_hf_spaces_hot_reload(platform: Running, hot: str, tmp_path: Path) -> None:
    """``hf spaces hot-reload OWNER/NAME app.py -f FILE --skip-checks --skip-summary`` (the hf CLI,
    unchanged). Its checks would send the space's sha as ``parent_commit``, which the client
    refuses unless it is a 40-digit git sha (a space revision here is a 64-digit sha256)."""
    before, _ = app_container(platform)
    app = tmp_path / "app.py"
    app.write_text(app_saying("Hey"))
    env = {
        **os.environ,
        "HF_ENDPOINT": platform.url,
        "HF_TOKEN": token(platform),
        "HF_HOME": str(tmp_path / "hf"),
    }
    hf_cli = Path(sys.executable).with_name("hf")
    cmd = [str(hf_cli), "spaces", "hot-reload", hot, "app.py", "-f", str(app)]
    cmd += ["--skip-checks", "--skip-summary"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert app_container(platform)[0] == before
    client = Client(platform.space_url(hot, "path"), verbose=False)
    assert client.predict("v", api_name="/greet") == "Hey, v!"


def test_code_that_fails_to_load_leaves_the_old_code_serving(
    platform: Running, hot: str, tmp_path: Path
) -> None:
    """Gradio's reload fails: the old files go back into the running app, which answers the old
    code throughout; the revision is then deployed the normal way and fails as any deploy."""
    before, _ = app_container(platform)
    raising = '\nraise RuntimeError("broken on purpose")\ndemo = '
    broken = app_saying("Boom").replace("\ndemo = ", raising, 1)
    with Callers(platform.space_url(hot, "path"), CLIENTS) as callers:
        wait_for(lambda: callers.saw("Hey"), timeout=60, what="every client to be answered")
        commit(platform, tmp_path, "app.py", broken.encode(), None)

        def failed() -> bool:
            runtime = space_info(platform)["runtime"]
            return bool(runtime["errorMessage"]) and runtime["stage"] == "RUNNING"

        wait_for(failed, timeout=300, what="the normal deploy of the broken code to fail")
    assert "broken on purpose" in space_info(platform)["runtime"]["errorMessage"]
    assert callers.failures == [] and callers.calls >= 2 * CLIENTS
    assert {a.split(",")[0] for answers in callers.answers for a in answers} == {"Hey"}
    assert app_container(platform)[0] == before
    # the old files are back in the container (a wake from stopped would run them)
    files = docker.from_env().containers.get(before).exec_run(["cat", "app.py"]).output
    assert b'f"Hey, {name}!"' in files and b"broken on purpose" not in files
