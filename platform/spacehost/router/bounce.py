"""Sending a browser through the platform's host before a space host answers it. Pure.

A private space's own host (``{label}.{domain}``) never sees the visitor's platform session: the
session cookie belongs to the platform's host. So a browser's top-level navigation to a space
host the router will not serve (a private space it was denied, or a label no space has: both
alike, so the detour tells nothing) is redirected once to ``BOUNCE_PATH`` on the platform's
host, which holds the session; the control plane sets the space's cookie there (or not) and
sends the browser back with ``BOUNCED_PARAM`` in the query, which the router never bounces again
(:mod:`spacehost.spaceaccess`; docs/router.md#private-spaces).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from spacehost.spaceaccess import BOUNCE_PATH, BOUNCED_PARAM

_BOUNCED = BOUNCED_PARAM.encode("latin-1")


def is_navigation(method: bytes, accept: str, headers: Sequence[tuple[bytes, bytes]]) -> bool:
    """True for a browser's top-level navigation: a GET with ``Sec-Fetch-Mode: navigate``, or,
    from a browser that sends no ``Sec-Fetch-Mode``, one that accepts ``text/html``."""
    if method != b"GET":
        return False
    for name, value in headers:
        if name == b"sec-fetch-mode":
            return value.strip().lower() == b"navigate"
    return "text/html" in accept


def was_bounced(target: bytes) -> bool:
    """True when the query of *target* already carries ``BOUNCED_PARAM``."""
    query = target.partition(b"?")[2]
    return bool(query) and any(p.partition(b"=")[0] == _BOUNCED for p in query.split(b"&"))


def request_port(host: str) -> str:
    """The port of a ``Host`` value ("" when it names none)."""
    name, _, port = host.rpartition(":")
    return port if name and port.isdigit() else ""


def platform_base(public_url: str, local_base: str, proto: str, domain: str, host: str) -> str:
    """The platform's base URL as a browser on *host* reaches it: where it signed in.

    ``SPACEHOST_PUBLIC_URL`` when the operator set one; else, for a platform that listens on a
    loopback address only, the base URL it prints (``http://127.0.0.1:PORT``, where its users
    sign in); else the platform's domain with the request's own scheme and port (the router is
    the one listener of both the platform and its spaces, so a browser that reached
    ``{label}.{domain}:{port}`` reaches ``{domain}:{port}``).

    Args:
        public_url: ``Settings.public_url`` ("" when unset).
        local_base: ``Settings.base_url`` when the platform listens on loopback only, else "".
        proto: ``http`` or ``https`` (what the router sends as ``X-Forwarded-Proto``).
        domain: ``Settings.domain``.
        host: the request's ``Host`` value.
    """
    if public_url:
        return public_url.rstrip("/")
    if local_base:
        return local_base.rstrip("/")
    port = request_port(host)
    return f"{proto}://{domain}:{port}" if port else f"{proto}://{domain}"


def bounce_location(base: str, label: str, target: bytes) -> str:
    """``{base}BOUNCE_PATH?host=<label>&next=<target>``, both percent-encoded."""
    label_q = quote(label, safe="")
    next_q = quote(target.decode("latin-1"), safe="")
    return f"{base}{BOUNCE_PATH}?host={label_q}&next={next_q}"
