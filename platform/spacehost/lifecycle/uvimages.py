"""Which local image a job gets for Astral's uv images (``ghcr.io/astral-sh/uv:TAG``), the image
``hf jobs uv run`` sends (``python3.12-bookworm`` by default). No registry here: spacehost makes
its own uv images from its python layers (``spacehost/uv:python3.11-bookworm``, builder
``ensure_uv``), one per Debian suite. A tag naming a suite spacehost made a uv image for gets
that image, with the Python the platform has on that suite (a job log line says so when the
tag asked for another); any other tag is refused, naming the tags that work. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from spacehost.errors import NotFound

UV_REPOSITORY = "ghcr.io/astral-sh/uv"
LOCAL_REPOSITORY = "spacehost/uv"
# [UV_VERSION-][pythonX.Y-]SUITE[-slim], as Astral tags them
_ASTRAL_TAG = re.compile(r"^(?:\d+(?:\.\d+)*-)?(?:python(\d+\.\d+)-)?([a-z]+)(?:-slim)?$")
_LOCAL_TAG = re.compile(r"^spacehost/uv:python(\d+\.\d+)-([a-z]+)$")


@dataclass(frozen=True)
class UvImage:
    """The local image for an Astral uv image, and a note for the job's log when its Python is
    not the one the tag names ('' when it is)."""

    image: str
    note: str = ""


def is_uv_image(image: str) -> bool:
    """True for ``ghcr.io/astral-sh/uv`` with or without a tag."""
    return image == UV_REPOSITORY or image.startswith(f"{UV_REPOSITORY}:")


def local_uv_image(image: str, available: Iterable[str]) -> UvImage:
    """The image of *available* (the engine's tags) that stands for Astral's *image*.

    Raises:
        NotFound: the tag names no suite spacehost made a uv image for (or none was made
            yet); the message names the tags that work.
    """
    tag = image.partition(":")[2] or "latest"
    local = sorted(
        (m.group(1), m.group(2), name)
        for name in available
        if (m := _LOCAL_TAG.match(name)) is not None
    )
    wanted = _ASTRAL_TAG.match(tag)
    if wanted is not None:
        python, suite = wanted.group(1), wanted.group(2)
        on_suite = [(v, name) for v, s, name in local if s == suite]
        exact = [name for v, name in on_suite if v == python]
        if exact:
            return UvImage(exact[0])
        if on_suite:
            version, name = on_suite[0]
            note = (
                f"spacehost: {image} runs as {name} (Python {version}: this platform has no "
                f"Python {python} on {suite})"
                if python
                else ""
            )
            return UvImage(name, note)
    offered = [f"{UV_REPOSITORY}:python{v}-{s}" for v, s, _ in local]
    raise NotFound(
        f"image {image!r} is not made here: jobs use no registry, and spacehost makes uv images "
        f"only for its own Python layers ({', '.join(offered) or 'none made yet'})",
        hint="run `hf jobs uv run` with its default image or --image one of those; the "
        "operator makes them with `spacehost prepare` (docs/jobs.md, 'uv scripts')",
    )
