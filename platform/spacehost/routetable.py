"""The route table: what the control plane publishes and the router serves. Pure, no I/O.

The control plane writes it as JSON (atomically) to ``Settings.routes_file``; the router process
re-reads the file when it changes. Keeping the format here, below both, lets each side depend on
it without depending on the other (api and router never import each other).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

# Fields only ever get added, optional, with a default that keeps an older file's meaning
# (``replicas``: absent means the one ``upstream``): such a change keeps the version, so old
# files still load and an older router still serves a newer file's first replica. A change
# of meaning bumps it.
FORMAT_VERSION = 1


@dataclass(frozen=True)
class RouteEntry:
    """How to reach one space.

    ``upstream`` ("127.0.0.1:49153") is set while a container serves it; ``static_dir`` for
    ``sdk: static`` spaces, served by the router itself; neither means the control plane answers
    (status pages). ``replicas`` lists every upstream of a space that runs as several
    processes (a Swarm service with N tasks), ``upstream`` first; empty when there is one.
    """

    space: str
    sdk: str
    stage: str
    upstream: str | None = None
    static_dir: str | None = None
    frame_ancestors: str = "*"
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # "paused" | "stopped" while the space sleeps (stage SLEEPING): a request wakes it
    asleep: str | None = None
    # the space's own startup_duration_timeout (seconds): how long a request waits for a wake
    startup_timeout: float | None = None
    # only visitors who may read it are served (spacehost.spaceaccess; docs/accounts.md)
    private: bool = False
    # every upstream of a space with several replicas, ``upstream`` first (router/affinity.py)
    replicas: tuple[str, ...] = ()
    # the control plane watches that the upstream answers and changes this route when its
    # machine is lost (a Swarm node: lifecycle/node_loss.py): the router holds a request
    # whose connection is refused until the route changes (router/moving.py)
    watched: bool = False

    def __post_init__(self) -> None:
        if self.replicas and self.upstream is None:
            object.__setattr__(self, "upstream", self.replicas[0])

    @property
    def upstreams(self) -> tuple[str, ...]:
        """Every upstream that serves the space: its replicas, else its one upstream."""
        if self.replicas:
            return self.replicas
        return (self.upstream,) if self.upstream else ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "space": self.space,
            "sdk": self.sdk,
            "stage": self.stage,
            "upstream": self.upstream,
            "static_dir": self.static_dir,
            "frame_ancestors": self.frame_ancestors,
            "headers": dict(self.headers),
            "asleep": self.asleep,
            "startup_timeout": self.startup_timeout,
            "private": self.private,
        }
        if len(self.replicas) > 1:  # a one-replica table stays byte-identical to before
            d["replicas"] = list(self.replicas)
        if self.watched:  # as replicas: a table without it is what it was
            d["watched"] = True
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RouteEntry:
        return cls(
            space=str(d["space"]),
            sdk=str(d.get("sdk", "gradio")),
            stage=str(d.get("stage", "")),
            upstream=d.get("upstream") or None,
            static_dir=d.get("static_dir") or None,
            frame_ancestors=str(d.get("frame_ancestors") or "*"),
            headers=MappingProxyType({str(k): str(v) for k, v in (d.get("headers") or {}).items()}),
            asleep=str(d["asleep"]) if d.get("asleep") else None,
            startup_timeout=_seconds(d.get("startup_timeout")),
            private=d.get("private") is True,
            replicas=_replicas(d.get("replicas")),
            watched=d.get("watched") is True,
        )


def _replicas(value: Any) -> tuple[str, ...]:
    """The ``replicas`` list of a table entry: absent (an older file) or not a list is none."""
    if not isinstance(value, list):
        return ()
    return tuple(str(v) for v in value if v)


def _seconds(value: Any) -> float | None:
    """A positive number of seconds, else None (absent, or nonsense in a hand-edited table)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return float(value)


def routes_json(entries: Iterable[RouteEntry]) -> str:
    """Serialise *entries* (sorted by space, so equal tables give equal bytes)."""
    spaces = [e.to_dict() for e in sorted(entries, key=lambda e: e.space)]
    return json.dumps({"version": FORMAT_VERSION, "spaces": spaces}, indent=1, sort_keys=True)


def parse_routes(text: str) -> list[RouteEntry]:
    """Parse a route table; raises ValueError on a table of another format version."""
    data = json.loads(text)
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"route table version {data.get('version')!r} is not {FORMAT_VERSION}")
    return [RouteEntry.from_dict(d) for d in data.get("spaces", [])]
