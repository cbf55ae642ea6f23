"""HTTP header names the router and the control plane exchange. Pure, no I/O.

Spelled once here, below both processes, so the side that sets a header and the side that reads
it cannot drift apart (api, router and web never import each other). The file hand-off's two
headers belong to its own contract, :mod:`spacehost.handoff`.

The router strips every one of these from what a client sends and sets them itself
(``router/headers.py``), so the control plane can trust them (docs/router.md, docs/security.md).
"""

from __future__ import annotations

SPACE = "X-Spacehost-Space"
"""Router → control plane: ``owner/name`` of the space a request was addressed to, set when that
space has no live upstream; the control plane answers with the space's status page."""

STATUS = "X-Spacehost-Status"
"""Control plane → client, on status pages only: the space's stage (the page's script polls its
own URL and reloads into the app once the header is gone)."""

FORWARDED_PROTO = "X-Forwarded-Proto"
"""Router → upstream: the scheme the client used (``http`` or ``https``); the control plane
builds the URLs it hands out for the same listener from it."""

RESTARTING = "X-Spacehost-Restarting"
"""Control plane → API clients, on a change of a space's variables or secrets: ``1`` when the
change restarts the running space, else ``0`` (the variables' body is Hugging Face's full
variables dict, which has no room for it; spacehost's CLI says it from this)."""


def wire_name(name: str) -> bytes:
    """*name* as the router's head code holds it: lower case, latin-1 bytes."""
    return name.lower().encode("latin-1")
