"""The local pip mirror's folder pages as PEP 691 JSON with PEP 700 upload times, so a dated
build (pip ``--uploaded-prior-to``, :mod:`.cutoff`) can use local package folders. Pure but
for reading file times.

pip asks every page for JSON first. Without upload times, a dated pip stops at the first file
of a package it finds there ("does not provide upload-time metadata"), so the mirror gives:

- files of a local *index* (a folder's own ``index.html``, usually a copy of PyPI synced to
  disk): the time the file was written to this disk, never earlier than its real upload, so a
  cut-off never admits a release that did not exist yet (a file synced after the cut-off is
  left to the real index);
- files of a *find-links* folder (a generated listing: a wheelhouse the operator filled on
  purpose, such as the CPU torch build): the epoch, so every cut-off admits them, as pip
  admits local find-links files whatever ``--uploaded-prior-to`` says.

Everything else an HTML anchor says (hashes, ``data-requires-python``, ``data-yanked``,
``data-core-metadata``) is carried over, so a build without a cut-off resolves as before.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
ALWAYS = "1970-01-01T00:00:00Z"  # find-links files: older than every cut-off
Anchor = dict[str, str | None]


def wants_json(accept: str) -> bool:
    """True when an ``Accept`` header asks for the JSON simple API (pip's does, first)."""
    return JSON_TYPE in accept.lower()


def index_page_json(page: bytes, folder: Path, within: Callable[[Path], bool]) -> bytes:
    """A folder's own ``index.html`` as JSON; each file's upload time is its modification
    time here (files *within* rejects, or that are missing, get none)."""

    def when(href: str) -> str | None:
        target = folder / unquote(urlsplit(href).path)
        try:
            resolved = target.resolve(strict=True)
            stamp = os.stat(resolved).st_mtime
        except (OSError, RuntimeError):
            return None
        return _iso(stamp) if within(resolved) else None

    return _page(folder.name, _anchors(page), when)


def listing_json(folder: Path, names: Sequence[str]) -> bytes:
    """A find-links folder's generated listing (its servable file *names*) as JSON; every
    file is admitted by every cut-off."""
    anchors: list[Anchor] = [{"href": name} for name in names if not name.endswith("/")]
    return _page(folder.name, anchors, lambda _href: ALWAYS)


def _page(name: str, anchors: list[Anchor], when: Callable[[str], str | None]) -> bytes:
    files = [entry for a in anchors if (entry := _file(a, when)) is not None]
    page = {"meta": {"api-version": "1.1"}, "name": name, "files": files, "versions": []}
    return json.dumps(page).encode()


def _file(anchor: Anchor, when: Callable[[str], str | None]) -> dict[str, Any] | None:
    href = anchor.get("href")
    if not href:
        return None
    url, _, fragment = href.partition("#")
    filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    if not filename:
        return None
    algo, sep, digest = fragment.partition("=")
    entry: dict[str, Any] = {
        "filename": filename,
        "url": url,
        "hashes": {algo: digest} if sep and digest else {},
    }
    if (requires := anchor.get("data-requires-python")) is not None:
        entry["requires-python"] = requires
    if "data-yanked" in anchor:
        entry["yanked"] = anchor["data-yanked"] or True
    metadata = anchor.get("data-core-metadata", anchor.get("data-dist-info-metadata"))
    if metadata is not None:
        entry["core-metadata"] = _metadata(metadata)
    if (uploaded := when(url)) is not None:
        entry["upload-time"] = uploaded
    return entry


def _metadata(value: str) -> bool | dict[str, str]:
    algo, sep, digest = value.partition("=")
    return {algo: digest} if sep else value.lower() == "true"


def _anchors(page: bytes) -> list[Anchor]:
    parser = _AnchorParser()
    parser.feed(page.decode("utf-8", "replace"))
    return parser.anchors


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[Anchor] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
