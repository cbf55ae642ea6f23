"""A model card's results as a table: the ``model-index`` of its front matter (HF's format, as
``huggingface_hub.ModelCard``/``EvalResult`` writes it), and where the model came from
(``base_model``, ``datasets``) as links. Pure."""

from __future__ import annotations

import html
from collections.abc import Mapping

from spacehost.web.hub.card import Card

e = html.escape


def _text(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value)


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return _text(value)


def results(card: Card) -> list[tuple[str, str, str, str, str]]:
    """``(model, task, dataset [split], metric, value)`` for each metric of the model-index."""
    rows: list[tuple[str, str, str, str, str]] = []
    index = card.data.get("model-index")
    for model in index if isinstance(index, list) else []:
        if not isinstance(model, Mapping):
            continue
        for result in model.get("results") or []:
            if not isinstance(result, Mapping):
                continue
            task, data = result.get("task") or {}, result.get("dataset") or {}
            task = task if isinstance(task, Mapping) else {}
            data = data if isinstance(data, Mapping) else {}
            split = _text(data.get("split"))
            where = _text(data.get("name") or data.get("type")) + (f" [{split}]" if split else "")
            for metric in result.get("metrics") or []:
                if isinstance(metric, Mapping):
                    rows.append(
                        (
                            _text(model.get("name")),
                            _text(task.get("name") or task.get("type")),
                            where,
                            _text(metric.get("name") or metric.get("type")),
                            _value(metric.get("value")),
                        )
                    )
    return rows


def results_table(card: Card) -> str:
    """The card's metrics as a table, or "" without a model-index."""
    rows = results(card)
    if not rows:
        return ""
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return (
        "<section id=results><h2>Evaluation results</h2><table><tr><th>Model</th><th>Task</th>"
        f"<th>Dataset</th><th>Metric</th><th>Value</th></tr>{body}</table></section>"
    )


def _links(card: Card, key: str, prefix: str) -> list[str]:
    return [f"<a href='{prefix}{e(r, quote=True)}'>{e(r)}</a>" for r in card.words(key) if "/" in r]


def lineage(card: Card) -> str:
    """*Fine-tuned from* the base model(s), *trained on* the datasets, as links ("" without)."""
    parts = []
    base = _links(card, "base_model", "/")
    if base:
        parts.append("From " + ", ".join(base))
    data = _links(card, "datasets", "/datasets/")
    if data:
        parts.append("trained on " + ", ".join(data))
    return f"<p id=lineage class=note>{' · '.join(parts)}</p>" if parts else ""
