"""A sentiment classifier: all-MiniLM-L6-v2 embeddings + logistic regression, trained at start
on spacehost/movie-reviews, evaluated on its held-out test split."""

import time

import gradio as gr
from datasets import load_dataset
from sentence_transformers import SentenceTransformer
from sklearn.linear_model import LogisticRegression

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DATASET = "spacehost/movie-reviews"

started = time.monotonic()
encoder = SentenceTransformer(MODEL, device="cpu")
reviews = load_dataset(DATASET)
names = reviews["train"].features["label"].names


def embed(texts):
    return encoder.encode(list(texts), batch_size=64, normalize_embeddings=True,
                          convert_to_numpy=True)


train, test = reviews["train"], reviews["test"]
classifier = LogisticRegression(C=10.0, max_iter=2000)
classifier.fit(embed(train["text"]), list(train["label"]))
ACCURACY = float(classifier.score(embed(test["text"]), list(test["label"])))
print(f"trained on {len(train)} sentences in {time.monotonic() - started:.0f} s; "
      f"held-out accuracy {ACCURACY:.1%} on {len(test)}", flush=True)


def predict(text: str) -> dict[str, float]:
    """{label: probability} for the text."""
    if not text.strip():
        return {}
    probs = classifier.predict_proba(embed([text]))[0]
    return {names[int(c)]: float(p) for c, p in zip(classifier.classes_, probs)}


def accuracy() -> float:
    """The classifier's accuracy on the held-out test split."""
    return ACCURACY


with gr.Blocks(title="Sentiment") as demo:
    gr.Markdown(
        f"# 🎭 Sentiment\nLogistic regression on `{MODEL}` embeddings, trained on the "
        f"{len(train):,} sentences of `{DATASET}`'s train split.\n\n"
        f"**Held-out accuracy: {ACCURACY:.1%}** on the {len(test):,} sentences of its test "
        "split (a small synthetic dataset: see its card).")
    text = gr.Textbox(label="A sentence about a film", placeholder="The acting was superb.")
    label = gr.Label(label="Sentiment", num_top_classes=2)
    gr.Button("Classify", variant="primary").click(predict, text, label, api_name="predict")
    text.submit(predict, text, label, api_visibility="private")
    gr.Examples([["An utterly delightful film, I loved every minute."],
                 ["The plot was not boring at all."],
                 ["Great cast, but the story was a mess."]], inputs=[text])
    gr.api(accuracy, api_name="accuracy")

if __name__ == "__main__":
    demo.launch()
