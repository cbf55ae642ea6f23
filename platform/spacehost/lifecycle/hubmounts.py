"""Hub repos a space uses, mounted into its container (docs/hub.md, "Using hub repos in a
space").

A space's ``models:``, ``datasets:`` and ``preload_from_hub:`` entries are resolved against the
platform's hub when it deploys. Each repo's cache folder (huggingface_hub's layout, every
commit) is bind-mounted read-only at ``~/.cache/huggingface/hub/{models|datasets}--o--n``, so
``from_pretrained("o/n")``, ``snapshot_download`` & co. find it with ``HF_HUB_OFFLINE=1``.

Over the repo's ``refs/main`` goes a per-space file holding the commit resolved at deploy time:
a push to the repo afterwards does not change what a running space loads; its next deploy or
restart picks the new head up. The pin files are replaced by rename, so a container that still
serves during a redeploy keeps the file (inode) it was started with.

Pure except :func:`write_pins` and :func:`remove_pins`.
"""

from __future__ import annotations

import difflib
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from spacehost.atomicfile import write_atomic
from spacehost.domain import RepoKind, SpaceId, repo_cache_name
from spacehost.errors import EntryNotFound, RepoNotFound, RevisionNotFound, SpacehostError
from spacehost.manifest.model import Manifest
from spacehost.manifest.values import preload_spec
from spacehost.runtime.base import CONTAINER_HOME, Mount
from spacehost.runtime.hubsnapshot import HubSnapshot

HF_HOME = f"{CONTAINER_HOME}/.cache/huggingface"
HUB_CACHE = f"{HF_HOME}/hub"
DATASETS_CACHE = f"{HF_HOME}/datasets"
MAIN = "main"
_SUGGESTIONS = 3


class HubCommitLike(Protocol):
    @property
    def sha(self) -> str: ...

    def file(self, path: str) -> Any: ...


class HubRepoLike(Protocol):
    @property
    def repo_id(self) -> str: ...


class HubLookup(Protocol):
    """What resolving needs from the hub (``spacehost.store.HubStore`` is one)."""

    def resolve(self, kind: RepoKind, repo_id: str, revision: str = MAIN) -> HubCommitLike: ...

    def cache_dir(self, kind: RepoKind, repo_id: str) -> Path: ...

    def repos(self, kind: RepoKind | None = None) -> Sequence[HubRepoLike]: ...

    def moved_to(self, kind: RepoKind, repo_id: str) -> str | None: ...


@dataclass(frozen=True)
class HubRef:
    """One repo a manifest asks for. ``preload_from_hub`` entries are models, as on HF."""

    kind: RepoKind
    repo_id: str
    field: str  # "models" | "datasets" | "preload_from_hub"
    revision: str | None = None  # preload_from_hub's third word
    files: tuple[str, ...] = ()  # preload_from_hub's second word

    def summary(self) -> dict[str, Any]:
        """JSON-ready, for the manifest summary (``manifest["hub"]``)."""
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "repo_id": self.repo_id,
            "field": self.field,
        }
        if self.revision:
            out["revision"] = self.revision
        if self.files:
            out["files"] = list(self.files)
        return out


@dataclass(frozen=True)
class MountedRepo:
    """A repo resolved for one deploy: what is mounted, and the commit ``main`` is pinned to."""

    kind: RepoKind
    repo_id: str
    sha: str  # the head at deploy time; the container's refs/main
    cache_dir: Path  # on the host
    fields: tuple[str, ...]  # the manifest fields that named it
    stored_id: str = ""  # the id the hub stores it under, when moved (POST /api/repos/move)

    @property
    def cache_name(self) -> str:
        return repo_cache_name(self.kind, self.repo_id)

    @property
    def container_dir(self) -> str:
        return f"{HUB_CACHE}/{self.cache_name}"

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "repo_id": self.repo_id,
            "sha": self.sha,
            "fields": list(self.fields),
        }


def hub_refs(manifest: Manifest) -> tuple[HubRef, ...]:
    """The repos *manifest* names, in field order (``models``, ``datasets``, then
    ``preload_from_hub``), duplicates kept (each is checked)."""
    refs = [HubRef(RepoKind.MODEL, r, "models") for r in manifest.models]
    refs += [HubRef(RepoKind.DATASET, r, "datasets") for r in manifest.datasets]
    for entry in manifest.preload_from_hub:
        spec = preload_spec(entry)
        refs.append(
            HubRef(RepoKind.MODEL, spec.repo_id, "preload_from_hub", spec.revision, spec.files)
        )
    return tuple(refs)


def hub_summary(manifest: Manifest) -> list[dict[str, Any]]:
    """The repos *manifest* names, JSON-ready, one entry per (kind, repo id)."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for ref in hub_refs(manifest):
        key = (ref.kind.value, ref.repo_id)
        if key in seen:
            fields = seen[key].setdefault("fields", [seen[key].pop("field")])
            if ref.field not in fields:
                fields.append(ref.field)
        else:
            seen[key] = ref.summary()
    for entry in seen.values():
        if "field" in entry:
            entry["fields"] = [entry.pop("field")]
    return list(seen.values())


Readable = Callable[[RepoKind, str], bool]


def _everything(_kind: RepoKind, _repo_id: str) -> bool:
    return True


def resolve_refs(
    refs: Iterable[HubRef], hub: HubLookup | None, readable: Readable = _everything
) -> tuple[MountedRepo, ...]:
    """Resolve *refs* against *hub*: one :class:`MountedRepo` per (kind, repo id).

    *readable* says whether the space may read a repo (lifecycle/visibility.py's
    ``hub_reader``): one it may not read is reported exactly as one that does not exist, and
    is never suggested as a close name (private names do not leak).

    Raises:
        RepoNotFound: a repo is not on the platform, or the space may not read it (the message
            names the field and the repo, with close names when there are; the hint says how
            to push it).
        RevisionNotFound: a ``preload_from_hub`` revision the repo does not have.
        EntryNotFound: a ``preload_from_hub`` file the resolved commit does not have.
    """
    found: dict[tuple[RepoKind, str], MountedRepo] = {}
    for ref in refs:
        key = (ref.kind, ref.repo_id)
        if key in found:
            prev = found[key]
            _check_revision(ref, hub, readable)
            if ref.field not in prev.fields:
                found[key] = replace(prev, fields=(*prev.fields, ref.field))
            continue
        head = _resolve(ref, hub, MAIN, readable)
        _check_revision(ref, hub, readable)
        assert hub is not None  # _resolve raised otherwise
        stored = _stored_id(ref, hub, readable)
        found[key] = MountedRepo(
            ref.kind, ref.repo_id, head.sha, hub.cache_dir(ref.kind, stored), (ref.field,), stored
        )
    return tuple(found.values())


def _stored_id(ref: HubRef, hub: HubLookup, readable: Readable) -> str:
    """The id the repo *ref* names is stored under: its new one when it was moved (POST
    /api/repos/move) and the space may read it there. The space still sees it under the name
    its README.md gives (the mount's folder), so ``from_pretrained(old id)`` keeps working."""
    if "/" not in ref.repo_id:
        return ref.repo_id
    new = hub.moved_to(ref.kind, ref.repo_id)
    return new if new is not None and readable(ref.kind, new) else ref.repo_id


def _check_revision(ref: HubRef, hub: HubLookup | None, readable: Readable) -> None:
    """The preload revision exists and holds the preload files."""
    if not (ref.revision or ref.files):
        return
    commit = _resolve(ref, hub, ref.revision or MAIN, readable)
    for path in ref.files:
        try:
            commit.file(path)
        except EntryNotFound:
            raise EntryNotFound(
                f"{ref.field}: {ref.kind.value} {ref.repo_id} has no file {path!r} in revision "
                f"{ref.revision or MAIN} ({commit.sha[:12]})",
                hint=f"fix the entry in README.md, or push the file: spacehost push DIR "
                f"--type {ref.kind.value} --name {ref.repo_id}",
            ) from None


def _resolve(
    ref: HubRef, hub: HubLookup | None, revision: str, readable: Readable
) -> HubCommitLike:
    if hub is None:
        raise RepoNotFound(
            f"{ref.field}: this platform has no hub to load {ref.repo_id} from",
            hint="start the platform with its hub (spacehost up)",
        )
    if "/" not in ref.repo_id:
        raise RepoNotFound(
            f"{ref.field}: {ref.kind.value} {ref.repo_id!r} has no owner; repos on this platform "
            "are named owner/name",
            hint=f"push it with: spacehost push DIR --type {ref.kind.value} --name "
            f"OWNER/{ref.repo_id}, and name it so in README.md{_close_names(ref, hub, readable)}",
        )
    try:
        stored = _stored_id(ref, hub, readable)
        if not readable(ref.kind, stored):  # answered as a repo that does not exist
            raise RepoNotFound(f"{ref.repo_id} is not readable by this space")
        return hub.resolve(ref.kind, stored, revision)
    except RepoNotFound:
        raise RepoNotFound(
            f"{ref.field}: no {ref.kind.value} {ref.repo_id!r} on this platform"
            f"{_close_names(ref, hub, readable)}",
            hint=f"push it with: spacehost push DIR --type {ref.kind.value} --name "
            f"{ref.repo_id} (list them with: spacehost ls --type {ref.kind.value})",
        ) from None
    except RevisionNotFound:
        raise RevisionNotFound(
            f"{ref.field}: {ref.kind.value} {ref.repo_id} has no revision {revision!r}",
            hint="use a commit sha the repo has (its page lists them) or leave the revision "
            "out for the latest",
        ) from None


def _close_names(ref: HubRef, hub: HubLookup, readable: Readable) -> str:
    names = [r.repo_id for r in hub.repos(ref.kind) if readable(ref.kind, r.repo_id)]
    close = difflib.get_close_matches(ref.repo_id, names, n=_SUGGESTIONS, cutoff=0.6)
    if not close:
        bare = {n.partition("/")[2]: n for n in names}
        close = [bare[n] for n in difflib.get_close_matches(ref.repo_id, list(bare), n=1)]
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


# pins and mounts -------------------------------------------------------------------------------


def pin_dir(data_dir: Path, space: SpaceId) -> Path:
    """Where *space*'s pinned ``refs/main`` files live on the host."""
    return data_dir / "hub-pins" / space.slug


def hub_mounts(repos: Iterable[MountedRepo], pins: Path) -> tuple[Mount, ...]:
    """Read-only mounts of each repo's cache folder, and of its pin over ``refs/main``."""
    mounts: list[Mount] = []
    for repo in repos:
        mounts.append(Mount(str(repo.cache_dir), repo.container_dir))
        mounts.append(Mount(str(pins / repo.cache_name), f"{repo.container_dir}/refs/{MAIN}"))
    return tuple(mounts)


def hub_snapshots(repos: Iterable[MountedRepo]) -> tuple[HubSnapshot, ...]:
    """The commits a backend puts on a node itself when the host's folders are not there."""
    return tuple(
        HubSnapshot(r.kind.value, r.stored_id or r.repo_id, r.sha, r.container_dir) for r in repos
    )


def write_pins(repos: Iterable[MountedRepo], pins: Path) -> None:
    """Write each repo's pinned sha (temp file + rename: a running container keeps its own)."""
    pins.mkdir(parents=True, exist_ok=True)
    for repo in repos:
        write_atomic(pins / repo.cache_name, repo.sha, mode=0o644)  # read by the container's user


def remove_pins(pins: Path) -> None:
    """Forget a deleted space's pins."""
    shutil.rmtree(pins, ignore_errors=True)


def mount_error(exc: SpacehostError) -> str:
    """The CONFIG_ERROR message for a repo that could not be resolved."""
    return f"README.md: {exc}"
