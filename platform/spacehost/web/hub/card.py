"""A hub repo's card: the README's front matter as data, shown as tags, never as raw YAML.

Pure, except :func:`read_card`, which reads at most :data:`MAX_CARD` bytes of a commit's
README.md from the hub store (parsed cards are cached by content hash: a blob never changes).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from spacehost.errors import SpacehostError
from spacehost.manifest.frontmatter import find_front_matter, load_yaml, plain
from spacehost.store.hub import HubCommit, HubStore
from spacehost.web.markdown import strip_front_matter

MAX_CARD = 512 * 1024  # bytes of a README read for a page; a longer one is cut


@dataclass(frozen=True)
class Card:
    """What a page shows of a README: its front matter and the Markdown after it."""

    data: dict[str, Any] = field(default_factory=dict)
    body: str = ""

    def text(self, key: str) -> str:
        """A scalar field as text ("" when missing or not a scalar)."""
        value = self.data.get(key)
        return str(value) if isinstance(value, str | int | float) and value != "" else ""

    def words(self, key: str) -> list[str]:
        """A field that may be one value or a list of them, as a list of strings."""
        value = self.data.get(key)
        items = value if isinstance(value, list) else [value]
        return [str(v) for v in items if isinstance(v, str | int | float) and str(v)]


def parse_card(text: str) -> Card:
    """Split a README into its front matter (``{}`` when absent or malformed) and body."""
    try:
        block = find_front_matter(text)
        data = plain(load_yaml(block))
    except SpacehostError:
        return Card({}, text)
    return Card(data if isinstance(data, dict) else {}, strip_front_matter(text))


def chips(card: Card) -> list[tuple[str, str]]:
    """The card's metadata as (kind, value) tags: task, library, languages, size, license,
    free tags, then the datasets it was trained on (often many; duplicates dropped)."""
    out: list[tuple[str, str]] = []
    for kind, key in (
        ("task", "pipeline_tag"),
        ("task", "task_categories"),
        ("library", "library_name"),
        ("language", "language"),
        ("size", "size_categories"),
        ("license", "license"),
        ("tag", "tags"),
        ("dataset", "datasets"),
    ):
        out.extend((kind, w) for w in card.words(key))
    seen: set[str] = set()
    unique = []
    for kind, value in out:
        if value.lower() not in seen:
            seen.add(value.lower())
            unique.append((kind, value))
    return unique


@functools.lru_cache(maxsize=1024)
def _card_of_blob(path: str, sha256: str) -> Card:
    # the sha256 in the key is what makes caching safe: a path always holds the same bytes
    with open(path, "rb") as f:
        data = f.read(MAX_CARD)
    return parse_card(data.decode("utf-8", "replace"))


def read_card(hub: HubStore, commit: HubCommit) -> Card:
    """The card of *commit*'s README.md (an empty card when it has none)."""
    readme = next((f for f in commit.files if f.path.lower() == "readme.md"), None)
    if readme is None:
        return Card()
    try:
        return _card_of_blob(str(hub.blob_path(readme.sha256)), readme.sha256)
    except OSError:
        return Card()


def when(ts: float) -> str:
    """A timestamp as ``2025-01-31 14:05 UTC``."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))


def human_bytes(n: int) -> str:
    """A size as HF shows it, in decimal units: ``90.9 MB``."""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


def card_summary(card: Mapping[str, Any]) -> str:
    """A one-line description from the card's data, if it has one."""
    for key in ("short_description", "description", "pretty_name", "model_name"):
        value = card.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""
