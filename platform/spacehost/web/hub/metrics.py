"""A hub commit's metrics file (web/metricsfile.py), read for the pages that draw its curves."""

from __future__ import annotations

from spacehost.store import HubStore
from spacehost.store.hub import HubCommit
from spacehost.web.metricsfile import FILE_NAMES, Curves, parse_metrics

MAX_METRICS_BYTES = 16 << 20  # a larger file is not drawn (its page stays fast)


def metrics_file(commit: HubCommit) -> str | None:
    """The path of *commit*'s metrics file, or None."""
    paths = {f.path for f in commit.files}
    return next((name for name in FILE_NAMES if name in paths), None)


def read_curves(hub: HubStore, commit: HubCommit) -> Curves | None:
    """The curves of *commit*'s metrics file; None without one (or when it is too large)."""
    path = metrics_file(commit)
    if path is None:
        return None
    f = commit.file(path)
    if f.size > MAX_METRICS_BYTES:
        return None
    with open(hub.blob_path(f.sha256), "rb") as fh:
        return parse_metrics(fh.read().decode("utf-8", "replace"))
