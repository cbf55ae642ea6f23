"""Where a hub repo's pages and files live on the platform, as on Hugging Face. Pure.

Models are at ``/{owner}/{name}``, datasets at ``/datasets/{owner}/{name}``; under either,
``/blob/{rev}/{path}`` shows a file and ``/resolve/{rev}/{path}`` downloads it (the download API).
"""

from __future__ import annotations

from urllib.parse import quote

from spacehost.domain import RepoKind


def repo_path(kind: RepoKind, repo_id: str) -> str:
    """The repo's page: ``/alice/bert`` or ``/datasets/alice/reviews``."""
    prefix = "/datasets" if kind is RepoKind.DATASET else ""
    return f"{prefix}/{quote(repo_id, safe='/')}"


def blob_path(kind: RepoKind, repo_id: str, revision: str, path: str) -> str:
    """The page showing one file of *revision*."""
    return f"{repo_path(kind, repo_id)}/blob/{quote(revision, safe='')}/{quote(path, safe='/')}"


def resolve_path(kind: RepoKind, repo_id: str, revision: str, path: str) -> str:
    """The file's bytes (``hf_hub_download``'s URL)."""
    return f"{repo_path(kind, repo_id)}/resolve/{quote(revision, safe='')}/{quote(path, safe='/')}"


def list_path(kind: RepoKind) -> str:
    """``/models`` or ``/datasets``."""
    return f"/{kind.plural}"


def kind_label(kind: RepoKind) -> str:
    """``Model`` or ``Dataset``."""
    return kind.value.capitalize()
