"""The platform's own token (the operator's: an admin's, identity/accounts.py): from
SPACEHOST_TOKEN or generated once and saved 0600."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

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
