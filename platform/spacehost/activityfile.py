"""The activity file: what the router tells the control plane about use. Its one format.

Per space, the wall-clock time of its last request and how many streaming or tunnelled
connections (SSE responses, websockets) it holds open::

    {"spaces": {"alice/demo": {"last": 1733500000.5, "open": 1}}}

The router writes it (:mod:`spacehost.router.activity`), the lifecycle's idle loop
(:mod:`spacehost.lifecycle.sleep`) and the gallery read it. Keeping the format here, below both,
lets each side depend on it without depending on the other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from spacehost.atomicfile import write_atomic


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
