"""A tiny hub model and a Gradio space that reads it offline and says which container answered
(its hostname: one per Swarm task). Used by tests/e2e/test_swarm_hub_spaces.py (replicas) and
tests/e2e/test_swarm_failures.py (a hub space moved off a lost node)."""

from __future__ import annotations

import textwrap
from pathlib import Path

CONFIG = '{"model_type": "tiny-hub-space"}'
README = textwrap.dedent(
    """\
    ---
    title: Hub space
    sdk: gradio
    sdk_version: 6.31.0
    app_file: app.py
    spacehost_replicas: {replicas}
    models:
    - {model}
    ---
    """
)
APP = textwrap.dedent(
    """\
    import os, socket
    import gradio as gr
    from huggingface_hub import hf_hub_download

    def describe(_: str) -> str:
        config = open(hf_hub_download({model!r}, "config.json"), encoding="utf-8").read()
        return socket.gethostname() + " " + config.strip() + " " + os.environ["HF_HUB_OFFLINE"]

    demo = gr.Interface(fn=describe, inputs="text", outputs="text", api_name="describe")
    demo.launch()
    """
)
# what describe() answers after the hostname: the model's file, read offline
ANSWER = f"{CONFIG} 1"


def write_model(folder: Path) -> Path:
    """The model's files in *folder* (created)."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(CONFIG + "\n")
    return folder


def write_hub_space(folder: Path, model: str, replicas: int = 1) -> Path:
    """The space's files in *folder* (created), reading *model*, asking for *replicas*."""
    folder.mkdir(parents=True)
    (folder / "README.md").write_text(README.format(model=model, replicas=replicas))
    (folder / "app.py").write_text(APP.format(model=model))
    return folder
