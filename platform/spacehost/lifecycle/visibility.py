"""Which spaces are private, and which hub repos a space may mount: what the lifecycle needs of
the identity store (docs/accounts.md).

The route table carries each space's ``private`` flag (the router then serves it only to
visitors who may read it); a delete forgets it. A space mounts a hub repo only when its
namespace may read it (:func:`hub_reader`): a private repo of another namespace is, for the
space, a repo that does not exist. ``Accounts`` (identity/accounts.py) is the one
implementation; a platform without one (unit tests) has every space and repo public.
"""

from __future__ import annotations

from typing import Protocol

from spacehost.domain import RepoKind
from spacehost.identity import Action, Actor, Kind, Resource, Role, Via, can
from spacehost.lifecycle.hubmounts import Readable

SPACE = "space"


class Visibility(Protocol):
    def private_repos(self, kind: str) -> frozenset[str]: ...

    def set_private(self, kind: str, repo: str, private: bool) -> None: ...

    def namespace_actor(self, name: str) -> Actor: ...


class AllPublic:
    """Nothing is private (a platform without accounts)."""

    def private_repos(self, kind: str) -> frozenset[str]:
        return frozenset()

    def set_private(self, kind: str, repo: str, private: bool) -> None:
        if private:
            raise ValueError("this platform has no accounts, so nothing can be private")

    def namespace_actor(self, name: str) -> Actor:
        return Actor(name=name, via=Via.TOKEN, token_role=Role.READ)


def hub_reader(visibility: Visibility, namespace: str) -> Readable:
    """Whether a space of *namespace* may read a hub repo: the policy's READ
    (identity/policy.py) with the namespace as the reader (its user's organizations and admin
    flag count, as for the user's own read token)."""
    reader = visibility.namespace_actor(namespace)
    private: dict[RepoKind, frozenset[str]] = {}  # read once per kind, for this deploy

    def readable(kind: RepoKind, repo_id: str) -> bool:
        if kind not in private:
            private[kind] = visibility.private_repos(kind.value)
        owner, _, name = repo_id.partition("/")
        resource = Resource(Kind(kind.value), owner, name, repo_id in private[kind])
        return can(reader, Action.READ, resource)

    return readable
