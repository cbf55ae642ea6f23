"""Which server the CLI talks to, and with which token.

The server: ``--server``, else ``SPACEHOST_URL``, else ``http://127.0.0.1:8000``. The token, the
first of:

1. ``SPACEHOST_TOKEN`` (scripts, CI);
2. the login stored for that server by ``spacehost login`` (cli/tokenstore.py);
3. the platform's own token in its data folder (``--data-dir``, ``SPACEHOST_DATA_DIR``, default
   ``~/.spacehost``: ``token``), which the operator's CLI on the platform's host reads, as
   before accounts existed.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from spacehost.cli import tokenstore
from spacehost.client import Client

DEFAULT_URL = "http://127.0.0.1:8000"


def server_url(args: argparse.Namespace) -> str:
    url: str = getattr(args, "server", None) or os.environ.get("SPACEHOST_URL") or DEFAULT_URL
    return url


def data_dir(args: argparse.Namespace) -> Path:
    raw = getattr(args, "data_dir", None) or os.environ.get("SPACEHOST_DATA_DIR") or "~/.spacehost"
    return Path(raw).expanduser()


def token_and_source(args: argparse.Namespace) -> tuple[str, str]:
    """The token to send and where it came from, in words ("" and "" when there is none)."""
    if os.environ.get("SPACEHOST_TOKEN"):
        return os.environ["SPACEHOST_TOKEN"], "SPACEHOST_TOKEN"
    url = server_url(args)
    stored = tokenstore.stored(url)
    if stored:
        return stored, f"spacehost login ({tokenstore.config_dir() / tokenstore.FILE})"
    path = data_dir(args) / "token"
    if path.exists():
        return path.read_text().strip(), f"the platform's token ({path})"
    return "", ""


def client(args: argparse.Namespace) -> Client:
    return Client(server_url(args), token_and_source(args)[0])
