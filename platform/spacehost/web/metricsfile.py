"""The metrics file a job pushes beside its results (docs/jobs.md, "Metrics files"): JSON
Lines, one object per logged step, ``{"run": "trial-3", "step": 10, "train/loss": 0.41, …}``.
``run`` is optional (one run: ``"main"``); ``step`` is a number (else the line's position in its
run); every other field whose value is a finite number is a metric. Pure: text in, curves out.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

FILE_NAMES = ("metrics.jsonl", "trackio/metrics.jsonl")
DEFAULT_RUN = "main"
MAX_LINES = 200_000  # a page never parses more of a file than this
_RESERVED = ("run", "step", "timestamp", "time")
TRIAL_FILE = "study/trials.json"
TRIAL_METRICS = ("accuracy", "loss", "f1", "seconds")

Point = tuple[float, float]


@dataclass
class Curves:
    """Metric name → run name → points ``(step, value)``, in file order; *skipped*: lines that
    were not a JSON object."""

    metrics: dict[str, dict[str, list[Point]]] = field(default_factory=dict)
    skipped: int = 0

    @property
    def runs(self) -> list[str]:
        """Every run's name, in the order they first appear."""
        seen: dict[str, None] = {}
        for by_run in self.metrics.values():
            seen.update(dict.fromkeys(by_run))
        return list(seen)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def parse_metrics(text: str) -> Curves:
    """The curves of a metrics file's *text* (bad lines are counted in ``skipped``)."""
    curves = Curves()
    positions: dict[str, int] = {}
    for raw in text.splitlines()[:MAX_LINES]:
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except ValueError:
            row = None
        if not isinstance(row, dict):
            curves.skipped += 1
            continue
        run = str(row.get("run") or DEFAULT_RUN)
        positions[run] = positions.get(run, 0) + 1
        step = _number(row.get("step"))
        x = step if step is not None else float(positions[run] - 1)
        for name, value in row.items():
            y = _number(value)
            if name in _RESERVED or y is None:
                continue
            curves.metrics.setdefault(str(name), {}).setdefault(run, []).append((x, y))
    return curves


def trials_curves(text: str) -> Curves:
    """An Optuna study's ``trials.json`` (a list of ``{"number", "state", <metrics>, <params>}``,
    as recipes/hpo.py writes it) as curves over the trial number: one point per finished trial
    for each numeric field that is not a parameter of the search (names ending in
    ``accuracy``, ``loss``, ``f1`` or ``seconds``)."""
    curves = Curves()
    try:
        rows = json.loads(text)
    except ValueError:
        return curves
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or row.get("state", "COMPLETE") != "COMPLETE":
            continue
        step = _number(row.get("number"))
        if step is None:
            continue
        for name, value in row.items():
            y = _number(value)
            if y is not None and name.endswith(TRIAL_METRICS):
                curves.metrics.setdefault(f"trials: {name}", {}).setdefault("study", []).append(
                    (step, y)
                )
    return curves
