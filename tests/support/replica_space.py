"""A Gradio space that says which replica answered: its container's hostname (one per Swarm
task) and, per session, how many calls ``gr.State`` has counted; and a CPU-bound function.
Used by tests/e2e/test_swarm_replicas.py and bench/swarm_replicas_bench.py."""

from __future__ import annotations

import textwrap
from pathlib import Path

README = textwrap.dedent(
    """\
    ---
    title: Replicas
    sdk: gradio
    sdk_version: 6.31.0
    app_file: app.py
    spacehost_replicas: {replicas}
    ---
    """
)
APP = textwrap.dedent(
    """\
    import socket
    import time

    import gradio as gr

    HOST = socket.gethostname()


    def step(pause, count):
        time.sleep(pause)
        count = (count or 0) + 1
        return f"{HOST}:{count}", count


    def burn(ms):
        end = time.process_time() + ms / 1000
        while time.process_time() < end:
            pass
        return HOST


    with gr.Blocks() as demo:
        pause = gr.Number(value=0)
        out = gr.Textbox()
        count = gr.State(0)
        gr.Button().click(step, [pause, count], [out, count], api_name="step",
                          concurrency_limit=32)
        ms = gr.Number(value=50)
        who = gr.Textbox()
        gr.Button().click(burn, [ms], [who], api_name="burn")

    demo.launch()
    """
)


def write_replica_space(folder: Path, replicas: int) -> Path:
    """The space's files in *folder* (created), asking for *replicas*."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(README.format(replicas=replicas))
    (folder / "app.py").write_text(APP)
    return folder
