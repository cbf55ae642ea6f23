"""Dockerfile ``COPY``/``ADD`` destinations as BuildKit reads them, for the classic builder. Pure.

Hugging Face builds ``sdk: docker`` spaces with BuildKit, which takes ``.`` (and ``..``, or a
path ending in ``/.``) as a directory: ``COPY main.py videos.json .`` copies both files into the
working directory. spacehost builds with the Engine's classic builder, which insists that the
destination of several sources ends with ``/`` and fails the build otherwise ("When using COPY
with more than one source file, the destination must be a directory and end with a /"). Such a
destination is written with the ``/`` in the build context's copy of the Dockerfile; the space's
own files are not changed. Nothing else differs for one source, a destination already ending in
``/``, or the JSON form.
"""

from __future__ import annotations

import re

# COPY/ADD in shell form, on one physical line (continuations are left to the Engine).
_COPY_RE = re.compile(r"^(\s*(?:COPY|ADD)\s+)(.*?)(\s*)$", re.IGNORECASE)
_DIR_DEST_RE = re.compile(r"^(?:\.{1,2}|.*/\.{1,2})$")


def directory_destinations(dockerfile: str) -> tuple[str, list[str]]:
    """*dockerfile* with each several-source COPY/ADD whose destination BuildKit reads as a
    directory (``.``, ``..``, ``x/.``) given a trailing ``/``.

    Returns:
        The text (unchanged lines byte for byte) and the original lines that were changed.
    """
    lines = dockerfile.splitlines(keepends=True)
    changed: list[str] = []
    for i, line in enumerate(lines):
        body = line.rstrip("\r\n")
        fixed = _fixed(body)
        if fixed is not None:
            changed.append(body.strip())
            lines[i] = fixed + line[len(body) :]
    return "".join(lines), changed


def _fixed(line: str) -> str | None:
    m = _COPY_RE.match(line)
    if m is None or line.rstrip().endswith("\\"):
        return None
    words = m.group(2).split()
    if not words or words[0].startswith("["):
        return None
    paths = [w for w in words if not w.startswith("--")]
    if len(paths) < 3 or not _DIR_DEST_RE.match(paths[-1]):
        return None
    return f"{m.group(1)}{m.group(2)}/{m.group(3)}"
