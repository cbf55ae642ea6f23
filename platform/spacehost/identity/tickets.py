"""Short-lived signed tickets: the platform's host hands a signed-in visitor's access to one
space over to that space's own host (a redirect carries the ticket; the host it lands on turns
it into a per-space cookie). HMAC-SHA256 over ``space|session|expiry`` with a key only the
control plane holds. Pure (the clock is passed in)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import NamedTuple

TICKET_TTL_S = 60


class Ticket(NamedTuple):
    space: str
    session: str  # the session id's digest
    expires: int


def _sign(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def issue(key: bytes, space: str, session: str, now: float, ttl: int = TICKET_TTL_S) -> str:
    body = f"{space}|{session}|{int(now) + ttl}".encode()
    return base64.urlsafe_b64encode(body).decode().rstrip("=") + "." + _sign(key, body)


def redeem(key: bytes, value: str, now: float) -> Ticket | None:
    """The ticket in *value* when its signature holds and it has not expired, else None."""
    encoded, _, sig = value.partition(".")
    try:
        body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError:
        return None
    if not sig or not hmac.compare_digest(_sign(key, body), sig):
        return None
    parts = body.decode("utf-8", "replace").split("|")
    if len(parts) != 3 or not parts[2].isdigit() or int(parts[2]) < now:
        return None
    return Ticket(parts[0], parts[1], int(parts[2]))
