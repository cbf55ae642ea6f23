"""The Spaces API as Hugging Face's own clients call it (issue 15), against a real platform
(`spacehost up`, the real engine) with ``HF_ENDPOINT`` at it, each client unchanged in a fresh
process: every ``HfApi`` Spaces method (runtime, restart with and without factory reboot,
pause, sleep time, hardware, variables and secrets with descriptions, duplicate, logs), the
``hf spaces`` commands of huggingface_hub 2.x, and ``gradio_client.Client("owner/name")`` for
a public and a private space. One space is built for the module (its duplicate reuses every
layer)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Running
from tests.e2e.huggingface import hf
from tests.support.polling import wait_for

pytestmark = pytest.mark.docker
HF = Path(sys.executable).with_name("hf")
SPACE, COPY = "e2e/api-clients", "e2e/api-clients-copy"
README = "---\ntitle: API clients\nsdk: gradio\nsdk_version: 6.31.0\n---\n"
APP = """
import os
import gradio as gr

print("api-clients: starting with MODE=" + os.environ.get("MODE", "unset"), flush=True)


def greet(name: str) -> str:
    return f"{os.environ.get('MODE', 'unset')}: Hello, {name}!"


gr.Interface(fn=greet, inputs="text", outputs="text", api_name="greet").launch()
"""


def token(platform: Running) -> str:
    return (platform.data_dir / "token").read_text().strip()


def runtime(platform: Running, space: str) -> dict[str, Any]:
    body: dict[str, Any] = requests.get(
        f"{platform.url}/api/spaces/{space}/runtime",
        headers={"Authorization": f"Bearer {token(platform)}"},
        timeout=10,
    ).json()
    return body


def wait_running(platform: Running, space: str) -> None:
    wait_for(
        lambda: runtime(platform, space)["stage"] == "RUNNING",
        timeout=600,
        what=f"{space} to run",
    )


@pytest.fixture(scope="module")
def space(platform: Running, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("api-clients")
    (folder / "README.md").write_text(README)
    (folder / "app.py").write_text(APP)
    platform.cli("push", str(folder), "--name", SPACE, check=True, timeout=1800)
    wait_running(platform, SPACE)
    return SPACE


def run_hf(platform: Running, home: Path, code: str) -> Any:
    return hf(platform, home, code, HF_TOKEN=token(platform))


def hf_cli(platform: Running, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HF_ENDPOINT": platform.url,
        "HF_HOME": str(home),
        "HF_TOKEN": token(platform),
        "NO_COLOR": "1",
    }
    return subprocess.run([str(HF), *args], env=env, capture_output=True, text=True, timeout=300)


HFAPI_CALLS = """
import json, time, warnings
warnings.simplefilter("ignore")
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError
api, space, copy, out = HfApi(), "{space}", "{copy}", {{}}

info = api.space_info(space)
out["info"] = [info.host, info.subdomain, info.runtime.stage, info.created_at.isoformat(),
               info.last_modified.isoformat()]
out["runtime"] = api.get_space_runtime(space).stage
out["hardware"] = [h.name for h in api.list_spaces_hardware()]
out["request_cpu"] = api.request_space_hardware(space, "cpu-upgrade", sleep_time=900).sleep_time
try:
    api.request_space_hardware(space, "a100-large")
except HfHubHTTPError as exc:
    out["request_gpu"] = [exc.response.status_code, str(exc)]
out["sleep"] = api.set_space_sleep_time(space, 1800).sleep_time

api.add_space_secret(space, "API_KEY", "s3cret-value", description="the API key")
secrets = api.get_space_secrets(space)
out["secrets"] = {{k: [s.description, s.updated_at is not None] for k, s in secrets.items()}}
added = api.add_space_variable(space, "MODE", "fast", description="how it runs")
out["added"] = {{k: [v.value, v.description] for k, v in added.items()}}
api.add_space_variable(space, "EXTRA", "1")
out["deleted"] = sorted(api.delete_space_variable(space, "EXTRA"))
variables = api.get_space_variables(space)
out["variables"] = {{k: [v.value, v.description] for k, v in variables.items()}}
api.delete_space_secret(space, "API_KEY")
out["secrets_after"] = sorted(api.get_space_secrets(space))

out["restart"] = api.restart_space(space).stage
out["waited"] = api.wait_for_space(space, timeout=600).stage
out["factory"] = api.restart_space(space, factory_reboot=True).stage
out["factory_waited"] = api.wait_for_space(space, timeout=900).stage
out["build_log"] = list(api.fetch_space_logs(space, build=True))
start = time.monotonic()
out["run_log"] = list(api.fetch_space_logs(space))
out["run_log_s"] = time.monotonic() - start

url = api.duplicate_repo(space, copy, repo_type="space", private=True, space_sleep_time=600,
                         space_variables=[{{"key": "MODE", "value": "copied", "description": "d"}}],
                         space_secrets=[{{"key": "API_KEY", "value": "other"}}])
out["duplicate"] = [str(url), url.repo_id, url.repo_type]
out["exist_ok"] = str(api.duplicate_repo(space, copy, repo_type="space", exist_ok=True))
try:
    api.duplicate_repo(space, copy, repo_type="space")
except HfHubHTTPError as exc:
    out["duplicate_again"] = exc.response.status_code
out["copy"] = [api.space_info(copy).private, api.get_space_variables(copy)["MODE"].value,
               sorted(api.get_space_secrets(copy)), api.get_space_runtime(copy).sleep_time]
try:
    api.get_space_runtime("e2e/no-such-space")
except RepositoryNotFoundError:
    out["missing"] = "RepositoryNotFoundError"
print(json.dumps(out))
"""


def test_every_hfapi_spaces_call_works_unchanged(
    platform: Running, space: str, tmp_path: Path
) -> None:
    raw = requests.get(f"{platform.url}/api/spaces/{space}", timeout=10).json()
    assert raw["createdAt"].endswith("Z") and raw["lastModified"].endswith("Z")
    got = run_hf(platform, tmp_path, HFAPI_CALLS.format(space=space, copy=COPY))
    host, subdomain, stage, created, modified = got["info"]
    assert host == f"{platform.url}/spaces/{space}/" and subdomain == "e2e-api-clients"
    assert stage == got["runtime"] == "RUNNING" and created <= modified
    assert got["hardware"][:3] == ["cpu-basic", "cpu-upgrade", "cpu-xl"]
    assert got["request_cpu"] == 900
    status, message = got["request_gpu"]
    assert status == 409 and "cannot give a100-large" in message and "cpu-basic" in message
    assert got["sleep"] == 1800
    assert got["secrets"] == {"API_KEY": ["the API key", True]}
    assert got["added"] == {"MODE": ["fast", "how it runs"]}
    assert got["deleted"] == ["MODE"] and got["variables"] == got["added"]
    assert got["secrets_after"] == []
    assert got["restart"].startswith("RUNNING")  # the running space is redeployed
    assert got["waited"] == got["factory_waited"] == "RUNNING"
    assert any("FROM" in line for line in got["build_log"]), got["build_log"][:5]
    assert "api-clients: starting with MODE=fast\n" in got["run_log"], got["run_log"][-5:]
    assert got["run_log_s"] < 30
    url, repo_id, repo_type = got["duplicate"]
    assert (url, repo_id, repo_type) == (f"{platform.url}/spaces/{COPY}", COPY, "space")
    assert got["exist_ok"] == url and got["duplicate_again"] == 409
    assert got["copy"] == [True, "copied", ["API_KEY"], 600]
    assert got["missing"] == "RepositoryNotFoundError"
    wait_running(platform, COPY)
    platform.cli("rm", COPY, "--yes", check=True)


def test_hf_spaces_commands(platform: Running, space: str, tmp_path: Path) -> None:
    def ok(*args: str) -> str:
        proc = hf_cli(platform, tmp_path, "spaces", *args)
        assert proc.returncode == 0, f"hf spaces {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout

    assert "cpu-upgrade" in ok("hardware") and "CPU Basic" in ok("hardware")
    assert f'"host": "{platform.url}/spaces/{space}/"' in ok("info", space)
    assert "FROM" in ok("logs", space, "--build")
    assert "api-clients: starting" in ok("logs", space, "-n", "20")
    assert "1200" in ok("settings", space, "--sleep-time", "1200")
    refused = hf_cli(platform, tmp_path, "spaces", "settings", space, "--hardware", "t4-small")
    assert refused.returncode != 0 and "cannot give t4-small" in refused.stdout + refused.stderr
    ok("variables", "add", space, "-e", "CLI_VAR=yes")
    assert "CLI_VAR" in ok("variables", "ls", space)
    ok("variables", "delete", space, "CLI_VAR", "--yes")
    ok("secrets", "add", space, "-s", "CLI_SECRET=hidden")
    listed = ok("secrets", "ls", space)
    assert "CLI_SECRET" in listed and "hidden" not in listed
    ok("secrets", "delete", space, "CLI_SECRET", "--yes")
    assert "PAUSED" in ok("pause", space)
    assert runtime(platform, space)["stage"] == "PAUSED"
    ok("restart", space)
    assert "RUNNING" in ok("wait", space)


def client_answer(platform: Running, home: Path, space: str, hf_token: str | None) -> str:
    """``Client(space)`` in a fresh process with HF_ENDPOINT at the platform (and the token in
    HF_TOKEN when given, as a user logged in with `hf auth login` has it)."""
    code = (
        "from gradio_client import Client\n"
        f"print(Client({space!r}, verbose=False).predict('Id', api_name='/greet'))"
    )
    env = {**os.environ, "HF_ENDPOINT": platform.url, "HF_HOME": str(home)}
    env.pop("HF_TOKEN", None)
    if hf_token:
        env["HF_TOKEN"] = hf_token
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=180, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_gradio_client_finds_the_space_by_id_public_and_private(
    platform: Running, space: str, tmp_path: Path
) -> None:
    wait_running(platform, space)
    assert "fast: Hello, Id!" in client_answer(platform, tmp_path, space, None)
    settings = f"{platform.url}/api/spaces/{space}/settings"
    auth = {"Authorization": f"Bearer {token(platform)}"}
    assert requests.put(settings, json={"private": True}, headers=auth, timeout=10).ok
    assert "fast: Hello, Id!" in client_answer(platform, tmp_path, space, token(platform))
    with pytest.raises(AssertionError, match=r"RepositoryNotFound|not found|404"):
        client_answer(platform, tmp_path, space, None)
