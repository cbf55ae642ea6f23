"""Publishing the route table the router serves, from the store's view of every space."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from spacehost.atomicfile import write_atomic
from spacehost.domain import Sdk, Stage
from spacehost.routetable import RouteEntry, routes_json
from spacehost.runtime.base import ContainerInfo
from spacehost.store import RevisionFiles, SpaceRecord


def route_upstreams(infos: Iterable[ContainerInfo]) -> tuple[str, ...]:
    """Where the router reaches each replica of a space: ``host:port`` of every one that is
    reachable (running or paused), in the order given, without repeats.

    A backend that runs a space as several processes (a Swarm service with N tasks) reports
    one info per task; ``route_entry(..., replicas=route_upstreams(infos))`` publishes them all.
    """
    found: dict[str, None] = {}
    for info in infos:
        if info.host and info.port:
            found.setdefault(f"{info.host}:{info.port}", None)
    return tuple(found)


def route_entry(
    rec: SpaceRecord,
    files: RevisionFiles,
    served: Mapping[str, Any] | None = None,
    *,
    private: bool = False,
    replicas: Sequence[str] = (),
    watched: bool = False,
) -> RouteEntry:
    """How the router should reach *rec* now (pure but for the revision folder path).

    Args:
        rec: the space.
        files: the stored revisions (a static space is served from its revision's folder).
        served: the manifest summary of the revision that answers visitors, when it is not
            ``rec.manifest`` (a newer revision is deploying, or failed to): the sdk, headers
            and embedding rules follow what answers.
        private: only visitors who may read the space are served (spacehost.spaceaccess).
        replicas: every upstream of a space that runs as several processes
            (:func:`route_upstreams`); when the space is served by a container, the first is
            its upstream (also when only one runs) and the router spreads sessions over all
            (docs/cluster.md).
        watched: the control plane changes the route when the space's machine is lost
            (node_loss.py): the router holds a refused request until it does.
    """
    m = rec.manifest if served is None else served
    sdk = str(m.get("sdk", "gradio"))
    asleep = (rec.sleep_level or None) if rec.stage is Stage.SLEEPING else None
    # a paused space keeps its upstream: the router forwards to it once it is thawed
    upstream = rec.upstream if rec.stage.is_serving or asleep == "paused" else None
    static_dir = None
    # a static revision keeps serving while its successor builds and starts, and after that
    # successor failed (RUNNING with an error), exactly as a container does
    if sdk == Sdk.STATIC.value and rec.stage.is_serving and rec.serving_revision:
        static_dir = str(files.path(rec.serving_revision))
        upstream = None
    several = tuple(replicas) if upstream is not None and len(replicas) > 1 else ()
    if upstream is not None and replicas:  # the replicas that run now; the first one that
        upstream = replicas[0]  # started may be the one that died
    return RouteEntry(
        space=str(rec.id),
        sdk=sdk,
        stage=rec.stage.value,
        upstream=upstream,
        static_dir=static_dir,
        frame_ancestors="'none'" if m.get("disable_embedding") else "*",
        headers=dict(m.get("custom_headers") or {}),
        asleep=asleep,
        startup_timeout=m.get("startup_duration_timeout_s") or None,
        private=private,
        replicas=several,
        watched=watched and upstream is not None and not several,
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
            write_atomic(self.path, text, mode=0o600)
            self._last = text
            return True
