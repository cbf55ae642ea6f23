"""``.dockerignore``-style exclusion rules, with Docker's semantics.

Ported from moby/patternmatcher (what BuildKit applies to a build context):

* One pattern per line; lines starting with ``#`` are comments; blank lines are skipped.
* Patterns are cleaned like Go's ``filepath.Clean`` (``./a//b/`` -> ``a/b``) and one leading
  ``/`` is dropped: every pattern is anchored at the space root.
* ``*`` matches any run of characters except ``/``; ``?`` one character except ``/``;
  ``**`` any number of directories, including none; ``[...]`` a character class;
  ``\\`` escapes the next character.
* A pattern that matches a directory excludes everything below it (``node_modules``).
* ``!pattern`` re-includes what an earlier pattern excluded; the last matching line wins.

One deliberate difference: Docker treats ``**foo`` (no slash after ``**``) as a plain suffix,
so it also matches ``barfoo``; here it means ``**/foo``, like every other ``**``.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from spacehost.errors import ManifestInvalid


@dataclass(frozen=True)
class IgnorePattern:
    """One compiled line of an ignore file."""

    text: str  # the cleaned pattern, without '!'
    negated: bool
    regex: re.Pattern[str]
    line: int

    def matches(self, path: str) -> bool:
        """True when the pattern matches *path* itself or one of its parent directories."""
        if self.regex.fullmatch(path):
            return True
        parts = path.split("/")
        return any(self.regex.fullmatch("/".join(parts[:i])) for i in range(1, len(parts)))


@dataclass(frozen=True)
class IgnoreRules:
    """An ordered list of ignore patterns; see the module docstring for the semantics."""

    patterns: tuple[IgnorePattern, ...] = ()

    @classmethod
    def parse(cls, text: str, *, filename: str = ".dockerignore") -> IgnoreRules:
        """Compile the text of an ignore file.

        Args:
            text: the file's contents.
            filename: how to name the file in errors.

        Returns:
            The rules, in file order.

        Raises:
            ManifestInvalid: for a pattern Docker would refuse (a lone ``!``, an unclosed
                ``[``), naming the line.
        """
        patterns: list[IgnorePattern] = []
        lines = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
        for number, raw in enumerate(lines, start=1):
            if raw.startswith("#") or not raw.strip():
                continue
            pattern = _compile(raw.strip(), number, filename)
            if pattern is not None:
                patterns.append(pattern)
        return cls(tuple(patterns))

    def excludes(self, path: str) -> bool:
        """True when *path* (relative, POSIX) is excluded by these rules.

        Args:
            path: a file or directory path relative to the space root, e.g. ``src/app.py``.
        """
        excluded = False
        for pattern in self.patterns:
            # As in Docker: only an exclusion can change an included path and vice versa.
            if pattern.negated == excluded and pattern.matches(path):
                excluded = not pattern.negated
        return excluded

    def prunes(self, directory: str) -> bool:
        """True when nothing under *directory* can be included, so a walk may skip it.

        A ``!`` pattern could re-include a file inside an excluded directory, so with any
        ``!`` pattern no directory is pruned.
        """
        return not any(p.negated for p in self.patterns) and self.excludes(directory)

    def __bool__(self) -> bool:
        return bool(self.patterns)


def _clean(pattern: str) -> str:
    cleaned = posixpath.normpath(pattern)
    cleaned = re.sub(r"^/+", "/", cleaned)  # Go collapses the '//' that normpath keeps
    return cleaned[1:] if len(cleaned) > 1 and cleaned.startswith("/") else cleaned


def _compile(raw: str, line: int, filename: str) -> IgnorePattern | None:
    negated = raw.startswith("!")
    text = raw[1:].strip() if negated else raw
    if not text:
        if negated:
            raise _bad_pattern(raw, line, filename, "a lone '!' excludes nothing")
        return None
    text = _clean(text)
    try:
        regex = re.compile(_to_regex(text))
    except (re.error, ValueError) as exc:
        raise _bad_pattern(raw, line, filename, str(exc)) from exc
    return IgnorePattern(text, negated, regex, line)


def _to_regex(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if i < n and pattern[i] == "/":
                i += 1
            out.append(".*" if i == n else "(?:.*/)?")
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            i += 1
            out.append(re.escape(pattern[i]) if i < n else re.escape("\\"))
        elif ch == "[":
            end = pattern.find("]", i + 2 if pattern.startswith("[]", i) else i + 1)
            if end == -1:
                raise ValueError("unclosed '[' character class")
            out.append(_char_class(pattern[i + 1 : end]))
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def _char_class(body: str) -> str:
    # Go's filepath.Match negates a class with '^'; a class never matches the separator.
    negate = body.startswith("^")
    inner = body[1:] if negate else body
    inner = inner.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return f"[^/{inner}]" if negate else f"(?!/)[{inner}]"


def _bad_pattern(raw: str, line: int, filename: str, why: str) -> ManifestInvalid:
    message = f"line {line}: invalid pattern {raw!r}: {why}"
    return ManifestInvalid(
        f"{filename}: {message}",
        hint=f"fix or remove that line of {filename}",
        details={
            "problems": [{"file": filename, "field": f"line {line}", "message": message}],
            "warnings": [],
            "stage": "CONFIG_ERROR",
        },
    )
