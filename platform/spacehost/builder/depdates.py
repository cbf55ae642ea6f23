"""When a space's dependency inputs were first built: the push date its packages resolve as of.

A revision's push date is the default cut-off (:mod:`.cutoff`), and the cut-off is part of the
pip steps' text, so a new date would miss Docker's layer cache. A code-only push must not
re-install everything (docs/builds.md, "How layer caching works"), and its packages should not
move either: what they resolve as of is the date its requirements were first pushed. So the
builder keeps, per space, the earliest push date seen for each set of dependency inputs
(``requirements.txt``, ``pre-requirements.txt``, ``packages.txt``, ``sdk_version``, Python), in
``DATA/cache/cutoffs/<space>.json``, and uses it for every later build with the same inputs.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from spacehost.atomicfile import write_atomic
from spacehost.manifest.model import SpaceSource

INPUT_FILES = ("packages.txt", "pre-requirements.txt", "requirements.txt")
_LOCK = threading.Lock()  # builds of one space run one at a time, but spaces share nothing else


def dependency_key(source: SpaceSource, python_version: str) -> str:
    """A hash of what the pip steps install from (the app's code is not in it)."""
    h = hashlib.sha256()
    manifest = source.manifest
    for part in (manifest.sdk_version or "", python_version):
        h.update(part.encode() + b"\0")
    for name in INPUT_FILES:
        h.update(name.encode() + b"\0" + source.files.get(name, b"") + b"\0")
    return h.hexdigest()[:32]


class DependencyDates:
    """The per-space record under *folder*."""

    def __init__(self, folder: Path):
        self._folder = folder

    def first_pushed(self, space_slug: str, key: str, pushed: float) -> float:
        """The earliest push date recorded for *key* (recording *pushed* when it is earlier
        or the first)."""
        path = self._folder / f"{space_slug}.json"
        with _LOCK:
            record = _read(path)
            earliest = min(record.get(key, pushed), pushed)
            if record.get(key) != earliest:
                record[key] = earliest
                self._folder.mkdir(parents=True, exist_ok=True)
                write_atomic(path, json.dumps(record, sort_keys=True).encode())
            return earliest


def _read(path: Path) -> dict[str, float]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float)}
