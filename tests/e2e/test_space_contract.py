"""End to end: a space that relies on what Hugging Face's build image gives without being asked
(docs/builds.md, "What a space may assume"), built by spacehost and called with gradio_client.

One build. The space lists only ``lightgbm`` (which needs the system's ``libgomp.so.1``), then
uses ffmpeg, git and git-lfs, the pre-installed ``datasets``/``huggingface_hub``/``requests``/
``hf_xet``/``hf_transfer``, gradio's OAuth classes (the ``oauth`` extra) and launches with
``mcp_server=True`` (the ``mcp`` extra). On the runtime images before the contract it never got
to RUNNING: ``import lightgbm`` failed on the missing libgomp.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from gradio_client import Client

from tests.e2e.conftest import Running

pytestmark = pytest.mark.docker

README = """---
title: Relies on the image
sdk: gradio
app_file: app.py
---
"""

APP = '''
import importlib.metadata as md
import shutil
import subprocess

import gradio as gr
import lightgbm as lgb  # OSError: libgomp.so.1 without the system layer
import numpy as np
from gradio import LoginButton, OAuthProfile, OAuthToken  # gradio[oauth]

X = np.arange(40, dtype=float).reshape(-1, 1)
PARAMS = {"objective": "regression", "min_data_in_leaf": 2, "verbose": -1}
MODEL = lgb.train(PARAMS, lgb.Dataset(X, X[:, 0] * 2, params={"min_data_in_bin": 1}), 20)


def first_line(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()[0]


def contract():
    import datasets, hf_transfer, hf_xet, huggingface_hub, requests  # pre-installed

    return {
        "ffmpeg": first_line("ffmpeg", "-hide_banner", "-version"),
        "git": first_line("git", "--version"),
        "git-lfs": first_line("git", "lfs", "version"),
        "cmake": bool(shutil.which("cmake")),
        "gcc": bool(shutil.which("gcc")),
        "packages": {
            name: md.version(name)
            for name in ("datasets", "huggingface_hub", "requests", "hf_xet", "hf_transfer",
                         "psutil", "authlib", "itsdangerous", "mcp", "spaces", "lightgbm")
        },
        "oauth_classes": [
            c.__name__ for c in (LoginButton, OAuthProfile, OAuthToken)
        ],
    }


def predict(x):
    """Twice x, learnt by lightgbm."""
    return float(MODEL.predict(np.array([[float(x)]]))[0])


with gr.Blocks() as demo:
    number = gr.Number(value=10)
    out = gr.Number()
    gr.Button("predict").click(predict, number, out, api_name="predict")
    facts = gr.JSON()
    gr.Button("contract").click(contract, None, facts, api_name="contract")

demo.launch(mcp_server=True)
'''


@pytest.fixture(scope="module")
def contract_space(platform: Running, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder: Path = tmp_path_factory.mktemp("contract-space")
    (folder / "README.md").write_text(README)
    (folder / "requirements.txt").write_text("lightgbm\n")
    (folder / "app.py").write_text(APP)
    name = "e2e/relies-on-image"
    proc = platform.cli("push", str(folder), "--name", name, timeout=1800)
    assert proc.returncode == 0 and "live at" in proc.stdout, f"{proc.stdout}\n{proc.stderr}"
    return name


def test_a_space_using_lightgbm_ffmpeg_git_and_the_preinstalled_packages_runs(
    platform: Running, contract_space: str
) -> None:
    client = Client(platform.space_url(contract_space, "path"), verbose=False)
    assert abs(float(client.predict(10, api_name="/predict")) - 20.0) < 4.0
    facts: dict[str, Any] = client.predict(api_name="/contract")
    assert facts["ffmpeg"].startswith("ffmpeg version")
    assert facts["git"].startswith("git version") and facts["git-lfs"].startswith("git-lfs/")
    assert facts["cmake"] and facts["gcc"]
    assert set(facts["packages"]) >= {"datasets", "huggingface_hub", "mcp", "authlib", "psutil"}
    assert facts["oauth_classes"] == ["LoginButton", "OAuthProfile", "OAuthToken"]


def test_the_mcp_server_answers_through_the_router(platform: Running, contract_space: str) -> None:
    # gradio's MCP server (mcp_server=True): its tool list, over the same path as the app.
    base = platform.space_url(contract_space, "path")
    schema = requests.get(f"{base}gradio_api/mcp/schema", timeout=30)
    assert schema.status_code == 200, schema.text[:300]
    assert "predict" in schema.text
