"""The JSON shapes of the hub API, as huggingface.co answers them (and huggingface_hub parses
them: ``ModelInfo``, ``DatasetInfo``, ``RepoFile``, ``RepoFolder``, ``GitRefs``,
``GitCommitInfo``). Pure functions of the store's records."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from spacehost.domain import RepoKind
from spacehost.errors import SpacehostError
from spacehost.manifest.frontmatter import find_front_matter, load_yaml, plain
from spacehost.store import HubCommit, HubFile, HubRepo
from spacehost.store.hubfiles import lfs_pointer

MAX_CARD = 512 * 1024  # README bytes read for cardData


def iso(ts: float) -> str:
    """HF's timestamp format: ``2024-01-31T12:00:00.000Z``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{int(ts * 1000) % 1000:03d}Z"
    )


def lfs_json(f: HubFile, oid_key: str) -> dict[str, Any] | None:
    if not f.lfs:
        return None
    return {oid_key: f.sha256, "size": f.size, "pointerSize": len(lfs_pointer(f.sha256, f.size))}


@functools.lru_cache(maxsize=256)
def card_from_blob(path: Path) -> dict[str, Any]:
    """A README's front matter as plain data (``{}`` when absent or malformed). Cached by blob
    path, which names the content (sha256), so an entry never goes stale."""
    try:
        with open(path, "rb") as fh:
            text = fh.read(MAX_CARD).decode("utf-8", "replace")
        data = plain(load_yaml(find_front_matter(text)))
    except (OSError, SpacehostError):
        return {}
    return data if isinstance(data, dict) else {}


def _words(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v) for v in items if isinstance(v, str | int | float) and str(v)]


def tags_of(kind: RepoKind, card: dict[str, Any]) -> list[str]:
    """HF-style tags: the card's ``tags``, its library, license, languages and task."""
    tags = _words(card.get("tags"))
    tags += _words(card.get("library_name"))
    tags += [f"license:{v}" for v in _words(card.get("license"))]
    tags += [
        f"language:{v}" if kind is RepoKind.DATASET else v for v in _words(card.get("language"))
    ]
    tags += _words(card.get("pipeline_tag"))
    tags += [f"task_categories:{v}" for v in _words(card.get("task_categories"))]
    return list(dict.fromkeys(tags))


def sibling(f: HubFile) -> dict[str, Any]:
    out: dict[str, Any] = {"rfilename": f.path, "size": f.size, "blobId": f.git_oid}
    if f.lfs:
        out["lfs"] = lfs_json(f, "sha256")
    return out


def repo_json(
    repo: HubRepo, commit: HubCommit, card: dict[str, Any], *, full: bool = True
) -> dict[str, Any]:
    """``GET /api/{models|datasets}/OWNER/NAME[/revision/REV]`` (and list items when not
    *full*)."""
    owner = repo.repo_id.split("/", 1)[0]
    out: dict[str, Any] = {
        "_id": hashlib.sha1(
            f"{repo.kind}/{repo.repo_id}".encode(), usedforsecurity=False
        ).hexdigest()[:24],
        "id": repo.repo_id,
        "author": owner,
        "sha": commit.sha,
        "lastModified": iso(commit.created_at),
        "createdAt": iso(repo.created_at),
        "private": False,
        "gated": False,
        "disabled": False,
        "downloads": 0,
        "likes": 0,
        "tags": tags_of(repo.kind, card),
        "usedStorage": repo.total_size,
    }
    if repo.kind is RepoKind.MODEL:
        out["modelId"] = repo.repo_id
        for key in ("library_name", "pipeline_tag"):
            if isinstance(card.get(key), str):
                out[key] = card[key]
    else:
        out["description"] = str(card.get("pretty_name", "")) or None
    if full:
        out["cardData"] = card
        out["siblings"] = [sibling(f) for f in commit.files]
        out["spaces"] = []
    return out


def file_entry(f: HubFile, last: HubCommit | None = None) -> dict[str, Any]:
    """A ``RepoFile`` of the tree and paths-info endpoints."""
    out: dict[str, Any] = {"type": "file", "oid": f.git_oid, "size": f.size, "path": f.path}
    if f.lfs:
        out["lfs"] = lfs_json(f, "oid")
    if last is not None:
        out["lastCommit"] = commit_ref(last)
    return out


def folder_entry(
    path: str, files: Iterable[HubFile], last: HubCommit | None = None
) -> dict[str, Any]:
    """A ``RepoFolder``; its oid is a hash of what it holds (stable for the same content)."""
    h = hashlib.sha1(usedforsecurity=False)
    for f in files:
        h.update(f"{f.path}\0{f.sha256}\n".encode())
    out: dict[str, Any] = {"type": "directory", "oid": h.hexdigest(), "size": 0, "path": path}
    if last is not None:
        out["lastCommit"] = commit_ref(last)
    return out


def title_of(commit: HubCommit) -> str:
    return commit.message.strip().split("\n", 1)[0] or "Push"


def commit_ref(commit: HubCommit) -> dict[str, Any]:
    return {"id": commit.sha, "title": title_of(commit), "date": iso(commit.created_at)}


def commit_json(commit: HubCommit, author: str) -> dict[str, Any]:
    """One item of ``GET .../commits/REV`` (``GitCommitInfo``)."""
    title = title_of(commit)
    body = (
        commit.message.strip().split("\n", 1)[1].strip() if "\n" in commit.message.strip() else ""
    )
    return {
        "id": commit.sha,
        "title": title,
        "message": body,
        "authors": [{"user": author}],
        "date": iso(commit.created_at),
        "parents": [commit.parent] if commit.parent else [],
        "formatted": {"title": title, "message": body},
    }


def refs_json(head: HubCommit) -> dict[str, Any]:
    """``GET .../refs``: one branch, ``main``."""
    return {
        "branches": [{"name": "main", "ref": "refs/heads/main", "targetCommit": head.sha}],
        "tags": [],
        "converts": [],
        "pullRequests": [],
    }


def git_refs_json(refs: dict[str, str], *, pull_requests: bool = True) -> dict[str, Any]:
    """``GET .../refs`` of a git repository's refs (full name -> commit sha): every branch
    (``main`` first) and tag; ``converts`` (required by the client) and pull requests empty."""
    branches = sorted(
        (r for r in refs if r.startswith("refs/heads/")), key=lambda r: (r != "refs/heads/main", r)
    )
    tags = sorted(r for r in refs if r.startswith("refs/tags/"))
    out: dict[str, Any] = {
        "branches": [_ref(r, refs[r], "refs/heads/") for r in branches],
        "tags": [_ref(r, refs[r], "refs/tags/") for r in tags],
        "converts": [],
    }
    if pull_requests:
        out["pullRequests"] = []
    return out


def _ref(ref: str, sha: str, prefix: str) -> dict[str, str]:
    return {"name": ref.removeprefix(prefix), "ref": ref, "targetCommit": sha}


def last_changes(commits_newest_first: list[HubCommit]) -> dict[str, HubCommit]:
    """For each path of the newest commit, the commit that last changed (or added) it."""
    last: dict[str, HubCommit] = {}
    before: dict[str, str] = {}
    for commit in reversed(commits_newest_first):
        for f in commit.files:
            if before.get(f.path) != f.sha256:
                last[f.path] = commit
        before = {f.path: f.sha256 for f in commit.files}
    return {p: c for p, c in last.items() if p in before}


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def tree_json(
    commit: HubCommit, folder: str, *, recursive: bool, last: dict[str, HubCommit] | None = None
) -> list[dict[str, Any]] | None:
    """The entries under *folder* ("" = the root): folders first, then files, each by path;
    everything below with *recursive*. None when *folder* is not a folder of *commit*."""
    prefix = f"{folder}/" if folder else ""
    inside = [f for f in commit.files if f.path.startswith(prefix)]
    if folder and not inside:
        return None
    folders: dict[str, list[HubFile]] = {}
    files: list[HubFile] = []
    for f in inside:
        rest = f.path[len(prefix) :]
        for d in _parents(rest) if recursive else _parents(rest)[:1]:
            folders.setdefault(prefix + d, []).append(f)
        if recursive or "/" not in rest:
            files.append(f)
    return [folder_entry(d, fs, _newest(fs, last)) for d, fs in sorted(folders.items())] + [
        file_entry(f, last.get(f.path) if last else None) for f in files
    ]


def _newest(files: list[HubFile], last: dict[str, HubCommit] | None) -> HubCommit | None:
    if not last:
        return None
    found = [last[f.path] for f in files if f.path in last]
    return max(found, key=lambda c: c.created_at) if found else None


def path_info_json(
    commit: HubCommit, paths: Iterable[str], last: dict[str, HubCommit] | None = None
) -> list[dict[str, Any]]:
    """``POST .../paths-info/REV``: an entry for each of *paths* that is a file or a folder;
    the others are left out, as HF does."""
    by_path = {f.path: f for f in commit.files}
    out: list[dict[str, Any]] = []
    for raw in paths:
        path = raw.strip("/")
        if path in by_path:
            out.append(file_entry(by_path[path], last.get(path) if last else None))
            continue
        inside = [f for f in commit.files if f.path.startswith(path + "/")] if path else []
        if inside:
            out.append(folder_entry(path, inside, _newest(inside, last)))
    return out
