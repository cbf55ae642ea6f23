"""Semantic search over spacehost/movie-reviews with all-MiniLM-L6-v2 embeddings."""

import gradio as gr
import numpy as np
from datasets import load_dataset
from sentence_transformers import SentenceTransformer

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DATASET = "spacehost/movie-reviews"

model = SentenceTransformer(MODEL, device="cpu")
reviews = load_dataset(DATASET)
label_names = reviews["train"].features["label"].names
rows = [(text, label_names[label], split)
        for split in ("train", "test")
        for text, label in zip(reviews[split]["text"], reviews[split]["label"])]
print(f"embedding {len(rows)} sentences with {MODEL} ...", flush=True)
# normalised, so a dot product is the cosine similarity
corpus = model.encode([text for text, _, _ in rows], batch_size=64, normalize_embeddings=True,
                      convert_to_numpy=True)
print("ready", flush=True)


def search(query: str, k: float = 5) -> list[list]:
    """The k sentences closest in meaning to the query: [rank, score, text, label, split]."""
    if not query.strip():
        return []
    q = model.encode([query], normalize_embeddings=True, convert_to_numpy=True)[0]
    scores = corpus @ q
    top = np.argsort(-scores)[: int(k)]
    return [[i + 1, round(float(scores[j]), 4), *rows[j]] for i, j in enumerate(top)]


def embed(text: str) -> list[float]:
    """The text's embedding, as SentenceTransformer(MODEL).encode(text) gives it."""
    return model.encode(text, convert_to_numpy=True).tolist()


with gr.Blocks(title="Semantic search") as demo:
    gr.Markdown(f"# 🔎 Semantic search\nSentences of `{DATASET}` ({len(rows):,}) closest in "
                f"meaning to yours, by `{MODEL}` embeddings.")
    with gr.Row():
        query = gr.Textbox(label="Query", placeholder="the music was the best part", scale=4)
        k = gr.Slider(1, 20, value=5, step=1, label="Results")
    go = gr.Button("Search", variant="primary")
    results = gr.Dataframe(headers=["rank", "score", "text", "label", "split"],
                           datatype=["number", "number", "str", "str", "str"], wrap=True)
    gr.Examples([["the music was the best part"], ["I fell asleep"], ["great cast, awful story"]],
                inputs=[query])
    go.click(search, [query, k], results, api_name="search")
    query.submit(search, [query, k], results, api_visibility="private")
    gr.api(embed, api_name="embed")

if __name__ == "__main__":
    demo.launch()
