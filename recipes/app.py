"""The recipes' page: what each one does and its code, to read and copy (the recipes themselves
run as jobs in this space's image, not here)."""

from pathlib import Path

import gradio as gr

HERE = Path(__file__).parent
RECIPES = ["finetune.py", "hpo.py", "shrink.py"]

with gr.Blocks(title="Recipes") as demo:
    gr.Markdown((HERE / "README.md").read_text().split("---", 2)[2])
    for name in RECIPES:
        with gr.Tab(name):
            gr.Code((HERE / name).read_text(), language="python", label=name)

demo.launch()
