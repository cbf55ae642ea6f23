"""What a page may show its visitor: private spaces, models and datasets only to those who may
read them (access.visible), so the gallery, the hub lists, "Spaces using this", a space's
"uses" links and oEmbed never name one to anyone else (docs/accounts.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from aiohttp import web

from spacehost import access
from spacehost.domain import RepoKind
from spacehost.identity import Kind
from spacehost.store import SpaceRecord

T = TypeVar("T")
KIND_OF = {RepoKind.MODEL: Kind.MODEL, RepoKind.DATASET: Kind.DATASET}


def _keep(request: web.Request, kind: Kind, items: Sequence[T], key: Callable[[T], str]) -> list[T]:
    allowed = set(access.visible(request, kind, [key(i) for i in items]))
    return [i for i in items if key(i) in allowed]


def spaces(request: web.Request, recs: Sequence[SpaceRecord]) -> list[SpaceRecord]:
    """The space records of *recs* the visitor may see."""
    return _keep(request, Kind.SPACE, recs, lambda r: str(r.id))


def repos(
    request: web.Request, kind: RepoKind, items: Sequence[T], key: Callable[[T], str]
) -> list[T]:
    """The models or datasets of *items* (repo id: ``key(item)``) the visitor may see."""
    return _keep(request, KIND_OF[kind], items, key)


def refs(request: web.Request, found: Sequence[tuple[RepoKind, str]]) -> list[tuple[RepoKind, str]]:
    """The (kind, repo id) references of *found* the visitor may see, in order."""
    ok = {
        kind: set(access.visible(request, KIND_OF[kind], [rid for k, rid in found if k is kind]))
        for kind in RepoKind
    }
    return [(kind, rid) for kind, rid in found if rid in ok[kind]]
