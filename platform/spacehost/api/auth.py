"""Write access: a bearer token, from SPACEHOST_TOKEN or generated once and saved 0600."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from aiohttp import web

from spacehost.appkeys import TOKEN
from spacehost.errors import Unauthorized
from spacehost.settings import Settings


def ensure_token(settings: Settings) -> str:
    """The platform's token: ``settings.token`` if set, else the one in the data dir (made on
    first start, readable by its owner only)."""
    if settings.token:
        return settings.token
    path: Path = settings.token_file
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    token = "sh_" + secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token


def require_token(request: web.Request) -> None:
    """Raise :class:`Unauthorized` unless the request carries the platform's token."""
    expected: str = request.app[TOKEN]
    header = request.headers.get("Authorization", "")
    given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized(
            "this request needs the platform's token" if not given else "the token is not valid",
            hint="set SPACEHOST_TOKEN, or run the CLI on the platform's host (it reads "
            "~/.spacehost/token); send it as 'Authorization: Bearer TOKEN'",
        )
