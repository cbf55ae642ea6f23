"""Which hub repos a space uses, and which spaces use a repo ("Spaces using this").

A space names repos in its README front matter: ``models:``, ``datasets:`` and
``preload_from_hub:`` (a preload entry is ``repo [files [revision]]`` and names a model). The
stored manifest summary carries them (``hub``: ``[{"kind", "repo_id"}]``, or the three raw
fields); for a summary without them the revision's README is read instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from spacehost.domain import RepoKind
from spacehost.errors import SpacehostError
from spacehost.manifest.frontmatter import find_front_matter, load_yaml, plain
from spacehost.store import SpaceRecord

RepoRef = tuple[RepoKind, str]
_KEYS = ("hub", "models", "datasets", "preload_from_hub")


def _names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in items if isinstance(v, str) and v.strip()]


def repos_named(fields: Mapping[str, Any]) -> list[RepoRef]:
    """The repos *fields* (a manifest summary or raw front matter) name, in order, once each."""
    refs: list[RepoRef] = []
    for entry in fields.get("hub") or []:
        if isinstance(entry, Mapping) and entry.get("kind") in ("model", "dataset"):
            refs.append((RepoKind(entry["kind"]), str(entry.get("repo_id", ""))))
    refs += [(RepoKind.MODEL, n) for n in _names(fields.get("models"))]
    refs += [(RepoKind.DATASET, n) for n in _names(fields.get("datasets"))]
    refs += [(RepoKind.MODEL, n.split()[0]) for n in _names(fields.get("preload_from_hub"))]
    unique: list[RepoRef] = []
    for ref in refs:
        if "/" in ref[1] and ref not in unique:
            unique.append(ref)
    return unique


def readme_fields(text: str) -> dict[str, Any]:
    """The front matter of a README (``{}`` when it has none or it does not parse)."""
    try:
        data = plain(load_yaml(find_front_matter(text)))
    except SpacehostError:
        return {}
    return data if isinstance(data, dict) else {}


def space_repos(rec: SpaceRecord, readme: Callable[[SpaceRecord], str | None]) -> list[RepoRef]:
    """The repos *rec* uses: from its stored summary, else from its README (``readme(rec)``)."""
    if any(key in rec.manifest for key in _KEYS):
        return repos_named(rec.manifest)
    text = readme(rec)
    return repos_named(readme_fields(text)) if text else []


def spaces_using(
    records: Iterable[SpaceRecord],
    kind: RepoKind,
    repo_id: str,
    readme: Callable[[SpaceRecord], str | None],
    old_names: Iterable[str] = (),
) -> list[SpaceRecord]:
    """The spaces among *records* that name the repo, or one of its *old_names* (a moved
    repo's: those spaces still load it), ids compared case-insensitively as HF resolves them;
    by id."""
    want = {(kind, name.lower()) for name in (repo_id, *old_names)}
    hits = [r for r in records if want & {(k, rid.lower()) for k, rid in space_repos(r, readme)}]
    return sorted(hits, key=lambda r: str(r.id))
