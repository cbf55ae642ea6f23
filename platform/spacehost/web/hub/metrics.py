"""A hub commit's metrics file (web/metricsfile.py), read for the pages that draw its curves."""

from __future__ import annotations

from spacehost.store import HubStore
from spacehost.store.hub import HubCommit
from spacehost.web.metricsfile import FILE_NAMES, TRIAL_FILE, Curves, parse_metrics, trials_curves

MAX_METRICS_BYTES = 16 << 20  # a larger file is not drawn (its page stays fast)


def metrics_file(commit: HubCommit) -> str | None:
    """The path of *commit*'s metrics file, or None."""
    paths = {f.path for f in commit.files}
    return next((name for name in FILE_NAMES if name in paths), None)


def _read(hub: HubStore, commit: HubCommit, path: str) -> str | None:
    f = commit.file(path)
    if f.size > MAX_METRICS_BYTES:
        return None
    with open(hub.blob_path(f.sha256), "rb") as fh:
        return fh.read().decode("utf-8", "replace")


def read_curves(hub: HubStore, commit: HubCommit) -> Curves | None:
    """The curves of *commit*'s metrics file, and of its study's trials (``study/trials.json``)
    when it has one; None without either (or when they are too large)."""
    path = metrics_file(commit)
    text = _read(hub, commit, path) if path is not None else None
    curves = parse_metrics(text) if text is not None else None
    if TRIAL_FILE in {f.path for f in commit.files}:
        trials = _read(hub, commit, TRIAL_FILE)
        if trials is not None:
            found = trials_curves(trials)
            if found.metrics:
                curves = curves or Curves()
                curves.metrics.update(found.metrics)
    return curves
