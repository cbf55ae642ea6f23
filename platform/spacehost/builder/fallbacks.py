"""Dated pip steps that fell back to today's packages, remembered by the layer they made.

A fallen-back step (:func:`spacehost.builder.dockerfile.pip_install`) is cached by Docker like
any step: a later build of the same steps reuses its layer without running it, and its
``WARNING:`` line would be gone. The build log names each step's resulting layer
(`` ---> 1a2b3c4d5e6f``), which is also what a cached step names, so the builder records the
layers of fallen-back steps (``DATA/cache/fallback-layers.json``) and warns again when a build
reuses one. Reading the log and a small file costs nothing next to the build.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from pathlib import Path

from spacehost.atomicfile import write_atomic
from spacehost.builder.dockerfile import FALLBACK_WARNING

DATED = "--uploaded-prior-to"
_STEP_RE = re.compile(r"^Step \d+/\d+ : ")
_LAYER_RE = re.compile(r"^ ---> ([0-9a-f]{12,64})$")
_LOCK = threading.Lock()


class StepLayers:
    """Follows one build's log: each step's resulting layer, and which steps fell back."""

    def __init__(self) -> None:
        self.step = ""
        self.layers: dict[str, str] = {}
        self.fell_back: set[str] = set()

    def feed(self, line: str) -> None:
        if _STEP_RE.match(line):
            self.step = line
        elif line.startswith(FALLBACK_WARNING) and self.step:
            self.fell_back.add(self.step)
        elif (m := _LAYER_RE.match(line)) and self.step:
            self.layers[self.step] = m.group(1)

    def fallen_back_layers(self) -> list[str]:
        return [self.layers[s] for s in self.fell_back if s in self.layers]

    def dated_layers(self, steps: Iterable[str]) -> list[str]:
        """The layers of those of *steps* that are dated pip steps."""
        return [self.layers[s] for s in steps if DATED in s and s in self.layers]


class FallbackLayers:
    """The record in *path*."""

    def __init__(self, path: Path):
        self._path = path

    def add(self, layers: Iterable[str]) -> None:
        new = set(layers)
        if not new:
            return
        with _LOCK:
            known = self._read()
            if new <= known:
                return
            self._path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self._path, json.dumps(sorted(known | new)).encode())

    def any_of(self, layers: Iterable[str]) -> bool:
        wanted = set(layers)
        return bool(wanted) and bool(wanted & self._read())

    def _read(self) -> set[str]:
        try:
            data = json.loads(self._path.read_text())
        except (OSError, ValueError):
            return set()
        return {str(x) for x in data} if isinstance(data, list) else set()
