"""Publishing the route table the router serves, from the store's view of every space."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from spacehost.domain import Sdk, Stage
from spacehost.routetable import RouteEntry, routes_json
from spacehost.store import RevisionFiles, SpaceRecord


def route_entry(rec: SpaceRecord, files: RevisionFiles) -> RouteEntry:
    """How the router should reach *rec* now (pure but for the revision folder path)."""
    m = rec.manifest
    sdk = str(m.get("sdk", "gradio"))
    asleep = (rec.sleep_level or None) if rec.stage is Stage.SLEEPING else None
    # a paused space keeps its upstream: the router forwards to it once it is thawed
    upstream = rec.upstream if rec.stage.is_serving or asleep == "paused" else None
    static_dir = None
    if sdk == Sdk.STATIC.value and rec.stage is Stage.RUNNING and rec.serving_revision:
        static_dir = str(files.path(rec.serving_revision))
        upstream = None
    return RouteEntry(
        space=str(rec.id),
        sdk=sdk,
        stage=rec.stage.value,
        upstream=upstream,
        static_dir=static_dir,
        frame_ancestors="'none'" if m.get("disable_embedding") else "*",
        headers=dict(m.get("custom_headers") or {}),
        asleep=asleep,
    )


class RoutePublisher:
    """Writes the route table atomically (temp file + rename) whenever it changes."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._last = ""

    def publish(self, entries: list[RouteEntry]) -> bool:
        """Write *entries*; returns False when the table was unchanged (nothing written)."""
        text = routes_json(entries)
        with self._lock:
            if text == self._last and self.path.exists():
                return False
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".routes-", dir=self.path.parent)
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
            os.replace(tmp, self.path)
            self._last = text
            return True
