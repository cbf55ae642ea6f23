"""The activity file: what the router tells the control plane about use. Its one format.

Per space, the wall-clock time of its last request and how many streaming or tunnelled
connections (SSE responses, websockets) it holds open::

    {"spaces": {"alice/demo": {"last": 1733500000.5, "open": 1}}}

Each router writes its own file, ``DATA/run/activity/router-PORT.json``
(:mod:`spacehost.router.activity`), so two routers on one data dir (docs/cluster.md, "Two routers
behind a load balancer") never overwrite each other's report; the lifecycle's idle loop
(:mod:`spacehost.lifecycle.sleep`) and the gallery read them all, merged
(:func:`read_activities`). Keeping the format here, below both, lets each side depend on it
without depending on the other.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from spacehost.atomicfile import write_atomic

# A router rewrites its file every second while any connection is open (router/activity.py): the
# open connections of a file not rewritten for this long are its dead router's, not held now.
OPEN_STALE_S = 10.0


@dataclass(frozen=True)
class Activity:
    """What the router saw of one space: the wall-clock time of its last request and the
    number of connections (SSE responses, websockets) it holds open now."""

    last: float
    open: int = 0


def activity_json(spaces: Mapping[str, Activity]) -> str:
    """Serialise *spaces* (keys sorted, so equal reports give equal bytes)."""
    report = {s: {"last": a.last, "open": a.open} for s, a in spaces.items()}
    return json.dumps({"spaces": report}, sort_keys=True)


def parse_activity(text: str) -> dict[str, Activity]:
    """Parse an activity file; entries that make no sense are skipped, and a file that is not
    one (not JSON, no ``spaces`` object) gives none."""
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    spaces = data.get("spaces") if isinstance(data, dict) else None
    if not isinstance(spaces, dict):
        return {}
    out: dict[str, Activity] = {}
    for space, d in spaces.items():
        if not isinstance(d, dict):
            continue
        last, n = d.get("last"), d.get("open", 0)
        if isinstance(last, int | float) and isinstance(n, int):
            out[str(space)] = Activity(float(last), max(0, n))
    return out


def read_activity(path: Path) -> dict[str, Activity]:
    """The activity file's content; none when it is missing or unreadable."""
    try:
        return parse_activity(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return {}


def write_activity(path: Path, spaces: Mapping[str, Activity]) -> None:
    """Replace the activity file with *spaces*, atomically (private to the platform's user).

    Raises:
        OSError: it could not be written.
    """
    write_atomic(path, activity_json(spaces), mode=0o600)


def merge_activity(reports: Iterable[Mapping[str, Activity]]) -> dict[str, Activity]:
    """Several routers' reports as one: per space the latest request and the open connections
    of all."""
    merged: dict[str, Activity] = {}
    for report in reports:
        for space, seen in report.items():
            had = merged.get(space)
            merged[space] = (
                seen if had is None else Activity(max(had.last, seen.last), had.open + seen.open)
            )
    return merged


def read_activities(directory: Path, clock: Callable[[], float] = time.time) -> dict[str, Activity]:
    """Every router's report in *directory* (``*.json``), merged; a file not rewritten for
    :data:`OPEN_STALE_S` keeps its times but holds no open connection (its router is gone)."""
    now = clock()
    reports = []
    for path in sorted(directory.glob("*.json")):
        report = read_activity(path)
        try:
            stale = now - path.stat().st_mtime > OPEN_STALE_S
        except OSError:
            continue
        if stale:
            report = {space: Activity(seen.last) for space, seen in report.items()}
        reports.append(report)
    return merge_activity(reports)
