"""Which space (if any) a request is for. Pure: strings in, a :class:`Match` out.

Two URL styles address a space, as on Hugging Face:

- host ``{subdomain}.{domain}[:port]`` (``SpaceId.subdomain``: ``owner-name``, lower case), the
  path going to the space unchanged;
- path ``/spaces/{owner}/{name}/...`` on any host, the prefix stripped. ``/spaces/{owner}/{name}``
  itself (no trailing slash) is the space's page on the control plane, not the app.

Everything else, and every space without a live upstream, goes to the control plane.
"""

from __future__ import annotations

from typing import NamedTuple

from spacehost.domain import check_name_part
from spacehost.errors import InvalidSpaceName
from spacehost.hosts import page_host_label, subdomain_label
from spacehost.router.table import RouteEntry, RouteTable, is_live

SPACES_PREFIX = "/spaces/"
# git's smart HTTP and the git-lfs API under a space's path (docs/git.md): the control plane's
_GIT_PATHS = ("git-upload-pack", "git-receive-pack")
_GIT_SERVICES = ("service=git-upload-pack", "service=git-receive-pack")


class Match(NamedTuple):
    """Where a request goes.

    Attributes:
        entry: the live space that answers, or None for the control plane.
        target: the request-target to send on (path and query; the prefix stripped for path
            routes).
        prefix: ``/spaces/{owner}/{name}`` for a path route to a space, else "".
        space: ``owner/name`` of the space the request was addressed to, when it goes to the
            control plane because that space is not live (or unknown); else None.
    """

    entry: RouteEntry | None
    target: str
    prefix: str = ""
    space: str | None = None


def _valid_space(owner: str, name: str) -> bool:
    try:
        check_name_part(owner, "owner")
        check_name_part(name, "space name")
    except InvalidSpaceName:
        return False
    return True


def is_page_host(host: str, domain: str) -> bool:
    """True for a space's page host ``page.{subdomain}.{domain}[:port]``: the control plane's
    pages served same-site with that space's app (web/urls.py). It never routes to an app,
    by host or by path, so no app's script ever runs on that origin."""
    return page_host_label(host, domain) is not None


def match_host(host: str, table: RouteTable, domain: str) -> RouteEntry | None:
    """The entry whose subdomain *host* names, if any.

    Args:
        host: the request's ``Host`` header value (any case, optional port).
        table: the route table.
        domain: the platform's domain (``Settings.domain``), e.g. ``spaces.example.org``.

    Returns:
        The entry, or None when the host is not ``{known subdomain}.{domain}``.
    """
    label = subdomain_label(host, domain)
    return table.by_subdomain.get(label) if label else None


def match_path(target: str, table: RouteTable) -> Match:
    """Route a request by its path alone.

    Args:
        target: the request-target (path with optional query), as received.
        table: the route table.

    Returns:
        A space match for ``/spaces/{owner}/{name}/...`` of a live space; else a control-plane
        match, naming the space when a valid one was addressed (unless the target is the space
        page ``/spaces/{owner}/{name}``, which belongs to the control plane itself).
    """
    if not target.startswith(SPACES_PREFIX):
        return Match(None, target)
    path, _, _ = target.partition("?")
    parts = path[len(SPACES_PREFIX) :].split("/", 2)
    if len(parts) < 3 or not _valid_space(parts[0], parts[1]) or _is_git(parts, target):
        return Match(None, target)
    space = f"{parts[0]}/{parts[1]}"
    prefix = SPACES_PREFIX + space
    entry = table.by_space.get(space)
    if entry is None or not is_live(entry):
        return Match(None, target, space=space)
    return Match(entry, target[len(prefix) :], prefix)


def _is_git(parts: list[str], target: str) -> bool:
    """Whether ``/spaces/{owner}/{name}/{rest}`` is a git or git-lfs request for the space's
    repository (``git clone http://HOST/spaces/owner/name``), not a request to its app."""
    name, rest = parts[1], parts[2]
    if name.endswith(".git") or rest in _GIT_PATHS or rest.startswith("info/lfs/"):
        return True
    _, _, query = target.partition("?")
    return rest == "info/refs" and query in _GIT_SERVICES


def match_request(host: str, target: str, table: RouteTable, domain: str) -> Match:
    """Route a request: by host first (a known space subdomain), then by path.

    Args:
        host: the ``Host`` header value ("" when absent).
        target: the request-target (path and query).
        table: the route table.
        domain: the platform's domain (``Settings.domain``).

    Returns:
        The :class:`Match`.
    """
    if host and is_page_host(host, domain):
        return Match(None, target)
    entry = match_host(host, table, domain) if host else None
    if entry is None:
        label = subdomain_label(host, domain) if host else None
        # an unknown space host is a 404 of that host, whatever the path
        return Match(None, target, space=label) if label else match_path(target, table)
    if is_live(entry):
        return Match(entry, target)
    return Match(None, target, space=entry.space)
