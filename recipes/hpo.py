"""Search the fine-tune's hyper-parameters with Optuna and push the best model and the study.

The recipe: hold out part of the train split as a validation set, run an Optuna study (TPE
sampler) over the learning rate, epochs, batch size and warm-up of finetune.py's training, each
trial in this process one after the other, scored by validation accuracy. The first trial is
always finetune.py's defaults, so the study's best is at least the default by construction and
the card can say how much the search gained. Every trial's model is also measured on the test
split (recorded, never used to choose). Pushed to the hub as one model repo: the best model, a
card linking the study, the study itself in ``study/`` (``trials.csv``, ``trials.json``,
``best_params.json``) and every trial's training curves in ``metrics.jsonl`` (one trackio run per
trial, ``trial-N``: loss per step, validation accuracy and loss per epoch), which the repo's page
draws together.

    python hpo.py --repo-id alice/minilm-movie-reviews-hpo --trials 8
    python hpo.py --repo-id alice/quick --trials 3 --max-epochs 1 --max-train 400

It uses finetune.py (next to it) for loading, training and the card: copy the two together.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import optuna
from finetune import (
    BASE_MODEL,
    DATASET,
    Curves,
    Hyper,
    accuracy,
    card,
    default_repo_id,
    hardware,
    hold_out,
    load_reviews,
    log,
    new_classifier,
    push,
    train,
)

BATCH_SIZES = [16, 32, 64]


def suggest(trial: optuna.Trial, max_epochs: int) -> Hyper:
    """The search space."""
    return Hyper(
        learning_rate=trial.suggest_float("learning_rate", 1e-5, 3e-4, log=True),
        epochs=trial.suggest_int("epochs", 1, max_epochs),
        batch_size=trial.suggest_categorical("batch_size", BATCH_SIZES),
        warmup_ratio=trial.suggest_float("warmup_ratio", 0.0, 0.3),
    )


def searched(hp: Hyper) -> dict[str, Any]:
    """*hp*'s values for the searched parameters (what ``enqueue_trial`` takes)."""
    return {k: v for k, v in asdict(hp).items() if k != "weight_decay"}


def trial_rows(study: optuna.Study) -> list[dict[str, Any]]:
    return [
        {
            "number": t.number,
            "state": t.state.name,
            "validation_accuracy": t.value,
            **t.params,
            **t.user_attrs,
        }
        for t in study.trials
    ]


def write_study(rows: list[dict[str, Any]], best: dict[str, Any], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "trials.json").write_text(json.dumps(rows, indent=1))
    (folder / "best_params.json").write_text(json.dumps(best, indent=1))
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with (folder / "trials.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        writer.writerows(rows)


def study_section(
    repo_id: str, rows: list[dict[str, Any]], best: dict[str, Any], wall_seconds: float
) -> str:
    """The card's account of the study: default vs best, and every trial."""
    files = f"/{repo_id}/blob/main/study"  # as the hub's pages address a file
    default = rows[0]
    head = "| trial | validation | test | learning rate | epochs | batch | warm-up | seconds |"
    lines = [
        f"| {r['number']}{' (default)' if r['number'] == 0 else ''}"
        f"{' **best**' if r['number'] == best['trial'] else ''} | {r['validation_accuracy']:.1%} "
        f"| {r['test_accuracy']:.1%} | {r['learning_rate']:.2e} | {r['epochs']} "
        f"| {r['batch_size']} | {r['warmup_ratio']:.2f} | {r['seconds']:.0f} |"
        for r in rows
        if r["state"] == "COMPLETE"
    ]
    return (
        f"""
## Hyper-parameter search

An Optuna study (TPE sampler, {len(rows)} trials, {wall_seconds:.0f} s in all) by spacehost's
search recipe (`recipes/hpo.py`), scored by accuracy on a validation set held out of the train
split; trial 0 is the fine-tune recipe's defaults. The study's files:
[trials.csv]({files}/trials.csv), [trials.json]({files}/trials.json),
[best_params.json]({files}/best_params.json).

| | validation | test |
|---|---|---|
| default (trial 0) | {default["validation_accuracy"]:.1%} | {default["test_accuracy"]:.1%} |
| best (trial {best["trial"]}) | {best["validation_accuracy"]:.1%} | {best["test_accuracy"]:.1%} |

{head}
|---|---|---|---|---|---|---|---|
"""
        + "\n".join(lines)
        + "\n"
    )


def arguments(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repo-id", help="where to push (default: YOUR_NAME/minilm-movie-reviews-hpo)")
    p.add_argument("--base-model", default=BASE_MODEL)
    p.add_argument("--dataset", default=DATASET)
    p.add_argument("--trials", type=int, default=8)
    p.add_argument("--max-epochs", type=int, default=3)
    p.add_argument("--max-train", type=int, help="search on a random sample of the train split")
    p.add_argument("--validation", type=float, default=0.2, help="share of train held out")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-push", action="store_true")
    p.add_argument("--out", type=Path, help="also keep the best model and the study here")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = arguments(argv)
    repo_id = args.repo_id or default_repo_id("minilm-movie-reviews-hpo")
    reviews = load_reviews(args.dataset, args.max_train, args.seed)
    fit, validation = hold_out(reviews.train, args.validation, args.seed)
    default = replace(Hyper(), epochs=min(Hyper().epochs, args.max_epochs))
    log("start", repo_id=repo_id, trials=args.trials, train=len(fit), validation=len(validation))
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        best_so_far = [-1.0]
        curves = Curves(project=repo_id)

        def objective(trial: optuna.Trial) -> float:
            hp = suggest(trial, args.max_epochs)
            model, tokenizer = new_classifier(args.base_model, reviews.label_names)
            curves.start(f"trial-{trial.number}", config=asdict(hp))
            started, cpu_started = time.monotonic(), time.process_time()
            last = train(model, tokenizer, fit, hp, args.seed, curves=curves, held_out=validation)
            trial.set_user_attr("seconds", round(time.monotonic() - started, 1))
            trial.set_user_attr("cpu_seconds", round(time.process_time() - cpu_started, 1))
            curves.finish()
            score = last["eval/accuracy"]  # the last epoch's validation accuracy
            trial.set_user_attr("test_accuracy", accuracy(model, tokenizer, reviews.test))
            log(
                "trial",
                number=trial.number,
                validation_accuracy=score,
                **trial.params,
                **trial.user_attrs,
            )
            if score > best_so_far[0]:
                best_so_far[0] = score
                model.save_pretrained(out)
                tokenizer.save_pretrained(out)
            return score

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.TPESampler(seed=args.seed)
        )
        study.enqueue_trial(searched(default))
        started = time.monotonic()
        study.optimize(objective, n_trials=args.trials)
        wall = time.monotonic() - started
        rows = trial_rows(study)
        best_trial = study.best_trial
        best = {
            "trial": best_trial.number,
            "validation_accuracy": best_trial.value,
            "test_accuracy": best_trial.user_attrs["test_accuracy"],
            "params": best_trial.params,
        }
        write_study(rows, best, out / "study")
        curves.export(out)  # metrics.jsonl: every trial's curves, drawn on the repo's page
        hp = Hyper(**best_trial.params)
        facts = {
            "trials": len(rows),
            "study wall time": f"{wall:.0f} s",
            "train examples": len(fit),
            "validation examples": len(validation),
            "test examples": len(reviews.test),
            "hardware": hardware(),
        }
        model_card = card(
            repo_id,
            args.base_model,
            args.dataset,
            best["test_accuracy"],
            hp,
            facts,
            extra=study_section(repo_id, rows, best, wall),
            tags=("optuna", "hpo"),
        )
        model_card.save(out / "README.md")
        url = None
        if not args.no_push:
            url = push(out, repo_id, f"hyper-parameter search: best of {len(rows)} trials")
    result = {
        "repo_id": repo_id,
        "url": url,
        "wall_seconds": round(wall, 1),
        "best": best,
        "default": {
            "validation_accuracy": rows[0]["validation_accuracy"],
            "test_accuracy": rows[0]["test_accuracy"],
            "params": searched(default),
        },
    }
    log("done", **result)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
