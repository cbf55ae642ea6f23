"""Masking secret values in text the platform stores or shows (run logs, error tails)."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
MIN_PART = 4  # lines of a multi-line secret shorter than this are not masked on their own


class Redactor:
    """Replaces every occurrence of the given secret values with ``***``.

    A multi-line secret (a PEM key) can only reach a log line by line, so each of its lines of
    at least four characters is masked too. Longer values are matched first, so a secret that
    contains another is masked whole.
    """

    def __init__(self, secrets: Iterable[str] = ()):
        needles: set[str] = set()
        for value in secrets:
            if not value:
                continue
            needles.add(value)
            if "\n" in value:
                needles.update(p.strip() for p in value.splitlines() if len(p.strip()) >= MIN_PART)
        ordered = sorted(needles, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        return self._pattern.sub(MASK, text) if self._pattern else text

    def __bool__(self) -> bool:
        return self._pattern is not None
