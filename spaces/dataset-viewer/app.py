"""Browse spacehost/movie-reviews: split, label filter, search, row count, pages."""

import gradio as gr
from datasets import load_dataset

DATASET = "spacehost/movie-reviews"
PAGE = 50
ALL = "all"

reviews = load_dataset(DATASET)
names = reviews["train"].features["label"].names
frames = {}
for split, ds in reviews.items():
    df = ds.to_pandas()
    df["label"] = [names[i] for i in df["label"]]
    frames[split] = df


def rows(split: str, label: str, search: str, page: float = 1):
    """(summary, rows of the page) for the rows of *split* with *label* containing *search*."""
    df = frames[split]
    if label != ALL:
        df = df[df["label"] == label]
    if search.strip():
        df = df[df["text"].str.contains(search.strip(), case=False, regex=False)]
    pages = max(1, -(-len(df) // PAGE))
    page = min(max(1, int(page)), pages)
    start = (page - 1) * PAGE
    summary = f"**{len(df):,} rows** of {len(frames[split]):,} in `{split}` · page {page} of {pages}"
    return summary, df.iloc[start:start + PAGE].reset_index(names="row")


with gr.Blocks(title="Dataset viewer") as demo:
    gr.Markdown(f"# 🗂️ `{DATASET}`\n" + ", ".join(
        f"{split}: {len(df):,} rows" for split, df in frames.items()))
    with gr.Row():
        split = gr.Radio(list(frames), value="train", label="Split")
        label = gr.Radio([ALL, *names], value=ALL, label="Label")
        search = gr.Textbox(label="Search", placeholder="a word or phrase")
        page = gr.Number(value=1, precision=0, minimum=1, label="Page")
    summary = gr.Markdown()
    table = gr.Dataframe(wrap=True, interactive=False)
    inputs = [split, label, search, page]
    # the public endpoint first: later events of the same function get rows_1, rows_2, ...
    gr.Button("Show", variant="primary").click(rows, inputs, [summary, table], api_name="rows")
    for control in (split, label, page):
        control.change(rows, inputs, [summary, table], api_visibility="private")
    search.submit(rows, inputs, [summary, table], api_visibility="private")
    demo.load(rows, inputs, [summary, table], api_visibility="private")

if __name__ == "__main__":
    demo.launch()
