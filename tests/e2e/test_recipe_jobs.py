"""A recipe run as a job, end to end on a real platform (`spacehost up`, the real Docker Engine),
the way docs/recipes.md tells a user: the recipes folder pushed as a space (its image is the
recipes' image), ``HfApi.run_job("hf.co/spaces/…", ["python", "finetune.py", …])`` from a fresh
process, the job downloading MiniLM and movie-reviews from the platform's hub and pushing its
classifier with a model card; then a space that names the model under ``models:`` serves it,
answering as the same model loaded on the host does."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from gradio_client import Client

from tests.e2e.conftest import ROOT, Running
from tests.e2e.huggingface import hf
from tests.e2e.users import user_token
from tests.support.polling import wait_for

pytestmark = [pytest.mark.docker, pytest.mark.slow]

RECIPES = ROOT / "recipes"
ENDED = ("COMPLETED", "ERROR", "CANCELED")
SENTENCES = [
    "A wonderful, moving film with a brilliant cast.",
    "Dull, far too long and badly acted.",
    "I would watch it again tomorrow.",
]
SERVE_APP = """import gradio as gr
from transformers import pipeline

classify = pipeline("text-classification", model="{model}")


def label(text):
    return classify(text)[0]["label"]


gr.Interface(label, "text", "text", api_name="label").launch()
"""
SERVE_README = """---
title: Reviews classifier
sdk: gradio
app_file: app.py
models:
- {model}
spacehost_resolve_as_of: {as_of}
---
"""
AS_OF = re.compile(r"resolving as of (\S+)")
RUN = """
from huggingface_hub import HfApi
job = HfApi().run_job(image="hf.co/spaces/{space}", command={command!r}, timeout=1500)
print(json.dumps({{"id": job.id, "namespace": job.owner.name}}))
"""
HOST_LABELS = """
from transformers import pipeline
classify = pipeline("text-classification", model="{model}")
print(json.dumps([classify(s)[0]["label"] for s in {sentences!r}]))
"""


def _token(platform: Running) -> str:
    return (platform.data_dir / "token").read_text().strip()


def _job(platform: Running, namespace: str, job_id: str) -> dict[str, Any]:
    got = requests.get(
        f"{platform.url}/api/jobs/{namespace}/{job_id}",
        headers={"Authorization": f"Bearer {_token(platform)}"},
        timeout=10,
    )
    got.raise_for_status()
    job: dict[str, Any] = got.json()
    return job


def _serving_space(tmp_path: Path, model: str, as_of: str) -> Path:
    """A space serving *model*, with the recipes' requirements resolved as of the same time: the
    same pip layer as the recipes' image, so it is built once (docs/builds.md)."""
    folder = tmp_path / "serve"
    folder.mkdir()
    (folder / "README.md").write_text(SERVE_README.format(model=model, as_of=as_of))
    (folder / "app.py").write_text(SERVE_APP.format(model=model))
    shutil.copy(RECIPES / "requirements.txt", folder / "requirements.txt")
    return folder


def test_a_finetune_job_pushes_a_model_that_a_space_serves(
    platform: Running, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:6]
    user = f"chef-{run}"  # a job gets a token of the user who runs it, to push with
    token = user_token(platform, user)
    recipes, model, serve = f"e2e/recipes-{run}", f"{user}/reviews", f"e2e/serve-{run}"
    pushed = platform.cli("push", str(RECIPES), "--name", recipes, check=True, timeout=1800)
    as_of = AS_OF.search(pushed.stdout + pushed.stderr)
    assert as_of, pushed.stdout + pushed.stderr

    command = ["python", "finetune.py", "--repo-id", model, "--max-train", "800"]
    command += ["--epochs", "1", "--batch-size", "16", "--learning-rate", "1e-4"]
    started = hf(
        platform,
        tmp_path / "home",
        RUN.format(space=recipes, command=command),
        HF_TOKEN=token,
    )
    job_id, namespace = started["id"], started["namespace"]
    wait_for(
        lambda: _job(platform, namespace, job_id)["status"]["stage"] in ENDED,
        timeout=1500,
        interval=2,
        what="the fine-tune job to end",
    )
    job = _job(platform, namespace, job_id)
    assert job["status"]["stage"] == "COMPLETED", job["status"]

    card = hf(
        platform,
        tmp_path / "home",
        f'from huggingface_hub import ModelCard\nd = ModelCard.load("{model}").data.to_dict()\n'
        'print(json.dumps({"base": d.get("base_model"), "index": d.get("model-index")}))',
    )
    assert card["base"] == "sentence-transformers/all-MiniLM-L6-v2"
    accuracy = card["index"][0]["results"][0]["metrics"][0]["value"]
    assert accuracy > 0.717  # above the bag-of-words baseline (docs/benchmarks.md)

    serving = _serving_space(tmp_path, model, as_of.group(1))
    platform.cli("push", str(serving), "--name", serve, check=True, timeout=1800)
    client = Client(platform.space_url(serve, "path"), verbose=False)
    served = [client.predict(s, api_name="/label") for s in SENTENCES]
    expected = hf(
        platform,
        tmp_path / "home",
        HOST_LABELS.format(model=model, sentences=SENTENCES),
    )
    assert served == expected
