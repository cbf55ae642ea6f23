"""The ``FROM`` lines of a Dockerfile: which images a build starts from, and rewriting them. Pure.

A Dockerfile's stages start ``FROM [--platform=P] IMAGE [AS NAME]``. IMAGE may use the ARGs
declared before the first ``FROM`` (their defaults, overridden by build args), may name an
earlier stage, or be ``scratch``. :func:`parse_froms` finds each one and what it resolves to;
:func:`rewrite_froms` puts other images in their place, leaving every other line as it was.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum


class FromKind(Enum):
    """What a ``FROM`` line starts from."""

    IMAGE = "image"  # an image reference, after ARG substitution
    STAGE = "stage"  # an earlier stage's name
    SCRATCH = "scratch"  # the empty image
    UNRESOLVED = "unresolved"  # uses an ARG without a value


@dataclass(frozen=True)
class FromLine:
    """One ``FROM`` instruction.

    Attributes:
        first: index of its first physical line (0-based).
        end: index after its last physical line (a ``\\``-continued FROM spans several).
        platform: the ``--platform`` flag's value as written ("" when absent).
        image: the image as written (``python:${PY}-slim``).
        resolved: *image* with ARGs substituted ("" when ``kind`` is UNRESOLVED).
        stage: its ``AS`` name ("" when it has none).
        kind: what *resolved* names.
    """

    first: int
    end: int
    platform: str
    image: str
    resolved: str
    stage: str
    kind: FromKind


_VAR_RE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:[-+])?(?P<word>[^}]*)\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)
_ESCAPE_RE = re.compile(r"^#\s*escape\s*=\s*(\S)\s*$", re.IGNORECASE)


class _Unresolved(Exception):
    """An ARG without a value was used."""


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Expand ``$NAME``, ``${NAME}``, ``${NAME:-default}`` and ``${NAME:+alt}`` in *text*.

    Raises:
        ValueError: a name has no value (and no ``:-`` default).
    """

    def one(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("bare")
        value = values.get(name)
        op, word = match.group("op"), match.group("word") or ""
        if op == ":-":
            return value if value else substitute(word, values)
        if op == ":+":
            return substitute(word, values) if value else ""
        if value is None:
            raise ValueError(f"${name} has no value")
        return value

    return _VAR_RE.sub(one, text)


def _escape_char(lines: list[str]) -> str:
    """The escape character: ``\\`` unless a leading ``# escape=`` parser directive says."""
    for line in lines:
        stripped = line.strip()
        if not stripped.startswith("#"):
            break
        if m := _ESCAPE_RE.match(stripped):
            return m.group(1)
    return "\\"


def _instructions(lines: list[str]) -> list[tuple[int, int, str]]:
    """``(first, end, text)`` for each instruction: continuation lines joined, comment lines
    inside a continuation dropped (as Docker does)."""
    escape = _escape_char(lines)
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        first, parts = i, []
        while True:
            text = lines[i].rstrip()
            i += 1
            if not text.endswith(escape) or i >= len(lines):
                parts.append(text.removesuffix(escape) if text.endswith(escape) else text)
                break
            parts.append(text[: -len(escape)])
            while i < len(lines) and lines[i].strip().startswith("#"):
                i += 1
        out.append((first, i, " ".join(p.strip() for p in parts)))
    return out


def _strip_quotes(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _declare_args(text: str, values: dict[str, str | None], buildargs: Mapping[str, str]) -> None:
    """Record a global ``ARG`` instruction's names: a build arg wins over the default."""
    for word in text.split()[1:]:
        name, sep, default = word.partition("=")
        if name in buildargs:
            values[name] = buildargs[name]
            continue
        if not sep:
            values.setdefault(name, None)
            continue
        known = {k: v for k, v in values.items() if v is not None}
        try:
            values[name] = substitute(_strip_quotes(default), known)
        except ValueError:
            values[name] = None


def _from_line(
    first: int, end: int, text: str, values: Mapping[str, str | None], stages: set[str]
) -> FromLine:
    words = text.split()[1:]
    platform = ""
    while words and words[0].startswith("--"):
        flag = words.pop(0)
        if flag.lower().startswith("--platform="):
            platform = flag.partition("=")[2]
    image = words[0] if words else ""
    stage = words[2] if len(words) >= 3 and words[1].lower() == "as" else ""
    known = {k: v for k, v in values.items() if v is not None}
    try:
        resolved = substitute(image, known) if image else ""
    except ValueError:
        resolved = ""
    if not resolved:
        kind = FromKind.UNRESOLVED
    elif resolved.lower() in stages:
        kind = FromKind.STAGE
    elif resolved.lower() == "scratch":
        kind = FromKind.SCRATCH
    else:
        kind = FromKind.IMAGE
    return FromLine(first, end, platform, image, resolved, stage, kind)


def parse_froms(
    dockerfile: str, buildargs: Mapping[str, str] | None = None
) -> tuple[FromLine, ...]:
    """Every ``FROM`` of *dockerfile*, in order.

    Args:
        dockerfile: the Dockerfile's text.
        buildargs: the build args the build passes (they override ARG defaults).

    Returns:
        One :class:`FromLine` per stage; an ARG used in a FROM resolves only when declared
        before the first FROM (Docker's rule) with a default or a build arg.
    """
    args = dict(buildargs or {})
    values: dict[str, str | None] = {}
    stages: set[str] = set()
    froms: list[FromLine] = []
    for first, end, text in _instructions(dockerfile.splitlines()):
        keyword = text.split(None, 1)[0].upper()
        if keyword == "ARG" and not froms:
            _declare_args(text, values, args)
        elif keyword == "FROM":
            line = _from_line(first, end, text, values, stages)
            froms.append(line)
            if line.stage:
                stages.add(line.stage.lower())
    return tuple(froms)


def rewrite_froms(dockerfile: str, images: Mapping[int, str]) -> str:
    """*dockerfile* with the image of some FROM lines replaced.

    Args:
        dockerfile: the Dockerfile's text.
        images: ``FromLine.first`` -> the image to use there instead.

    Returns:
        The text with each such FROM written on one line, ``--platform`` and ``AS`` kept;
        every other line unchanged.
    """
    lines = dockerfile.splitlines(keepends=True)
    by_first = {line.first: line for line in parse_froms(dockerfile)}
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = by_first.get(i)
        if line is None or i not in images:
            out.append(lines[i])
            i += 1
            continue
        flags = f"--platform={line.platform} " if line.platform else ""
        name = f" AS {line.stage}" if line.stage else ""
        newline = "\r\n" if lines[line.end - 1].endswith("\r\n") else "\n"
        out.append(f"FROM {flags}{images[i]}{name}{newline}")
        i = line.end
    return "".join(out)
