"""The "Use this model / dataset" snippets of a repo page. Pure.

Each snippet is the code that works on Hugging Face, with ``HF_ENDPOINT`` pointing at this
platform (set before huggingface_hub is imported: it reads the variable once, at import). Which
snippets a repo gets depends on its files: sentence-transformers for a repo with
``modules.json`` / ``config_sentence_transformers.json``, transformers for one with
``config.json``, datasets ``load_dataset`` for datasets, and huggingface_hub and the ``hf`` CLI
for every repo.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Collection
from dataclasses import dataclass

from spacehost.domain import RepoKind

SENTENCE_TRANSFORMERS_FILES = frozenset({"modules.json", "config_sentence_transformers.json"})
TOKENIZER_FILES = frozenset(
    {
        "tokenizer.json",
        "tokenizer_config.json",
        "vocab.txt",
        "spiece.model",
        "sentencepiece.bpe.model",
        "merges.txt",
    }
)


@dataclass(frozen=True)
class Snippet:
    """One copy-paste snippet: an id for the page, a title, the language and the code."""

    ident: str
    title: str
    language: str
    code: str


def _q(text: str) -> str:
    """A Python string literal (JSON's double-quoted form is one)."""
    return json.dumps(text)


def _env(endpoint: str) -> str:
    return (
        f'import os\n\nos.environ["HF_ENDPOINT"] = {_q(endpoint)}'
        "  # this platform; set it before the imports below\n\n"
    )


def sentence_transformers_snippet(repo_id: str, endpoint: str) -> str:
    """Load the model with sentence-transformers and embed two sentences."""
    return (
        _env(endpoint) + "from sentence_transformers import SentenceTransformer\n\n"
        f"model = SentenceTransformer({_q(repo_id)})\n"
        'embeddings = model.encode(["A great film.", "I loved this movie."])\n'
        "print(embeddings.shape)\n"
        "print(model.similarity(embeddings[0:1], embeddings[1:2]))"
    )


# pipeline tasks of transformers that take text (the snippet calls them with a sentence)
TEXT_TASKS = frozenset(
    {
        "text-classification",
        "sentiment-analysis",
        "token-classification",
        "ner",
        "summarization",
        "translation",
        "text-generation",
        "text2text-generation",
        "feature-extraction",
    }
)
# other transformers pipeline tasks (HF's pipeline_tag values that are not, such as
# sentence-similarity, get no pipeline snippet)
OTHER_TASKS = frozenset(
    {
        "fill-mask",
        "question-answering",
        "zero-shot-classification",
        "table-question-answering",
        "image-classification",
        "image-feature-extraction",
        "image-segmentation",
        "image-to-text",
        "image-text-to-text",
        "object-detection",
        "zero-shot-object-detection",
        "zero-shot-image-classification",
        "depth-estimation",
        "automatic-speech-recognition",
        "audio-classification",
        "text-to-audio",
        "document-question-answering",
        "visual-question-answering",
        "video-classification",
        "mask-generation",
    }
)


def pipeline_snippet(repo_id: str, task: str, endpoint: str) -> str:
    """A transformers ``pipeline`` for the card's ``pipeline_tag``."""
    if task in TEXT_TASKS:
        call = 'print(pipe("Hello from spacehost!"))'
    elif task == "fill-mask":
        call = 'print(pipe(f"Paris is the {pipe.tokenizer.mask_token} of France."))'
    else:
        call = "# result = pipe(...)  # the task's input: see the model card"
    return (
        _env(endpoint) + "from transformers import pipeline\n\n"
        f"pipe = pipeline({_q(task)}, model={_q(repo_id)})\n{call}"
    )


def auto_snippet(repo_id: str, endpoint: str, *, tokenizer: bool) -> str:
    """``AutoModel`` (and ``AutoTokenizer`` when the repo has tokenizer files)."""
    names = "AutoModel, AutoTokenizer" if tokenizer else "AutoModel"
    body = f"model = AutoModel.from_pretrained({_q(repo_id)})\n"
    if tokenizer:
        body = (
            f"tokenizer = AutoTokenizer.from_pretrained({_q(repo_id)})\n{body}"
            'inputs = tokenizer("Hello from spacehost!", return_tensors="pt")\n'
            "outputs = model(**inputs)\n"
            "print(outputs.last_hidden_state.shape)"
        )
    else:
        body += "print(model.config)"
    return _env(endpoint) + f"from transformers import {names}\n\n{body}"


def load_dataset_snippet(repo_id: str, endpoint: str) -> str:
    """datasets ``load_dataset`` of the repo."""
    return (
        _env(endpoint) + "from datasets import load_dataset\n\n"
        f"ds = load_dataset({_q(repo_id)})\n"
        "print(ds)"
    )


def snapshot_snippet(kind: RepoKind, repo_id: str, endpoint: str) -> str:
    """huggingface_hub ``snapshot_download``: every file, into the local HF cache."""
    repo_type = ', repo_type="dataset"' if kind is RepoKind.DATASET else ""
    return (
        _env(endpoint) + "from huggingface_hub import snapshot_download\n\n"
        f"path = snapshot_download({_q(repo_id)}{repo_type})\n"
        "print(path)"
    )


def cli_snippet(kind: RepoKind, repo_id: str, endpoint: str) -> str:
    """The ``hf`` command line (huggingface_hub's), pointed at this platform."""
    repo_type = " --repo-type dataset" if kind is RepoKind.DATASET else ""
    # quoted as shell words (a no-op for the names the hub accepts; defence in depth)
    return f"HF_ENDPOINT={shlex.quote(endpoint)} hf download {shlex.quote(repo_id)}{repo_type}"


def use_snippets(
    kind: RepoKind, repo_id: str, paths: Collection[str], endpoint: str, *, pipeline_tag: str = ""
) -> list[Snippet]:
    """The snippets for a repo whose head commit holds *paths*, most specific first."""
    out: list[Snippet] = []
    names = set(paths)
    if kind is RepoKind.DATASET:
        out.append(
            Snippet("use-datasets", "datasets", "python", load_dataset_snippet(repo_id, endpoint))
        )
    else:
        if names & SENTENCE_TRANSFORMERS_FILES:
            out.append(
                Snippet(
                    "use-sentence-transformers",
                    "sentence-transformers",
                    "python",
                    sentence_transformers_snippet(repo_id, endpoint),
                )
            )
        if "config.json" in names:
            if pipeline_tag in TEXT_TASKS | OTHER_TASKS:
                out.append(
                    Snippet(
                        "use-pipeline",
                        "transformers: pipeline",
                        "python",
                        pipeline_snippet(repo_id, pipeline_tag, endpoint),
                    )
                )
            out.append(
                Snippet(
                    "use-transformers",
                    "transformers",
                    "python",
                    auto_snippet(repo_id, endpoint, tokenizer=bool(names & TOKENIZER_FILES)),
                )
            )
    out.append(
        Snippet("use-hub", "huggingface_hub", "python", snapshot_snippet(kind, repo_id, endpoint))
    )
    out.append(Snippet("use-cli", "hf CLI", "shell", cli_snippet(kind, repo_id, endpoint)))
    return out
