"""End to end: variables and secrets reach a real app as environment variables, secrets never
leave the platform, a change restarts the space, duplicate, and crash restarts with backoff."""

from __future__ import annotations

import stat
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from gradio_client import Client

from tests.e2e.conftest import ROOT, SPACEHOST, Running
from tests.support.polling import wait_for

pytestmark = pytest.mark.docker

SECRET = "sk-e2e-5e3c7e7-do-not-leak"
README = "---\ntitle: {title}\nsdk: gradio\nsdk_version: 6.31.0\napp_file: app.py\n---\n"

ENV_APP = """import os

import gradio as gr

# a careless app: it prints its configuration, secret included, to its log
print(f"MODE={os.environ.get('MODE')} TOKEN={os.environ.get('TOKEN')}", flush=True)


def read(name: str) -> str:
    return os.environ.get(name, "<unset>")


demo = gr.Interface(fn=read, inputs=gr.Textbox(), outputs=gr.Textbox(), api_name="read")
demo.launch()
"""

CRASH_APP = """import os
import pathlib
import threading

import gradio as gr

# the first run leaves a mark in /data and dies a moment after it is up; later runs stay up
# (the mark's name is new for each test run: a volume left by an earlier run must not count)
mark = pathlib.Path("/data/crashed-{nonce}")
demo = gr.Interface(fn=lambda s: s, inputs=gr.Textbox(), outputs=gr.Textbox(), api_name="echo")
if not mark.exists():
    mark.write_text("yes")

    def die() -> None:
        print("crashing on purpose", flush=True)
        os._exit(3)

    threading.Timer(4.0, die).start()
demo.launch()
"""


def make_space(tmp_path: Path, name: str, app: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "README.md").write_text(README.format(title=name))
    (folder / "app.py").write_text(app)
    return folder


def cli(
    platform: Running, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*SPACEHOST, *args],
        env=platform.env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        input=stdin,
    )
    assert proc.returncode == 0, f"spacehost {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def api(platform: Running, space: str, path: str = "", **params: str) -> requests.Response:
    token = (platform.data_dir / "token").read_text().strip()
    return requests.get(
        f"{platform.url}/api/spaces/{space}{path}",
        params=params,
        timeout=30,
        headers={"Authorization": f"Bearer {token}"},
    )


def read_env(platform: Running, space: str, name: str) -> str | None:
    """What the running app says *name* is; None while it is not reachable."""
    try:
        client = Client(platform.space_url(space, "path"), verbose=False)
        return str(client.predict(name, api_name="/read"))
    except Exception:
        return None


def wait_env(platform: Running, space: str, name: str, value: str) -> None:
    wait_for(
        lambda: read_env(platform, space, name) == value,
        timeout=240,
        interval=0.5,
        what=f"{space} to see {name}={value}",
    )


def runtime(platform: Running, space: str) -> dict[str, Any]:
    body: dict[str, Any] = api(platform, space, "/runtime").json()
    return body


@pytest.fixture(scope="module")
def env_space(platform: Running, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = make_space(tmp_path_factory.mktemp("sec"), "sec-env", ENV_APP)
    cli(platform, "push", str(folder), "--name", "e2e/sec-env")
    cli(platform, "variables", "set", "e2e/sec-env", "MODE", "one", "--description", "a mode")
    # the value comes on stdin, never on the command line
    out = cli(platform, "secrets", "set", "e2e/sec-env", "TOKEN", stdin=SECRET + "\n")
    assert SECRET not in out.stdout + out.stderr
    wait_env(platform, "e2e/sec-env", "TOKEN", SECRET)
    return "e2e/sec-env"


def test_variable_and_secret_reach_the_app(platform: Running, env_space: str) -> None:
    assert read_env(platform, env_space, "MODE") == "one"
    assert read_env(platform, env_space, "TOKEN") == SECRET
    assert read_env(platform, env_space, "SPACE_ID") == env_space
    listed = cli(platform, "secrets", "ls", env_space).stdout
    assert "TOKEN" in listed and SECRET not in listed
    assert "a mode" in cli(platform, "variables", "ls", env_space).stdout


def test_the_secret_is_in_no_api_response_log_or_database_file(
    platform: Running, env_space: str
) -> None:
    wait_for(
        lambda: "TOKEN=***" in api(platform, env_space, "/logs", kind="run").text,
        timeout=60,
        what="the app's startup line in the run log",
    )
    bodies = [
        api(platform, env_space, path, **params).text
        for path, params in [
            ("", {}),
            ("/runtime", {}),
            ("/variables", {}),
            ("/secrets", {}),
            ("/logs", {"kind": "run"}),
            ("/logs", {"kind": "run", "run": "previous"}),
            ("/logs", {"kind": "build"}),
            ("/logs/runs", {}),
        ]
    ]
    bodies.append(requests.get(f"{platform.url}/api/spaces", timeout=30).text)
    bodies.append(requests.get(f"{platform.url}/spaces/{env_space}", timeout=30).text)
    assert all(SECRET not in b for b in bodies)
    assert "TOKEN" in bodies[3] and "MODE=one TOKEN=***" in bodies[4]
    assert SECRET not in platform.log.read_text(errors="replace")  # the platform's own log
    db = b"".join(p.read_bytes() for p in platform.data_dir.glob("spacehost.db*"))
    assert SECRET.encode() not in db and b"TOKEN" in db
    key = platform.data_dir / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_a_change_restarts_the_space_with_the_new_value(platform: Running, env_space: str) -> None:
    before = api(platform, env_space).json()["servingSha"]
    runs = len(api(platform, env_space, "/logs/runs").json()["runs"])
    out = cli(platform, "variables", "set", env_space, "MODE", "two")
    assert "restarting" in out.stdout
    wait_env(platform, env_space, "MODE", "two")
    assert len(api(platform, env_space, "/logs/runs").json()["runs"]) > runs  # a new container
    assert api(platform, env_space).json()["servingSha"] == before  # same revision
    cli(platform, "secrets", "rm", env_space, "TOKEN")
    wait_env(platform, env_space, "TOKEN", "<unset>")
    cli(platform, "secrets", "set", env_space, "TOKEN", stdin=SECRET)
    wait_env(platform, env_space, "TOKEN", SECRET)


def test_duplicate_copies_files_and_variables_and_names_the_secrets(
    platform: Running, env_space: str
) -> None:
    out = cli(platform, "duplicate", env_space, "e2e/sec-copy")
    assert "TOKEN" in out.stderr and "live at" in out.stdout
    assert read_env(platform, "e2e/sec-copy", "MODE") == read_env(platform, env_space, "MODE")
    assert read_env(platform, "e2e/sec-copy", "TOKEN") == "<unset>"
    assert read_env(platform, "e2e/sec-copy", "SPACE_ID") == "e2e/sec-copy"
    token = (platform.data_dir / "token").read_text().strip()
    again = requests.post(
        f"{platform.url}/api/spaces/{env_space}/duplicate",
        timeout=30,
        json={"to": "e2e/sec-copy"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def test_a_crashing_app_is_restarted_by_backoff(platform: Running, tmp_path: Path) -> None:
    space = "e2e/sec-crash"
    app = CRASH_APP.replace("{nonce}", uuid.uuid4().hex)
    cli(platform, "push", str(make_space(tmp_path, "sec-crash", app)), "--name", space)

    def restarted() -> bool:
        runs = api(platform, space, "/logs/runs").json()["runs"]
        return len(runs) >= 2 and runtime(platform, space)["stage"] == "RUNNING"

    wait_for(restarted, timeout=240, interval=0.5, what="the crashed app to be restarted")
    previous = api(platform, space, "/logs", kind="run", run="previous").text
    assert "crashing on purpose" in previous  # the crashed run's log is kept
    assert runtime(platform, space)["errorMessage"] is None
    assert (
        Client(platform.space_url(space, "path"), verbose=False).predict(
            "still here", api_name="/echo"
        )
        == "still here"
    )
    cli(platform, "rm", "--yes", space)  # and its volume
