"""Fine-tune a text classifier on a hub dataset and push it to the hub with a model card.

The recipe: start from a sentence-embedding model (all-MiniLM-L6-v2 by default), put a
two-way classification head on it (transformers' ``AutoModelForSequenceClassification``), train
every weight on the dataset's train split with AdamW and a linear warm-up/decay schedule,
measure accuracy on the held-out test split, and push the model, its tokenizer and a model
card (base model, dataset, metrics, hyper-parameters, training time, hardware) as a model repo.

It is an ordinary program: it reads ``HF_ENDPOINT`` and ``HF_TOKEN`` from the environment, like
any huggingface_hub code, so it runs the same as a job on spacehost (``hf jobs run``), on
huggingface.co, or on a laptop. Copy it and change what you need (docs/recipes.md).

    python finetune.py --repo-id alice/minilm-movie-reviews
    python finetune.py --repo-id alice/quick --epochs 1 --max-train 400   # a quick try

The training loop is written out (no ``Trainer``) so that every step is in this file: a copy
needs nothing beyond torch, transformers, datasets and huggingface_hub. The training curves
(loss and learning rate per step, held-out accuracy and loss per epoch) are logged with trackio
(local-first: a SQLite file under ``TRACKIO_DIR``) and exported to ``metrics.jsonl`` in the
pushed folder, where the model's page draws them; without trackio they are written directly.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from datasets import load_dataset
from huggingface_hub import EvalResult, HfApi, ModelCard, ModelCardData
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    get_linear_schedule_with_warmup,
)

try:  # the curves' tracker; optional: without it the curves are written directly
    import trackio
except ImportError:
    trackio = None

BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DATASET = "spacehost/movie-reviews"
MAX_LENGTH = 64  # the dataset's sentences are short; longer ones are cut here


@dataclass(frozen=True)
class Hyper:
    """The hyper-parameters the study (hpo.py) searches over."""

    learning_rate: float = 5e-5
    epochs: int = 2
    batch_size: int = 32
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01


@dataclass(frozen=True)
class Split:
    texts: list[str]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.texts)


@dataclass(frozen=True)
class Reviews:
    train: Split
    test: Split
    label_names: list[str]


def log(event: str, **fields: Any) -> None:
    """One JSON line on stdout per event: readable in the job's log, easy to parse."""
    print(json.dumps({"event": event, **fields}), flush=True)


class Curves:
    """The training curves of one or more runs (a study's trials): logged with trackio as they
    come, then exported from trackio's own storage to ``metrics.jsonl`` (docs/jobs.md,
    "Metrics files": ``{"run": "trial-3", "step": 10, "train/loss": 0.41, ...}`` per line).
    Without trackio the same lines are kept here and written directly."""

    def __init__(self, project: str) -> None:
        self.project = project
        self.runs: list[tuple[str, str | None]] = []  # (name, trackio's run id) of each run
        self.lines: list[dict[str, Any]] = []  # only without trackio
        if trackio is None:
            log("curves", tracker=None, note="trackio is not installed: metrics.jsonl directly")

    def start(self, name: str, config: dict[str, Any]) -> None:
        if trackio is None:
            self.runs.append((name, None))
            return
        run = trackio.init(
            project=self.project, name=name, config=config, auto_log_cpu=False, auto_log_gpu=False
        )
        self.runs.append((name, run.id))
        log("curves", tracker="trackio", project=self.project, run=name, run_id=run.id)

    def log(self, metrics: dict[str, float], step: int) -> None:
        if trackio is None:
            self.lines.append({"run": self.runs[-1][0], "step": step, **metrics})
        else:
            trackio.log(metrics, step=step)

    def finish(self) -> None:
        if trackio is not None:
            trackio.finish()

    def logged(self) -> list[dict[str, Any]]:
        """Every logged line, read back from trackio's storage (run by run, in logged order)."""
        if trackio is None:
            return self.lines
        lines = []
        for name, run_id in self.runs:
            for row in trackio.SQLiteStorage.get_logs(self.project, run=name, run_id=run_id):
                metrics = {k: v for k, v in row.items() if k not in ("step", "timestamp")}
                lines.append({"run": name, "step": row["step"], **metrics})
        return lines

    def export(self, folder: Path) -> Path:
        """``metrics.jsonl`` in *folder* (pushed with the model: its page draws the curves)."""
        path = folder / "metrics.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in self.logged()))
        return path


def load_reviews(dataset: str, max_train: int | None = None, seed: int = 0) -> Reviews:
    """The dataset's train and test splits (``text``, ``label``); *max_train* keeps a random
    sample of the train split (for quick runs)."""
    ds = load_dataset(dataset)
    train, test = ds["train"], ds["test"]
    if max_train is not None and max_train < len(train):
        train = train.shuffle(seed=seed).select(range(max_train))
    names = list(train.features["label"].names)
    return Reviews(
        Split(list(train["text"]), list(train["label"])),
        Split(list(test["text"]), list(test["label"])),
        names,
    )


def hold_out(split: Split, fraction: float, seed: int = 0) -> tuple[Split, Split]:
    """*split* cut in two at random: (the rest, *fraction* of it) — a validation set."""
    order = list(range(len(split)))
    random.Random(seed).shuffle(order)
    cut = int(len(order) * fraction)
    pick = lambda idx: Split([split.texts[i] for i in idx], [split.labels[i] for i in idx])  # noqa: E731
    return pick(order[cut:]), pick(order[:cut])


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def hardware() -> str:
    """What the job ran on, for the model card."""
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} (CUDA), {os.cpu_count()} CPU cores"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"CPU only: {os.cpu_count()} cores, {cpu}; torch {torch.__version__}"


def new_classifier(
    base_model: str, label_names: list[str]
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """*base_model* with a fresh classification head for *label_names*."""
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    model = AutoModelForSequenceClassification.from_pretrained(
        base_model,
        num_labels=len(label_names),
        id2label=dict(enumerate(label_names)),
        label2id={name: i for i, name in enumerate(label_names)},
    )
    return model, tokenizer


def batches(
    split: Split, size: int, generator: torch.Generator | None = None
) -> Iterator[tuple[list[str], torch.Tensor]]:
    """(texts, labels) of *size* examples at a time; shuffled when given a *generator*."""
    order = torch.randperm(len(split), generator=generator).tolist() if generator else None
    order = order or list(range(len(split)))
    for start in range(0, len(order), size):
        idx = [int(i) for i in order[start : start + size]]
        yield [split.texts[i] for i in idx], torch.tensor([split.labels[i] for i in idx])


@torch.no_grad()
def head_inputs(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, data: Split
) -> torch.Tensor:
    """What the classification head sees for each example (its input, caught with a hook)."""
    dev = device()
    model.to(dev).eval()
    seen: list[torch.Tensor] = []
    hook = model.classifier.register_forward_pre_hook(lambda _m, args: seen.append(args[0].cpu()))
    try:
        for texts, _labels in batches(data, 128):
            model(
                **tokenizer(
                    texts, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt"
                ).to(dev)
            )
    finally:
        hook.remove()
    return torch.cat(seen)


def linear_probe(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, data: Split) -> float:
    """Fit the new head alone first (a logistic regression on the frozen body's features), so
    that fine-tuning starts from a sensible classifier instead of a random one ("LP-FT",
    Kumar et al. 2022): fewer steps to a good model, and less damage to the pretrained body.
    Returns the probe's accuracy on *data*; a head that is not one linear layer is left as is."""
    head = getattr(model, "classifier", None)
    if not isinstance(head, torch.nn.Linear):
        return float("nan")
    x = head_inputs(model, tokenizer, data)
    y = torch.tensor(data.labels)
    probe = torch.nn.Linear(x.shape[1], head.out_features)
    optimizer = torch.optim.LBFGS(probe.parameters(), max_iter=200, line_search_fn="strong_wolfe")

    def loss() -> torch.Tensor:
        optimizer.zero_grad()
        value = torch.nn.functional.cross_entropy(probe(x), y) + 1e-3 * probe.weight.square().sum()
        value.backward()
        return value

    optimizer.step(loss)
    with torch.no_grad():
        head.weight.copy_(probe.weight.to(head.weight.device))
        head.bias.copy_(probe.bias.to(head.bias.device))
        return float((probe(x).argmax(-1) == y).float().mean())


def train(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    data: Split,
    hp: Hyper,
    seed: int = 0,
    probe: bool = True,
    curves: Curves | None = None,
    held_out: Split | None = None,
    on_epoch: Callable[[int, float], None] | None = None,
) -> dict[str, float]:
    """Fit the head alone (:func:`linear_probe`), then train every weight of *model* on *data*.
    *curves* gets ``train/loss`` and ``learning_rate`` at every step and, after each epoch, the
    epoch's mean loss and (given *held_out*) ``eval/accuracy`` and ``eval/loss`` on *held_out*.
    Returns the last epoch's figures. *on_epoch(epoch, mean_loss)* is called after each epoch."""
    torch.manual_seed(seed)
    if probe:
        log("probe", train_accuracy=linear_probe(model, tokenizer, data))
    dev = device()
    model.to(dev).train()
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=hp.learning_rate, weight_decay=hp.weight_decay
    )
    total = math.ceil(len(data) / hp.batch_size) * hp.epochs
    schedule = get_linear_schedule_with_warmup(optimizer, int(hp.warmup_ratio * total), total)
    generator = torch.Generator().manual_seed(seed)
    step, figures = 0, {}
    for epoch in range(1, hp.epochs + 1):
        losses = []
        for texts, labels in batches(data, hp.batch_size, generator):
            inputs = tokenizer(
                texts, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt"
            ).to(dev)
            loss = model(**inputs, labels=labels.to(dev)).loss
            loss.backward()
            learning_rate = schedule.get_last_lr()[0]  # the rate this step trains with
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(loss.item())
            step += 1
            if curves is not None:
                curves.log({"train/loss": loss.item(), "learning_rate": learning_rate}, step)
            if step % 20 == 0:
                log("train", step=step, epoch=epoch, loss=round(loss.item(), 4), lr=learning_rate)
        figures = {"train/epoch_loss": sum(losses) / len(losses)}
        if held_out is not None:
            figures["eval/accuracy"], figures["eval/loss"] = evaluate(model, tokenizer, held_out)
            model.train()
        log("epoch", epoch=epoch, step=step, **{k: round(v, 4) for k, v in figures.items()})
        if curves is not None:
            curves.log(figures, step)
        if on_epoch is not None:
            on_epoch(epoch, figures["train/epoch_loss"])
    return figures


@torch.inference_mode()
def evaluate(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, data: Split
) -> tuple[float, float]:
    """(accuracy, mean loss) of *model* on *data*: the share it labels right, and its mean
    cross-entropy."""
    dev = device()
    model.to(dev).eval()
    right, loss = 0, 0.0
    for texts, labels in batches(data, 128):
        inputs = tokenizer(
            texts, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt"
        ).to(dev)
        out = model(**inputs, labels=labels.to(dev))
        right += int((out.logits.argmax(-1).cpu() == labels).sum())
        loss += out.loss.item() * len(texts)
    return right / len(data), loss / len(data)


def accuracy(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, data: Split) -> float:
    """The share of *data* that *model* labels right."""
    return evaluate(model, tokenizer, data)[0]


def card(
    repo_id: str,
    base_model: str,
    dataset: str,
    test_accuracy: float,
    hp: Hyper,
    facts: dict[str, Any],
    extra: str = "",
    tags: tuple[str, ...] = (),
) -> ModelCard:
    """The model card: metrics in the YAML (``model-index``) so pages and tools can read them,
    and in words with the hyper-parameters, training time and hardware."""
    data = ModelCardData(
        language="en",
        license="apache-2.0",
        library_name="transformers",
        pipeline_tag="text-classification",
        base_model=base_model,
        datasets=[dataset],
        tags=["text-classification", "sentiment", "spacehost-recipe", *tags],
        model_name=repo_id,
        eval_results=[
            EvalResult(
                task_type="text-classification",
                task_name="Text classification",
                dataset_type=dataset,
                dataset_name=dataset,
                dataset_split="test",
                metric_type="accuracy",
                metric_name="Held-out accuracy",
                metric_value=round(test_accuracy, 4),
            )
        ],
    )
    shown = {k: f"{v:.3g}" if isinstance(v, float) else v for k, v in asdict(hp).items()}
    rows = "\n".join(f"| {k} | {v} |" for k, v in {**shown, **facts}.items())
    body = f"""
# {repo_id}

A text classifier fine-tuned from [{base_model}](/{base_model}) on
[{dataset}](/datasets/{dataset}) by spacehost's fine-tune recipe (`recipes/finetune.py`).

**Held-out accuracy: {test_accuracy:.1%}** on the dataset's test split.

```python
from transformers import pipeline

classify = pipeline("text-classification", model="{repo_id}")
classify("The plot was not boring at all.")
```

## Training

| | |
|---|---|
{rows}
{extra}"""
    return ModelCard(f"---\n{data.to_yaml()}\n---\n{body}")


def save(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, model_card: ModelCard, folder: Path
) -> Path:
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    model_card.save(folder / "README.md")
    return folder


def push(folder: Path, repo_id: str, message: str) -> str:
    """Create *repo_id* (if needed) and upload *folder* as one commit; returns its URL."""
    api = HfApi()
    api.create_repo(repo_id, exist_ok=True)
    api.upload_folder(repo_id=repo_id, folder_path=folder, commit_message=message)
    return f"{api.endpoint}/{repo_id}"


def default_repo_id(name: str) -> str:
    return f"{HfApi().whoami()['name']}/{name}"


def arguments(argv: list[str] | None) -> argparse.Namespace:
    d = Hyper()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repo-id", help="where to push (default: YOUR_NAME/minilm-movie-reviews)")
    p.add_argument("--base-model", default=BASE_MODEL)
    p.add_argument("--dataset", default=DATASET)
    p.add_argument("--learning-rate", type=float, default=d.learning_rate)
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--warmup-ratio", type=float, default=d.warmup_ratio)
    p.add_argument("--max-train", type=int, help="train on a random sample of this many")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-probe", action="store_true", help="skip fitting the head first")
    p.add_argument("--no-push", action="store_true", help="save to --out only")
    p.add_argument("--out", type=Path, help="also keep the model folder here")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = arguments(argv)
    hp = Hyper(args.learning_rate, args.epochs, args.batch_size, args.warmup_ratio)
    repo_id = args.repo_id or default_repo_id("minilm-movie-reviews")
    log("start", repo_id=repo_id, base_model=args.base_model, dataset=args.dataset, **asdict(hp))
    reviews = load_reviews(args.dataset, args.max_train, args.seed)
    model, tokenizer = new_classifier(args.base_model, reviews.label_names)
    curves = Curves(project=repo_id)
    curves.start("main", config={**asdict(hp), "base_model": args.base_model})
    started, cpu_started = time.monotonic(), time.process_time()
    last = train(
        model,
        tokenizer,
        reviews.train,
        hp,
        args.seed,
        probe=not args.no_probe,
        curves=curves,
        held_out=reviews.test,
    )
    seconds, cpu_seconds = time.monotonic() - started, time.process_time() - cpu_started
    curves.finish()
    test_accuracy = last["eval/accuracy"]  # the last epoch's held-out evaluation
    facts = {
        "train examples": len(reviews.train),
        "test examples": len(reviews.test),
        "seed": args.seed,
        "training time": f"{seconds:.0f} s, with a held-out evaluation after each epoch "
        f"(CPU time of all its threads: {cpu_seconds:.0f} s)",
        "hardware": hardware(),
        "curves": "metrics.jsonl" + (", logged with trackio" if trackio else ""),
    }
    log(
        "evaluated",
        test_accuracy=test_accuracy,
        train_seconds=round(seconds, 1),
        train_cpu_seconds=round(cpu_seconds, 1),
    )
    model_card = card(repo_id, args.base_model, args.dataset, test_accuracy, hp, facts)
    with tempfile.TemporaryDirectory() as tmp:
        folder = save(model, tokenizer, model_card, args.out or Path(tmp))
        curves.export(folder)  # metrics.jsonl: the model's page draws the curves
        url = None
        if not args.no_push:
            url = push(folder, repo_id, f"fine-tune: held-out accuracy {test_accuracy:.1%}")
    result = {
        "repo_id": repo_id,
        "url": url,
        "test_accuracy": test_accuracy,
        "train_seconds": round(seconds, 1),
        "train_cpu_seconds": round(cpu_seconds, 1),
        "hyper": asdict(hp),
    }
    log("done", **result)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
