"""Private spaces: what the router and the control plane agree on about a visitor's credentials.
Pure, no I/O (a wire contract, docs/architecture.md#wire-contracts; docs/accounts.md).

A private space is served only to visitors who may read it. The router never decides that
alone: on a private space's request it asks the control plane, over its Unix socket,

    GET CHECK_PATH            X-Spacehost-Space: owner/name (set by the router, as always)
                              + the request's own Authorization, X-HF-Authorization, Cookie

and the control plane answers ``ALLOWED`` (204) or ``DENIED`` (404), reading the credentials as it
reads any API request. The router keeps each answer for ``CACHE_ALLOW_S`` / ``CACHE_DENY_S``
seconds per (space, credentials), so the data path pays a dictionary look-up, not a call; a
revoked token or a sign-out stops reaching a private space within ``CACHE_ALLOW_S``.

A request the router cannot serve to this visitor goes on exactly as a request for a space that
does not exist (HF's behaviour: a private name does not leak). A browser's top-level navigation
to a space host is first sent through ``BOUNCE_PATH`` on the platform's own host, which holds
the visitor's session: that sets a per-space cookie (``SPACE_COOKIE``, for the space's host
and its page host) and comes back, or comes back without one; both private and unknown spaces
take that same detour, so it tells nothing either.

Whatever the space: the router removes the platform's credentials before a request reaches a
space's container (a space never sees a visitor's platform token or session):
``X-HF-Authorization`` always, ``Authorization`` when it carries a platform token (see
:func:`is_platform_authorization`), and the platform's cookies from ``Cookie``.
"""

from __future__ import annotations

import base64
import binascii

CHECK_PATH = "/api/auth/space-access"
"""Router → control plane: may this request's credentials read the space it names?"""

ALLOWED = 204
DENIED = 404

BOUNCE_PATH = "/auth/space"
"""The platform host's page a browser is sent through for a space host it may not see yet:
``GET BOUNCE_PATH?host=<label>&next=<path>``."""

BOUNCED_PARAM = "__spacehost_bounced"
"""Query parameter the bounce adds on the way back, so a request is bounced once at most."""

SESSION_COOKIE = "spacehost_session"
"""The platform's sign-in session (the platform's own host only)."""

SPACE_COOKIE = "spacehost_space"
"""A session's per-space pass, set for ``{label}.{domain}`` (the app and its page host)."""

CSRF_COOKIE = "spacehost_csrf"
"""The double-submit CSRF value of a session (web forms and the pages' scripts)."""

PLATFORM_COOKIES = frozenset({SESSION_COOKIE, SPACE_COOKIE, CSRF_COOKIE})

TOKEN_PREFIXES = ("hf_", "sh_")
"""Platform tokens start with one of these: ``hf_`` for users' tokens (HF's style, so secret
scanners know them), ``sh_`` for the operator's token of earlier versions."""

CACHE_ALLOW_S = 10.0
CACHE_DENY_S = 2.0

HF_AUTHORIZATION = "X-HF-Authorization"
"""gradio_client sends a token here (``Authorization`` may be the space's own)."""


def is_platform_token(value: str) -> bool:
    """True when *value* has the shape of a platform token."""
    return value.startswith(TOKEN_PREFIXES) and len(value) > 3


def bearer_value(header: str) -> str:
    """The token of an ``Authorization``-style value (``Bearer T``; a Basic credential's
    password, as git sends a token stored by ``hf auth login --add-to-git-credential``), or ""."""
    scheme, _, rest = header.strip().partition(" ")
    scheme = scheme.lower()
    rest = rest.strip()
    if scheme == "bearer":
        return rest
    if scheme == "basic":
        try:
            decoded = base64.b64decode(rest, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return ""


def is_platform_authorization(value: bytes) -> bool:
    """True when an ``Authorization`` value carries a platform token (Bearer or Basic)."""
    return is_platform_token(bearer_value(value.decode("latin-1")))


def strip_platform_cookies(value: bytes) -> bytes:
    """A ``Cookie`` value without the platform's cookies (b"" when nothing else is left)."""
    kept = []
    for part in value.split(b";"):
        name = part.partition(b"=")[0].strip().decode("latin-1")
        if name and name not in PLATFORM_COOKIES:
            kept.append(part.strip())
    return b"; ".join(kept)


def has_platform_cookie(value: bytes) -> bool:
    """True when a ``Cookie`` value may hold a platform cookie (a cheap test for the hot path)."""
    return b"spacehost_" in value


def platform_cookies(value: bytes) -> bytes:
    """Only the platform's cookies of a ``Cookie`` value (b"" when it has none): what the router
    sends with a check and keys its answers by, so a space's own cookies neither reach the
    control plane nor split the cache."""
    kept = []
    for part in value.split(b";"):
        name = part.partition(b"=")[0].strip().decode("latin-1")
        if name in PLATFORM_COOKIES:
            kept.append(part.strip())
    return b"; ".join(kept)
