"""Shrink a hub model to int8 and push it as a new repo, with its size, speed and quality measured.

The recipe: download a model from the hub (an encoder such as all-MiniLM-L6-v2, or a text
classifier such as the one finetune.py makes), quantise its linear layers' weights to int8 with
torchao through transformers' ``TorchAoConfig`` (dynamic int8: int8 weights, activations
quantised on the fly; or weight-only int8), save it, load the saved copy back as a user would,
and measure against the original on this machine:

- size: the bytes of the weight files;
- CPU latency per batch (median of several runs, original and int8 taking turns);
- quality: for an encoder, the mean cosine similarity of the two models' sentence embeddings
  (mean pooling, as sentence-transformers does for MiniLM); for a classifier, the accuracy of
  both on the dataset's test split and their difference.

The new repo keeps the original's tokenizer and sentence-transformers files, links its base
(``base_model:`` and ``base_model_relation: quantized`` in the card) and carries the numbers in
the card. It loads unchanged with ``from_pretrained`` / ``SentenceTransformer`` wherever
``torchao`` is installed (the quantisation is recorded in its config.json).

    python shrink.py --model sentence-transformers/all-MiniLM-L6-v2
    python shrink.py --model alice/minilm-movie-reviews --repo-id alice/minilm-movie-reviews-int8

Like the other recipes it reads ``HF_ENDPOINT`` and ``HF_TOKEN`` from the environment.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from datasets import load_dataset
from huggingface_hub import EvalResult, HfApi, ModelCard, ModelCardData, snapshot_download
from torchao.quantization import (
    Int8DynamicActivationInt8WeightConfig,
    Int8WeightOnlyConfig,
)
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    PreTrainedModel,
    TorchAoConfig,
)

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DATASET = "spacehost/movie-reviews"
SCHEMES = {"dynamic": Int8DynamicActivationInt8WeightConfig, "weight-only": Int8WeightOnlyConfig}
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".h5", ".msgpack", ".onnx", ".ckpt")
NOT_COPIED = {"README.md", "config.json", ".gitattributes", "onnx", "openvino"}


def log(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def is_classifier(folder: Path) -> bool:
    architectures = AutoConfig.from_pretrained(folder).architectures or []
    return any(a.endswith("ForSequenceClassification") for a in architectures)


def load(folder: Path, classifier: bool, **kwargs: Any) -> PreTrainedModel:
    auto = AutoModelForSequenceClassification if classifier else AutoModel
    return auto.from_pretrained(folder, **kwargs).eval()


def copy_companions(source: Path, target: Path) -> None:
    """The tokenizer, sentence-transformers modules and other small files of *source*; not its
    weights, card or config (the quantised model writes its own)."""
    for entry in source.iterdir():
        if entry.name in NOT_COPIED or entry.name.endswith(WEIGHT_SUFFIXES):
            continue
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name, dirs_exist_ok=True)
        else:
            shutil.copy2(entry, target / entry.name)


def weight_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("*") if p.name.endswith(WEIGHT_SUFFIXES))


@torch.inference_mode()
def embed(model: PreTrainedModel, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean-pooled, normalised sentence embeddings (sentence-transformers' MiniLM pooling)."""
    hidden = model(**inputs).last_hidden_state
    mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)


@torch.inference_mode()
def predict(model: PreTrainedModel, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    return model(**inputs).logits.argmax(-1)


def latencies(
    models: dict[str, PreTrainedModel], batch: dict[str, torch.Tensor], repeats: int
) -> dict[str, float]:
    """Median seconds per forward pass of *batch* for each model; the models take turns, so a
    busy machine slows them alike."""
    times: dict[str, list[float]] = {name: [] for name in models}
    with torch.inference_mode():
        for model in models.values():
            model(**batch)  # warm-up
        for _ in range(repeats):
            for name, model in models.items():
                started = time.perf_counter()
                model(**batch)
                times[name].append(time.perf_counter() - started)
    return {name: statistics.median(t) for name, t in times.items()}


def quality(
    original: PreTrainedModel,
    small: PreTrainedModel,
    tokenizer: Any,
    texts: list[str],
    labels: list[int],
    classifier: bool,
) -> dict[str, float]:
    """How close *small* stays to *original* on *texts* (see the module docstring)."""
    scores: dict[str, list[float]] = {"a": [], "b": [], "cos": []}
    for start in range(0, len(texts), 64):
        inputs = tokenizer(
            texts[start : start + 64],
            padding=True,
            truncation=True,
            max_length=128,
            return_tensors="pt",
        )
        if classifier:
            gold = torch.tensor(labels[start : start + 64])
            scores["a"] += (predict(original, inputs) == gold).float().tolist()
            scores["b"] += (predict(small, inputs) == gold).float().tolist()
        else:
            scores["cos"] += (embed(original, inputs) * embed(small, inputs)).sum(-1).tolist()
    if classifier:
        before, after = statistics.fmean(scores["a"]), statistics.fmean(scores["b"])
        return {
            "accuracy_original": before,
            "accuracy_int8": after,
            "accuracy_delta": after - before,
        }
    return {"cosine_similarity": statistics.fmean(scores["cos"]), "cosine_min": min(scores["cos"])}


def card(
    repo_id: str,
    base: str,
    scheme: str,
    classifier: bool,
    numbers: dict[str, Any],
    base_card: ModelCard | None,
    dataset: str,
) -> ModelCard:
    """The card: base linked in the YAML, quality and size in ``model-index``, all in a table."""
    base_data = base_card.data.to_dict() if base_card else {}
    task = (
        "text-classification" if classifier else base_data.get("pipeline_tag", "feature-extraction")
    )
    metric = (
        ("accuracy", "Held-out accuracy (int8)", numbers["accuracy_int8"])
        if classifier
        else (
            "cosine_similarity",
            "Cosine similarity to the base model's embeddings",
            numbers["cosine_similarity"],
        )
    )
    results = [
        EvalResult(
            task_type=task,
            dataset_type=dataset,
            dataset_name=dataset,
            dataset_split="test",
            metric_type=kind,
            metric_name=name,
            metric_value=round(value, 4),
        )
        for kind, name, value in [
            metric,
            ("size_ratio", "Weight files, int8 / original", numbers["size_ratio"]),
            ("latency_ratio", "CPU latency per batch, int8 / original", numbers["latency_ratio"]),
        ]
    ]
    library = (
        "sentence-transformers"
        if "sentence-transformers" in base_data.get("tags", [])
        or base_data.get("library_name") == "sentence-transformers"
        else "transformers"
    )
    data = ModelCardData(
        license=base_data.get("license", "apache-2.0"),
        library_name=library,
        pipeline_tag=task,
        base_model=base,
        tags=[*base_data.get("tags", []), "int8", "torchao", "quantized", "spacehost-recipe"],
        datasets=base_data.get("datasets"),
        language=base_data.get("language"),
        model_name=repo_id,
        eval_results=results,
    )
    rows = "\n".join(f"| {k} | {v} |" for k, v in numbers.items())
    auto = "AutoModelForSequenceClassification" if classifier else "AutoModel"
    load_line = (
        f'SentenceTransformer("{repo_id}")'
        if library == "sentence-transformers"
        else f'{auto}.from_pretrained("{repo_id}")'
    )
    body = f"""
# {repo_id}

[{base}](/{base}) with its linear layers quantised to int8 ({scheme}, torchao through
transformers' `TorchAoConfig`) by spacehost's shrink recipe (`recipes/shrink.py`). Needs
`torchao` installed; then it loads as the original does:

```python
{load_line}
```

## Measured by the job, against the base model

| | |
|---|---|
{rows}
"""
    return ModelCard(f"---\n{data.to_yaml()}\nbase_model_relation: quantized\n---\n{body}")


def arguments(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=MODEL, help="the hub model to shrink")
    p.add_argument("--repo-id", help="where to push (default: YOUR_NAME/<model name>-int8)")
    p.add_argument("--scheme", choices=sorted(SCHEMES), default="dynamic")
    p.add_argument("--dataset", default=DATASET, help="its test split's text is measured on")
    p.add_argument("--sentences", type=int, default=600, help="how many test sentences")
    p.add_argument("--batch-size", type=int, default=32, help="the batch timed")
    p.add_argument("--repeats", type=int, default=20, help="timed runs of each model")
    p.add_argument("--no-push", action="store_true")
    p.add_argument("--out", type=Path, help="also keep the int8 folder here")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = arguments(argv)
    repo_id = args.repo_id or f"{HfApi().whoami()['name']}/{args.model.split('/')[-1]}-int8"
    log("start", model=args.model, repo_id=repo_id, scheme=args.scheme)
    source = Path(snapshot_download(args.model))
    classifier = is_classifier(source)
    test = load_dataset(args.dataset, split="test")
    texts, labels = list(test["text"][: args.sentences]), list(test["label"][: args.sentences])
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        quant = TorchAoConfig(SCHEMES[args.scheme]())
        load(source, classifier, quantization_config=quant, dtype=torch.float32).save_pretrained(
            out
        )
        copy_companions(source, out)
        original, small = load(source, classifier), load(out, classifier)  # as a user loads it
        tokenizer = AutoTokenizer.from_pretrained(out)
        batch = tokenizer(
            texts[: args.batch_size],
            padding=True,
            truncation=True,
            max_length=128,
            return_tensors="pt",
        )
        seconds = latencies({"original": original, "int8": small}, dict(batch), args.repeats)
        numbers: dict[str, Any] = {
            **quality(original, small, tokenizer, texts, labels, classifier),
            "size_original_mb": round(weight_bytes(source) / 1e6, 1),
            "size_int8_mb": round(weight_bytes(out) / 1e6, 1),
            "latency_original_ms": round(seconds["original"] * 1e3, 1),
            "latency_int8_ms": round(seconds["int8"] * 1e3, 1),
            "batch": f"{len(batch['input_ids'])} sentences of {args.dataset} (test)",
            "threads": torch.get_num_threads(),
            "cpu cores": os.cpu_count(),
        }
        numbers["size_ratio"] = round(numbers["size_int8_mb"] / numbers["size_original_mb"], 3)
        numbers["latency_ratio"] = round(seconds["int8"] / seconds["original"], 3)
        log("measured", **numbers)
        base_card = (
            ModelCard.load(source / "README.md") if (source / "README.md").is_file() else None
        )
        card(repo_id, args.model, args.scheme, classifier, numbers, base_card, args.dataset).save(
            out / "README.md"
        )
        url = None
        if not args.no_push:
            api = HfApi()
            api.create_repo(repo_id, exist_ok=True)
            api.upload_folder(
                repo_id=repo_id,
                folder_path=out,
                commit_message=f"int8 ({args.scheme}) of {args.model}",
            )
            url = f"{api.endpoint}/{repo_id}"
    result = {"repo_id": repo_id, "url": url, "classifier": classifier, **numbers}
    log("done", **result)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
