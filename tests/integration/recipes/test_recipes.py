"""The recipes that ship with spacehost (``recipes/``: fine-tune, hyper-parameter search,
shrink), each run as a job runs it: a fresh Python process with ``HF_ENDPOINT`` at a live
control plane (the built-in MiniLM and movie-reviews imported, as ``spacehost up`` does) and a
user's token. What they pushed is then checked from another fresh process with the unchanged
clients (huggingface_hub, transformers, sentence-transformers). CI-sized: small samples, one
epoch, three trials."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from spacehost.appkeys import ACCOUNTS, HUB
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.server.content import MINILM, MOVIE_REVIEWS, import_builtin
from spacehost.web.metricsfile import parse_metrics
from tests.support.hf_process import run_hf
from tests.support.live_control import LiveControl, live_control

RECIPES = Path(__file__).resolve().parents[3] / "recipes"
pytestmark = pytest.mark.slow  # trains models: minutes on a 2-core machine

BAG_OF_WORDS = 0.717  # docs/benchmarks.md: the sentiment baseline the fine-tune must beat


@dataclass
class Hub:
    live: LiveControl
    token: str
    home: Path

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "HF_ENDPOINT": self.live.url,
            "HF_TOKEN": self.token,
            "HF_HOME": str(self.home),
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            "TOKENIZERS_PARALLELISM": "false",
        }
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
            env.pop(var, None)
        return env

    def recipe(self, script: str, *args: str) -> dict[str, Any]:
        """Run ``recipes/<script>`` as a job would; returns its ``done`` event."""
        proc = subprocess.run(
            [sys.executable, str(RECIPES / script), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-4000:]}"
        events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
        assert events[-1]["event"] == "done", proc.stdout[-3000:]
        print(f"\n{script} {' '.join(args)}: {json.dumps(events[-1])}")  # the figures, in CI's log
        return dict(events[-1])

    def check(self, code: str) -> Any:
        """*code* in another fresh process, reading what the recipe pushed."""
        return run_hf(self.live.url, self.home, code, HF_TOKEN=self.token)

    def metrics_lines(self, repo: str) -> list[dict[str, Any]]:
        """The pushed ``metrics.jsonl`` of *repo*, one dict per line (docs/jobs.md)."""
        text = self.check(METRICS.format(repo=repo))
        assert isinstance(text, str)
        return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    root = tmp_path_factory.mktemp("recipes")
    with live_control(root / "platform") as live:
        imported = import_builtin(live.app[HUB])
        assert [i.outcome for i in imported] == ["imported", "imported"], imported
        accounts: Accounts = live.app[ACCOUNTS]
        accounts.add_user("carol")
        yield Hub(live, accounts.create_token("carol", "jobs", Role.WRITE).value, root / "home")


@pytest.fixture(scope="module")
def finetuned(hub: Hub) -> dict[str, Any]:
    return hub.recipe(
        "finetune.py",
        "--repo-id",
        "carol/reviews-classifier",
        "--max-train",
        "800",
        "--epochs",
        "1",
        "--batch-size",
        "16",
        "--learning-rate",
        "1e-4",
    )


CARD = """
from huggingface_hub import HfApi, ModelCard
repo = {repo!r}
info = HfApi().model_info(repo)
card = ModelCard.load(repo)
metrics = {{m["type"]: m["value"] for r in card.data.to_dict()["model-index"][0]["results"]
           for m in r["metrics"]}}
facts = {{"card": card.data.to_dict(), "text": card.text, "metrics": metrics,
         "files": sorted(s.rfilename for s in info.siblings)}}
"""


METRICS = """
from huggingface_hub import hf_hub_download
print(json.dumps(open(hf_hub_download({repo!r}, "metrics.jsonl")).read()))
"""


def values(lines: list[dict[str, Any]], metric: str, run: str) -> list[float]:
    return [line[metric] for line in lines if line["run"] == run and metric in line]


def test_finetune_beats_bag_of_words_and_pushes_a_model_with_its_card(
    hub: Hub, finetuned: dict[str, Any]
) -> None:
    assert finetuned["test_accuracy"] > BAG_OF_WORDS
    out = hub.check(
        CARD.format(repo="carol/reviews-classifier")
        + """
from transformers import pipeline
classify = pipeline("text-classification", model=repo, device="cpu")
texts = ["An utterly delightful film, I loved every minute.", "I want my two hours back."]
facts["labels"] = [r["label"] for r in classify(texts)]
print(json.dumps(facts))
"""
    )
    assert out["metrics"]["accuracy"] == round(finetuned["test_accuracy"], 4)
    assert out["card"]["base_model"] == MINILM
    assert out["card"]["datasets"] == [MOVIE_REVIEWS]
    assert out["card"]["pipeline_tag"] == "text-classification"
    for fact in ("learning_rate", "training time", "hardware", "CPU only"):
        assert fact in out["text"]
    assert {"README.md", "config.json", "model.safetensors", "tokenizer.json"} <= set(out["files"])
    assert set(out["labels"]) <= {"negative", "positive"}


def test_finetune_pushes_its_curves_logged_with_trackio(
    hub: Hub, finetuned: dict[str, Any]
) -> None:
    lines = hub.metrics_lines("carol/reviews-classifier")
    steps = 800 // 16  # one epoch of the fixture's 800 sentences, batch 16
    assert len(values(lines, "train/loss", "main")) == steps
    assert [line["step"] for line in lines if "train/loss" in line] == list(range(1, steps + 1))
    assert len(values(lines, "learning_rate", "main")) == steps
    assert values(lines, "eval/accuracy", "main") == [finetuned["test_accuracy"]]
    assert len(values(lines, "eval/loss", "main")) == 1
    curves = parse_metrics("\n".join(json.dumps(line) for line in lines))
    assert curves.runs == ["main"] and curves.skipped == 0
    assert len(curves.metrics["train/loss"]["main"]) == steps
    assert curves.metrics["eval/accuracy"]["main"] == [(steps, finetuned["test_accuracy"])]


def test_the_study_pushes_its_trials_and_a_best_model_at_least_as_good_as_the_default(
    hub: Hub,
) -> None:
    done = hub.recipe(
        "hpo.py",
        "--repo-id",
        "carol/reviews-hpo",
        "--trials",
        "3",
        "--max-epochs",
        "1",
        "--max-train",
        "500",
    )
    assert done["best"]["validation_accuracy"] >= done["default"]["validation_accuracy"]
    out = hub.check(
        CARD.format(repo="carol/reviews-hpo")
        + """
from huggingface_hub import hf_hub_download
facts["trials"] = json.load(open(hf_hub_download(repo, "study/trials.json")))
facts["best"] = json.load(open(hf_hub_download(repo, "study/best_params.json")))
facts["csv"] = open(hf_hub_download(repo, "study/trials.csv")).read().splitlines()
print(json.dumps(facts))
"""
    )
    assert [t["number"] for t in out["trials"]] == [0, 1, 2]
    assert out["trials"][0]["learning_rate"] == 5e-5  # trial 0: the fine-tune's defaults
    assert len(out["csv"]) == 4 and "validation_accuracy" in out["csv"][0]
    assert out["best"]["params"] == done["best"]["params"]
    assert out["metrics"]["accuracy"] == round(out["best"]["test_accuracy"], 4)
    assert "[trials.csv](/carol/reviews-hpo/blob/main/study/trials.csv)" in out["text"]
    assert {"model.safetensors", "study/trials.csv", "study/best_params.json"} <= set(out["files"])
    lines = hub.metrics_lines("carol/reviews-hpo")
    curves = parse_metrics("\n".join(json.dumps(line) for line in lines))
    assert curves.runs == ["trial-0", "trial-1", "trial-2"]  # one trackio run per trial
    for trial in out["trials"]:
        run = f"trial-{trial['number']}"
        assert values(lines, "train/loss", run), run
        assert values(lines, "eval/accuracy", run)[-1] == trial["validation_accuracy"]
        assert len(curves.metrics["eval/accuracy"][run]) == 1  # one epoch, one evaluation


CURVES = """
import contextlib, io, json, sys
sys.path.insert(0, {recipes!r})
if {hidden}:
    sys.modules["trackio"] = None  # import trackio fails: the recipe writes the lines itself
from pathlib import Path
said = io.StringIO()
with contextlib.redirect_stdout(said):
    from finetune import Curves
    curves = Curves(project="carol/curves")
    for run in ("trial-0", "trial-1"):
        curves.start(run, config={{"learning_rate": 1e-4}})
        for step in (1, 2, 3):
            curves.log({{"train/loss": 1 / step, "learning_rate": 1e-4 * step}}, step)
        curves.log({{"eval/accuracy": 0.75, "eval/loss": 0.5}}, 3)
        curves.finish()
    written = curves.export(Path({out!r})).read_text()
events = [json.loads(line) for line in said.getvalue().splitlines() if line.startswith("{{")]
print(json.dumps({{"file": written, "curves": [e for e in events if e["event"] == "curves"]}}))
"""


def test_curves_are_the_same_lines_with_trackio_and_without_it(hub: Hub, tmp_path: Path) -> None:
    """With trackio the lines are read back from its SQLite storage (under TRACKIO_DIR);
    without it they are written directly, and the log says so."""
    runs = {}
    for hidden in (False, True):
        out = tmp_path / str(hidden)
        out.mkdir()
        runs[hidden] = hub.check(CURVES.format(recipes=str(RECIPES), hidden=hidden, out=str(out)))
    assert runs[False]["file"] == runs[True]["file"]
    assert [e["tracker"] for e in runs[False]["curves"]] == ["trackio", "trackio"]
    assert runs[True]["curves"] == [
        {
            "event": "curves",
            "tracker": None,
            "note": "trackio is not installed: metrics.jsonl directly",
        }
    ]
    assert list((tmp_path / "False").iterdir()) == [tmp_path / "False" / "metrics.jsonl"]
    lines = [json.loads(line) for line in runs[False]["file"].splitlines()]
    assert lines[0] == {"run": "trial-0", "step": 1, "train/loss": 1.0, "learning_rate": 1e-4}
    assert lines[3] == {"run": "trial-0", "step": 3, "eval/accuracy": 0.75, "eval/loss": 0.5}
    assert len(lines) == 8 and lines[4]["run"] == "trial-1"
    assert list((hub.home / "trackio").glob("*.db")), "trackio kept the runs under HF_HOME"


def test_shrunk_minilm_is_smaller_close_to_the_original_and_loads_unchanged(hub: Hub) -> None:
    done = hub.recipe(
        "shrink.py", "--repo-id", "carol/minilm-int8", "--sentences", "128", "--repeats", "3"
    )
    assert done["size_int8_mb"] < done["size_original_mb"]
    assert done["cosine_similarity"] >= 0.99
    out = hub.check(
        CARD.format(repo="carol/minilm-int8")
        + f"""
from sentence_transformers import SentenceTransformer
texts = ["The acting was superb, but the story was a mess.", "A great film."]
small = SentenceTransformer(repo, device="cpu").encode(texts, normalize_embeddings=True)
base = SentenceTransformer({MINILM!r}, device="cpu").encode(texts, normalize_embeddings=True)
facts["cosine"] = [float((a * b).sum()) for a, b in zip(small, base)]
print(json.dumps(facts))
"""
    )
    assert min(out["cosine"]) >= 0.99
    assert out["card"]["base_model"] == MINILM
    assert out["card"]["base_model_relation"] == "quantized"
    assert out["metrics"]["cosine_similarity"] == round(done["cosine_similarity"], 4)
    assert out["metrics"]["size_ratio"] < 1
    assert "modules.json" in out["files"] and "1_Pooling/config.json" in out["files"]


def test_shrunk_classifier_keeps_its_accuracy_and_loads_with_from_pretrained(
    hub: Hub, finetuned: dict[str, Any]
) -> None:
    done = hub.recipe(
        "shrink.py",
        "--model",
        "carol/reviews-classifier",
        "--repo-id",
        "carol/reviews-classifier-int8",
        "--sentences",
        "300",
        "--repeats",
        "3",
    )
    assert done["classifier"] is True
    assert done["size_int8_mb"] < done["size_original_mb"]
    assert abs(done["accuracy_delta"]) <= 0.02
    out = hub.check(
        CARD.format(repo="carol/reviews-classifier-int8")
        + """
from transformers import pipeline
classify = pipeline("text-classification", model=repo, device="cpu")
facts["label"] = classify("An utterly delightful film, I loved every minute.")[0]["label"]
print(json.dumps(facts))
"""
    )
    assert out["card"]["base_model"] == "carol/reviews-classifier"
    assert out["label"] in ("negative", "positive")
    assert out["metrics"]["accuracy"] == round(done["accuracy_int8"], 4)
