"""A hub commit's metrics file (web/metricsfile.py) and study trials, read for the pages that
draw their curves. The charts' HTML is cached by the files' content (a blob never changes)."""

from __future__ import annotations

import functools

from spacehost.store import HubStore
from spacehost.store.hub import HubCommit
from spacehost.web.charts import curves_section
from spacehost.web.metricsfile import FILE_NAMES, TRIAL_FILE, Curves, parse_metrics, trials_curves

MAX_METRICS_BYTES = 16 << 20  # a larger file is not drawn (its page stays fast)
METRICS, TRIALS = "metrics", "trials"


def metrics_file(commit: HubCommit) -> str | None:
    """The path of *commit*'s metrics file, or None."""
    paths = {f.path for f in commit.files}
    return next((name for name in FILE_NAMES if name in paths), None)


def curve_sources(hub: HubStore, commit: HubCommit) -> tuple[tuple[str, str], ...]:
    """``(role, blob path)`` of the commit's metrics file and study trials (small enough)."""
    paths = {f.path for f in commit.files}
    wanted = [
        (METRICS, metrics_file(commit)),
        (TRIALS, TRIAL_FILE if TRIAL_FILE in paths else None),
    ]
    out = []
    for role, path in wanted:
        if path is not None:
            f = commit.file(path)
            if f.size <= MAX_METRICS_BYTES:
                out.append((role, str(hub.blob_path(f.sha256))))
    return tuple(out)


def _curves(sources: tuple[tuple[str, str], ...]) -> Curves | None:
    curves: Curves | None = None
    for role, blob in sources:
        with open(blob, "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
        found = parse_metrics(text) if role == METRICS else trials_curves(text)
        if role == METRICS or found.metrics:
            curves = curves or Curves()
            curves.metrics.update(found.metrics)
            curves.skipped += found.skipped
    return curves


def read_curves(hub: HubStore, commit: HubCommit) -> Curves | None:
    """The curves of *commit*'s metrics file, and of its study's trials (``study/trials.json``)
    when it has one; None without either (or when they are too large)."""
    return _curves(curve_sources(hub, commit))


@functools.lru_cache(maxsize=128)
def _section(sources: tuple[tuple[str, str], ...]) -> str:
    curves = _curves(sources)
    return curves_section(curves) if curves is not None else ""


def curves_html(hub: HubStore, commit: HubCommit) -> str:
    """The charts of *commit*'s curves ("" without any); cached by content."""
    sources = curve_sources(hub, commit)
    return _section(sources) if sources else ""
