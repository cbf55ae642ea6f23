"""How a ``Host`` names a space: the parse the router and the control plane share. Pure.

Two host forms address a space (``SpaceId.subdomain`` is its label, ``owner-name`` in lower
case):

- ``{label}.{domain}[:port]``: the space's app; the router sends it there;
- ``page.{label}.{domain}[:port]``: the space's *page host*, the control plane's page of the
  space served same-site with its app (web/urls.py); the router never routes it to an app, by
  host or by path, and the control plane keeps it to that page (web/page_host.py;
  docs/embedding.md).

Both processes read the same ``Host`` value through these functions, so they agree on which
space a request names.
"""

from __future__ import annotations

PAGE_LABEL = "page"  # a space's page host is ``page.{subdomain}.{domain}``


def host_name(host: str) -> str:
    """The host name of a ``Host`` header value: lower case, without port or IPv6 brackets (an
    empty port, ``name:``, counts as none, as RFC 3986 allows)."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[1:end] if end > 0 else host
    name, _, port = host.rpartition(":")
    if name and port.isdigit():
        return name
    return host.rstrip(":")


def _under(host: str, domain: str) -> str | None:
    """What precedes ``.{domain}`` in *host*'s name, or None when it is not under *domain*."""
    name = host_name(host)
    suffix = "." + domain.lower()
    return name[: -len(suffix)] if name.endswith(suffix) else None


def subdomain_label(host: str, domain: str) -> str | None:
    """The space label of an app host ``{label}.{domain}[:port]`` (any case), or None when
    *host* is not one."""
    label = _under(host, domain)
    return label if label and "." not in label else None


def page_host_label(host: str, domain: str) -> str | None:
    """The space label of a page host ``page.{label}.{domain}[:port]`` (any case), or None when
    *host* is not one."""
    first, _, label = (_under(host, domain) or "").partition(".")
    return label if first == PAGE_LABEL and label and "." not in label else None
