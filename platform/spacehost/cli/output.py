"""What the CLI prints: messages, tables, URLs and errors (a deploy's progress: watch.py)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from spacehost.errors import SpacehostError, error_lines


def info(msg: str) -> None:
    print(msg, flush=True)


def warn(msg: str) -> None:
    print(f"warning: {msg}", file=sys.stderr, flush=True)


def error(exc: SpacehostError) -> None:
    """Print *exc*: ``error: …``, a README's problems that the message does not list yet and
    its warnings (each once), a log tail, ``hint: …`` (errors.error_lines: a refused
    ``git push`` prints the same lines)."""
    for line in error_lines(exc):
        print(line, file=sys.stderr)


def print_urls(urls: dict[str, str]) -> None:
    print(f"live at {urls['subdomain']}\n     and {urls['path']}", flush=True)


def print_ready(facts: dict[str, Any]) -> None:
    print(
        f"spacehost is up at {facts['url']}/ (spaces at http://OWNER-NAME.{facts['domain']}"
        f":PORT/ and {facts['url']}/spaces/OWNER/NAME/)\n"
        f"token: {facts['token_file']}   stop: Ctrl-C or `spacehost down` (running spaces "
        "keep running and are adopted on the next start; SIGTERM leaves the router serving)",
        flush=True,
    )


def table(spaces: Iterable[dict[str, Any]]) -> None:
    rows = [
        (s["id"], s["stage"], str(s.get("cardData", {}).get("sdk", "")), s["urls"]["path"])
        for s in spaces
    ]
    if not rows:
        print("no spaces yet: push one with `spacehost push DIR`")
        return
    widths = [max(len(r[i]) for r in [("SPACE", "STAGE", "SDK", "URL"), *rows]) for i in range(4)]
    for r in [("SPACE", "STAGE", "SDK", "URL"), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def dump(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))
