"""The router's view of the route table: the entries, indexed for matching. Pure: no I/O.

The file format itself (:class:`RouteEntry`, :func:`routes_json`, :func:`parse_routes`) lives in
:mod:`spacehost.routetable`, below both the control plane and the router, so that each side can
depend on it without depending on the other. This module re-exports it and adds what only the
router needs: the lookup indexes and the validation of the values it writes into HTTP heads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from spacehost.domain import SpaceId, Stage
from spacehost.errors import InvalidSpaceName, SpacehostError
from spacehost.routetable import FORMAT_VERSION, RouteEntry, parse_routes, routes_json

__all__ = [
    "FORMAT_VERSION",
    "RouteEntry",
    "RouteTable",
    "Upstream",
    "is_live",
    "is_token",
    "parse_routes",
    "parse_table",
    "parse_upstream",
    "routes_json",
    "safe_header_value",
]

_TOKEN_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_SERVING = frozenset(s.value for s in Stage if s.is_serving)


@dataclass(frozen=True, slots=True)
class Upstream:
    """Where a live space answers: a TCP ``host:port`` or a Unix socket path.

    Attributes:
        host: TCP host ("" for a Unix socket).
        port: TCP port (0 for a Unix socket).
        unix_path: the socket path, or "".
        key: a stable name for the connection pool (derived).
    """

    host: str
    port: int
    unix_path: str = ""
    key: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        # A stable name for the connection pool, looked up on every request.
        key = f"unix:{self.unix_path}" if self.unix_path else f"{self.host}:{self.port}"
        object.__setattr__(self, "key", key)


def parse_upstream(text: str) -> Upstream:
    """Parse ``host:port``, ``[v6]:port`` or ``unix:/abs/path``.

    Args:
        text: the ``upstream`` field of a route entry.

    Returns:
        The parsed :class:`Upstream`.

    Raises:
        SpacehostError: when *text* is none of the accepted forms.
    """
    if text.startswith("unix:/"):
        return Upstream("", 0, text[len("unix:") :])
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SpacehostError(
            f"invalid upstream {text!r} in the route table",
            hint="the control plane must write host:port, [v6]:port or unix:/path",
        )
    return Upstream(host, int(port))


def is_token(name: str) -> bool:
    """True when *name* is a valid HTTP header name (an RFC 9110 token)."""
    return bool(_TOKEN_RE.match(name))


def safe_header_value(value: str) -> bool:
    """True when *value* can go into an HTTP head as is: no control characters, no non-latin-1
    characters (a CR or LF would let a space's manifest inject headers or split responses)."""
    return all(c == "\t" or (" " <= c <= "~") or ("\x80" <= c <= "\xff") for c in value)


def is_live(entry: RouteEntry) -> bool:
    """True when the router itself answers for *entry*: it is in a serving stage and has an
    upstream to proxy to or a folder to serve."""
    return entry.stage in _SERVING and bool(entry.upstream or entry.static_dir)


def _check_entry(entry: RouteEntry, index: int) -> None:
    where = f"spaces[{index}] ({entry.space!r})"
    hint = "fix the control plane that wrote the route table"
    try:
        SpaceId.parse(entry.space)
    except InvalidSpaceName as exc:
        raise SpacehostError(f"route table {where}: {exc.message}", hint=hint) from exc
    for upstream in entry.upstreams:
        try:
            parse_upstream(upstream)
        except SpacehostError as exc:
            raise SpacehostError(f"route table {where}: {exc.message}", hint=exc.hint) from exc
    if entry.replicas and entry.replicas[0] != entry.upstream:
        raise SpacehostError(f"route table {where}: replicas[0] is not upstream", hint=hint)
    if entry.static_dir is not None and not entry.static_dir.startswith("/"):
        raise SpacehostError(f"route table {where}: static_dir must be absolute", hint=hint)
    if not safe_header_value(entry.frame_ancestors):
        raise SpacehostError(f"route table {where}: frame_ancestors has control chars", hint=hint)
    for name, value in entry.headers.items():
        if not is_token(name) or not safe_header_value(value):
            raise SpacehostError(f"route table {where}: invalid header {name!r}", hint=hint)


@dataclass(frozen=True)
class RouteTable:
    """The entries, with the indexes the matcher uses.

    ``by_space`` is keyed by ``owner/name`` exactly as stored (case-sensitive, as in paths);
    ``by_subdomain`` by :attr:`SpaceId.subdomain`. When two entries collide the first one wins,
    so the result depends only on the order of the entries (the control plane sorts them).
    """

    entries: tuple[RouteEntry, ...] = ()
    by_space: Mapping[str, RouteEntry] = field(default_factory=lambda: MappingProxyType({}))
    by_subdomain: Mapping[str, RouteEntry] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def build(cls, entries: Iterable[RouteEntry]) -> RouteTable:
        """Index *entries*.

        Args:
            entries: route entries, in the order the control plane wrote them.

        Returns:
            The indexed table.

        Raises:
            SpacehostError: when an entry has a bad space id, upstream, static_dir or a header
                value that is unsafe to send.
        """
        items = tuple(entries)
        by_space: dict[str, RouteEntry] = {}
        by_sub: dict[str, RouteEntry] = {}
        for i, entry in enumerate(items):
            _check_entry(entry, i)
            by_space.setdefault(entry.space, entry)
            by_sub.setdefault(SpaceId.parse(entry.space).subdomain, entry)
        return cls(items, MappingProxyType(by_space), MappingProxyType(by_sub))


def parse_table(text: str) -> RouteTable:
    """Parse and index the JSON text of a route table.

    Args:
        text: the content of ``Settings.routes_file``.

    Returns:
        The indexed table.

    Raises:
        SpacehostError: when the text is not a valid version-1 route table.
    """
    try:
        entries = parse_routes(text)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SpacehostError(
            f"unreadable route table: {exc}",
            hint=f"the control plane must write JSON version {FORMAT_VERSION}",
        ) from exc
    return RouteTable.build(entries)
