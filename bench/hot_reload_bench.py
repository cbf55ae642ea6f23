"""Hot reload benchmark (issue 15): a hot-reload commit -> the new code answering, next to a
rebuild deploy of the same change, in one run.

Runs a real platform (`spacehost up`) on a fresh data dir with the hello example space (one
build), then ``--rounds`` times, each from a fresh client process (huggingface_hub and
gradio_client unchanged; their import and the client's connection excluded from the time):

- hot: ``upload_file(app.py, ..., _hot_reload=True)`` of a new greeting, then ``/greet``
  called through the router until it answers with the new greeting;
- rebuild: the same kind of change committed without ``hot_reload``: built (only the app
  files' layer is new), started beside the old container, switched to.

Also printed for the first hot round: each HTTP call the client made and when its answer
came (seconds from the start), and the
time the platform itself reports (the build log's "hot reload" line: from the commit's
arrival to Gradio's reload event).

Goal: hot <= 1.5 s (median).

    .venv/bin/python bench/hot_reload_bench.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sqlite3
import statistics
import subprocess
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

import docker

from benchkit import CLI, ROOT, hf_env, push_archive, run_json, running_platform
from spacehost.settings import Settings

GOAL_S = 1.5
SPACE = "bench/hot"
HELLO = ROOT / "spaces" / "hello"
APP = (HELLO / "app.py").read_text()

COMMIT = """
import json, sys, time
from gradio_client import Client
from huggingface_hub import HfApi
from huggingface_hub.utils import _http
calls = []
def _record(response):
    calls.append([response.request.method, response.request.url.path, time.monotonic()])
def _factory():
    client = _http.default_client_factory()
    client.event_hooks["response"].append(_record)
    return client
_http.set_client_factory(_factory)
url, space, word, hot = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
app = sys.stdin.read()
client = Client(url, verbose=False)
api = HfApi()
api.whoami()
start = time.monotonic()
api.upload_file(path_or_fileobj=app.encode(), path_in_repo="app.py", repo_id=space,
                repo_type="space", _hot_reload=hot)
committed = time.monotonic() - start
expect = word + ", x!"
while time.monotonic() - start < 900:
    try:
        if client.predict("x", api_name="/greet") == expect:
            break
    except Exception:
        pass
calls = [[m, p, round(t - start, 3)] for m, p, t in calls if t >= start]
print(json.dumps({"committed": committed, "answering": time.monotonic() - start,
                  "calls": calls}))
"""


def app_saying(word: str) -> str:
    return APP.replace('f"Hello, {name}!"', f'f"{word}, {{name}}!"')


def hello_archive() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in (("README.md", (HELLO / "README.md").read_bytes()),
                           ("app.py", app_saying("Hello").encode())):  # fmt: skip
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def wait_running(url: str, timeout: float = 1800) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with urllib.request.urlopen(f"{url}/api/spaces/{SPACE}/runtime", timeout=10) as r:
            if json.load(r).get("stage") == "RUNNING":
                return
        time.sleep(0.5)
    raise TimeoutError("the space did not run")


def wait_one_container(data: Path, timeout: float = 120) -> None:
    instance = Settings(data_dir=data).instance
    labels = [f"spacehost.space={SPACE}", f"spacehost.instance={instance}"]
    end = time.monotonic() + timeout
    while len(docker.from_env().containers.list(filters={"label": labels})) != 1:
        if time.monotonic() > end:
            raise TimeoutError("the old container was not removed")
        time.sleep(0.2)


def commit(url: str, token: str, home: Path, word: str, hot: bool) -> dict[str, object]:
    args = [f"{url}/spaces/{SPACE}/", SPACE, word, "1" if hot else "0"]
    result: dict[str, object] = run_json(
        COMMIT, args, hf_env(url, token, home), stdin=app_saying(word)
    )
    return result


def platform_seconds(data: Path) -> list[str]:
    """The platform's own "hot reload: ... in X s, no rebuild (how)" lines, from its database."""
    with sqlite3.connect(data / "spacehost.db") as db:
        rows = db.execute("SELECT line FROM logs WHERE kind = 'build' AND line LIKE 'hot reload:%'")
        found = [re.search(r" in ([0-9.]+) s, no rebuild \(([^;]+);", line) for (line,) in rows]
        return [f"{m.group(1)} ({m.group(2)})" for m in found if m]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    hots: list[float] = []
    rebuilds: list[float] = []
    with tempfile.TemporaryDirectory(dir=Path.home()) as tmp:
        work = Path(tmp)
        data = work / "data"
        with running_platform(data, {"SPACEHOST_HOT_RELOAD": "1"}) as (url, token, env):
            push_archive(url, token, SPACE, hello_archive())
            wait_running(url)
            try:
                for n in range(args.rounds):
                    hot = commit(url, token, work / "home", f"Hot{n}", hot=True)
                    hots.append(float(str(hot["answering"])))
                    if n == 0:
                        print(f"client calls of the first hot commit: {hot['calls']}")
                    rebuilt = commit(url, token, work / "home", f"Built{n}", hot=False)
                    rebuilds.append(float(str(rebuilt["answering"])))
                    wait_running(url)
                    wait_one_container(data)  # the deploy over: the old container removed
                    print(
                        f"round {n + 1}: hot reload {hots[-1]:.2f} s (commit call "
                        f"{float(str(hot['committed'])):.2f} s), rebuild {rebuilds[-1]:.2f} s"
                    )
                print(f"platform-reported hot reloads (s): {'; '.join(platform_seconds(data))}")
            finally:
                rm = [*CLI, "rm", "--yes", SPACE]
                subprocess.run(rm, env=env, cwd=ROOT, capture_output=True, check=False)
    hot_s, rebuild_s = statistics.median(hots), statistics.median(rebuilds)
    print(f"hot-reload commit -> new code answering: {hot_s:.2f} s (goal <= {GOAL_S} s)")
    print(f"rebuild deploy of the same change -> new code answering: {rebuild_s:.2f} s")
    print(f"hot reload is {rebuild_s / hot_s:.1f}x faster")


if __name__ == "__main__":
    main()
