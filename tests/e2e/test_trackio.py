"""trackio (unchanged, in fresh processes with ``HF_ENDPOINT`` at the platform) against a real
platform: what ``trackio.init(space_id=...)`` does here, and its dashboard as a space that
serves the metrics trackio logs to it (docs/hub.md, "trackio").

trackio 0.43 with ``space_id=`` keeps its metrics in a Hugging Face Bucket (``{space}-bucket``,
docs/hub.md "Buckets") mounted at /data in the dashboard space (a space volume), and sends them
to ``https://{owner}-{name}.hf.space/``, a fixed URL out of reach here: it then writes them into
the bucket, where the dashboard finds them. The self-hosted mode (``server_url=``) points at the
dashboard space that trackio deploys through the hub API (create_repo, commits, secrets,
variables).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import docker
import pytest
import requests
import trackio

from spacehost.settings import Settings
from tests.e2e.conftest import Running
from tests.e2e.huggingface import hf
from tests.support.polling import wait_for

pytestmark = pytest.mark.docker

LOSSES = [1.0, 0.5, 0.25, 0.125, 0.0625]
BUILD_TIMEOUT = 900  # trackio[spaces,mcp] from the package index on a cold pip cache


def token(platform: Running) -> str:
    return (platform.data_dir / "token").read_text().strip()


def trackio_process(platform: Running, home: Path, code: str) -> Any:
    """*code* after ``import trackio`` in a fresh process, its runs kept under *home*."""
    return hf(
        platform,
        home,
        "import trackio, warnings\n" + code,
        HF_TOKEN=token(platform),
        TRACKIO_DIR=str(home / "trackio"),
    )


def bucket_volume_running(platform: Running, space: str) -> bool:
    """*space* is RUNNING with its ``{space}-bucket`` mounted at /data (as trackio attached
    it) in one container."""
    runtime = requests.get(f"{platform.url}/api/spaces/{space}/runtime", timeout=10).json()
    assert runtime["stage"] not in ("BUILD_ERROR", "RUNTIME_ERROR", "CONFIG_ERROR"), runtime
    want = {"type": "bucket", "source": f"{space}-bucket", "mountPath": "/data", "readOnly": False}
    return runtime["stage"] == "RUNNING" and runtime["volumes"] == [want]


def test_init_with_space_id_deploys_its_dashboard_with_the_bucket_that_holds_the_logs(
    platform: Running, tmp_path: Path
) -> None:
    """trackio's default with ``space_id=``: it creates ``{space}-bucket``, deploys the
    dashboard space with the bucket mounted at /data, and (the fixed ``*.hf.space`` URL being
    out of reach) writes its metrics into the bucket's inbox, which the dashboard imports."""
    space = f"e2e/trackio-{uuid.uuid4().hex[:8]}"
    out = trackio_process(
        platform,
        tmp_path,
        f"""
trackio.init(project="p", space_id="{space}", name="run-a")
for step, loss in enumerate({LOSSES}):
    trackio.log({{"loss": loss, "acc": step / 4}})
trackio.finish()
print(json.dumps({{"requests": REQUESTS}}))
""",
    )
    bucket = f"{platform.url}/api/buckets/{space}-bucket"
    assert ["POST", bucket, 200] in out["requests"]  # create_bucket
    assert ["PUT", f"{platform.url}/api/spaces/{space}/volumes", 200] in out["requests"]
    assert ["POST", f"{bucket}/batch", 200] in out["requests"]  # the metrics' fragments
    wait_for(
        lambda: bucket_volume_running(platform, space),
        timeout=BUILD_TIMEOUT,
        interval=2,
        what=f"{space} running with its bucket at /data",
    )
    url = platform.space_url(space, "path")
    assert "<title>Trackio Dashboard</title>" in requests.get(url, timeout=10).text

    def logged() -> list[tuple[int, float, float]]:
        logs = dashboard_api(url, "get_logs", project="p", run="run-a")
        return [(r["step"], r["loss"], r["acc"]) for r in logs]

    expected = [(step, loss, step / 4) for step, loss in enumerate(LOSSES)]
    wait_for(lambda: logged() == expected, timeout=120, interval=2, what="the logged values")


def app_env(platform: Running, space: str) -> list[list[str]]:
    """The environment of each app container of *space*."""
    instance = Settings(data_dir=platform.data_dir).instance
    labels = [f"spacehost.space={space}", f"spacehost.instance={instance}", "spacehost.role=app"]
    found = docker.from_env().containers.list(filters={"label": labels})
    return [c.attrs["Config"]["Env"] for c in found]


def running_with(platform: Running, space: str, env: str) -> bool:
    """*space* is RUNNING in one container that has *env* (a secret set after its deploy)."""
    runtime = requests.get(f"{platform.url}/api/spaces/{space}/runtime", timeout=10).json()
    assert runtime["stage"] not in ("BUILD_ERROR", "RUNTIME_ERROR", "CONFIG_ERROR"), runtime
    return runtime["stage"] == "RUNNING" and [env in e for e in app_env(platform, space)] == [True]


def dashboard_api(url: str, name: str, **kwargs: Any) -> Any:
    """Call the dashboard's HTTP API (what trackio's own client calls) at *url*."""
    resp = requests.post(f"{url}api/{name}", json={"args": [], "kwargs": kwargs}, timeout=30)
    resp.raise_for_status()
    return resp.json()["data"]


def test_trackio_deploys_its_dashboard_space_which_serves_what_trackio_logs_to_it(
    platform: Running, tmp_path: Path
) -> None:
    space = f"e2e/trackio-dash-{uuid.uuid4().hex[:8]}"
    write_token = uuid.uuid4().hex
    trackio_process(  # trackio's own deployment: README, requirements, app.py, secret, variable
        platform,
        tmp_path / "deploy",
        f"""
from trackio.deploy import deploy_as_space
from huggingface_hub import HfApi
deploy_as_space("{space}")
HfApi().add_space_secret("{space}", "TRACKIO_WRITE_TOKEN", "{write_token}")
print("{{}}")
""",
    )
    wait_for(
        lambda: running_with(platform, space, f"TRACKIO_WRITE_TOKEN={write_token}"),
        timeout=BUILD_TIMEOUT,
        interval=2,
        what=f"{space} running with its write token",
    )
    url = platform.space_url(space, "path")
    version = requests.get(f"{url}version", timeout=10).json()
    assert version["version"] == trackio.__version__ and version["api_version"] == 1
    assert "<title>Trackio Dashboard</title>" in requests.get(url, timeout=10).text

    out = trackio_process(
        platform,
        tmp_path / "train",
        f"""
trackio.init(project="p", server_url="{url}?write_token={write_token}", name="run-a")
for step, loss in enumerate({LOSSES}):
    trackio.log({{"loss": loss, "acc": step / 4}})
trackio.finish()
print(json.dumps({{}}))
""",
    )
    assert out == {}
    assert "p" in dashboard_api(url, "get_all_projects")
    logs = dashboard_api(url, "get_logs", project="p", run="run-a")
    assert [(r["step"], r["loss"], r["acc"]) for r in logs] == [
        (step, loss, step / 4) for step, loss in enumerate(LOSSES)
    ]
