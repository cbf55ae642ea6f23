"""Which configured Python a space builds on. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from spacehost.errors import BuildFailed


@dataclass(frozen=True)
class PythonChoice:
    """The Python a space gets.

    ``version`` is a key of ``settings.python_bases`` (e.g. ``"3.11"``), ``base`` its value
    (``"debian:bookworm"`` or an image reference), ``warning`` a build-log line when the space
    asked for another version ("" otherwise).
    """

    version: str
    base: str
    warning: str = ""


def parse_python_version(text: str) -> tuple[int, int]:
    """``"3.10"`` or ``"3.10.4"`` -> ``(3, 10)``.

    Raises:
        ValueError: *text* does not start with MAJOR.MINOR.
    """
    parts = text.strip().split(".")
    if len(parts) < 2:
        raise ValueError(f"not a MAJOR.MINOR python version: {text!r}")
    return int(parts[0]), int(parts[1])


def nearest_python(wanted: str, available: Iterable[str]) -> str | None:
    """The version in *available* closest to *wanted*.

    Args:
        wanted: e.g. ``"3.10"``.
        available: configured versions, e.g. ``["3.11", "3.13"]``; unparsable ones are skipped.

    Returns:
        *wanted*'s exact match if there is one, else the one with the same major version and the
        smallest minor distance (the higher one on a tie); None when no version shares the major.
    """
    want_major, want_minor = parse_python_version(wanted)
    best: tuple[int, int, str] | None = None
    for candidate in available:
        try:
            major, minor = parse_python_version(candidate)
        except ValueError:
            continue
        if major != want_major:
            continue
        # Sort key: distance first, then prefer the higher minor (-minor).
        key = (abs(minor - want_minor), -minor, candidate)
        if best is None or key < best:
            best = key
    return best[2] if best else None


def choose_python(requested: str | None, default: str, bases: Mapping[str, str]) -> PythonChoice:
    """Pick the Python for a space.

    Args:
        requested: the manifest's ``python_version`` (None: not set).
        default: ``settings.default_python``, used when *requested* is None.
        bases: ``settings.python_bases``.

    Returns:
        The choice, with a warning when it is not the version asked for.

    Raises:
        BuildFailed: no configured version shares the major version, or *requested* is not a
            version.
    """
    wanted = requested or default
    try:
        chosen = nearest_python(wanted, bases)
    except ValueError as exc:
        raise BuildFailed(
            f"python_version {wanted!r} is not a MAJOR.MINOR version",
            hint="write python_version like 3.11 in README.md",
        ) from exc
    if chosen is None:
        raise BuildFailed(
            f"no Python base is configured for python_version {wanted} "
            f"(configured: {', '.join(sorted(bases)) or 'none'})",
            hint="add one to SPACEHOST_PYTHON_BASES, e.g. 3.11=debian:bookworm",
        )
    warning = ""
    if parse_python_version(chosen) != parse_python_version(wanted):
        which = wanted if requested else f"{wanted} (the default when README.md sets none)"
        warning = (
            f"python_version {which} is not available here; building on {chosen} "
            "(configure SPACEHOST_PYTHON_BASES to add it)"
        )
    return PythonChoice(version=chosen, base=bases[chosen], warning=warning)
