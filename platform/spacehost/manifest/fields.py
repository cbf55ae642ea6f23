"""Typed reads of front matter fields that record a :class:`Problem` instead of raising.

Every getter returns ``None`` when the field is absent (or written as an empty ``key:``) or when
its value is invalid; in the latter case it has already recorded an error naming the field, the
bad value and what is allowed, so the caller simply falls back to the default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from spacehost.manifest.frontmatter import scalar_text
from spacehost.manifest.problems import Findings, show, yaml_type

T = TypeVar("T")


@dataclass
class FieldReader:
    """Reads fields of one file's front matter, recording problems into *findings*."""

    data: Mapping[str, Any]
    findings: Findings
    file: str = "README.md"

    def error(self, field_path: str, message: str) -> None:
        self.findings.error(self.file, field_path, message)

    def warn(self, field_path: str, message: str) -> None:
        self.findings.warn(self.file, field_path, message)

    def present(self, key: str) -> bool:
        return self.data.get(key) is not None

    def _wrong_type(self, key: str, expected: str, value: Any) -> None:
        self.error(key, f"must be {expected}, got {show(value)} (a {yaml_type(value)})")

    def string(self, key: str) -> str | None:
        """A string field; a number is taken as the text it was written as (``3.10``)."""
        value = self.data.get(key)
        if value is None:
            return None
        text = scalar_text(value)
        if text is None:
            self._wrong_type(key, "a string", value)
        return text

    def parsed(self, key: str, parse: Callable[[str], T]) -> T | None:
        """A string field checked and normalised by *parse* (which raises ValueError)."""
        text = self.string(key)
        return None if text is None else self._parsed(key, text, parse)

    def _parsed(self, key: str, text: str, parse: Callable[[str], T]) -> T | None:
        try:
            return parse(text)
        except ValueError as exc:
            self.error(key, str(exc))
            return None

    def boolean(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self._wrong_type(key, "true or false", value)
            return None
        return value

    def integer(self, key: str, low: int, high: int) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self._wrong_type(key, f"a whole number from {low} to {high}", value)
            return None
        if not low <= value <= high:
            self.error(key, f"{show(int(value))} is out of range; use {low} to {high}")
            return None
        return int(value)

    def choice(self, key: str, allowed: Sequence[str], what: str) -> str | None:
        """A string that must be one of *allowed* (case-sensitive, as on Hugging Face)."""
        text = self.string(key)
        if text is None:
            return None
        if text not in allowed:
            self.error(key, f"{show(text)} is not a valid {what}; allowed: {', '.join(allowed)}")
            return None
        return text

    def string_list(
        self, key: str, *, parse: Callable[[str], str] | None = None, single_ok: bool = True
    ) -> tuple[str, ...] | None:
        """A list of strings; a single string counts as a one-item list when *single_ok*."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, str) and single_ok:
            value = [value]
        if not isinstance(value, list):
            self._wrong_type(key, "a list of strings", value)
            return None
        items: list[str] = []
        for index, item in enumerate(value):
            text = scalar_text(item)
            path = f"{key}[{index}]"
            if text is None:
                self._wrong_type(path, "a string", item)
            elif parse is None:
                items.append(text)
            elif (parsed := self._parsed(path, text, parse)) is not None:
                items.append(parsed)
        return tuple(items)

    def mapping(self, key: str) -> Mapping[str, Any] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self._wrong_type(key, "a mapping of `name: value` lines", value)
            return None
        return value
