"""Who may do what: one pure decision that the API, the pages, git and the router all ask.

``can(actor, action, resource)`` is the whole rule (docs/accounts.md has it as a table, and
tests/unit/identity/test_policy.py checks every cell):

- READ a public repo: anyone. A private one: its owner, members of its organization (any role),
  admins; a space pass only for its own space.
- WRITE (push, restart, delete, secrets, variables, sleep time, visibility, duplicate into):
  the owner, an organization's ``write`` and ``admin`` members, admins; never with a ``read``
  token or a space pass.
- MANAGE an organization (members, roles): its ``admin`` members and platform admins.
- ADMIN (users, organizations of others, sign-up): platform admins.
- Secrets' values never leave; their names need WRITE.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from spacehost.identity.actor import Actor, Via
from spacehost.identity.records import Role


class Action(StrEnum):
    READ = "read"
    WRITE = "write"
    MANAGE = "manage"
    ADMIN = "admin"


class Kind(StrEnum):
    SPACE = "space"
    MODEL = "model"
    DATASET = "dataset"
    BUCKET = "bucket"  # a Hugging Face Bucket (store/buckets.py): its privacy is its own
    NAMESPACE = "namespace"  # a user or organization itself (MANAGE, creating repos in it)


@dataclass(frozen=True)
class Resource:
    """What an action is on: a repo ``namespace/name`` of a kind, or a namespace itself."""

    kind: Kind
    namespace: str
    name: str = ""
    private: bool = False

    @property
    def repo_id(self) -> str:
        return f"{self.namespace}/{self.name}" if self.name else self.namespace


_WRITE_ROLES = frozenset({Role.WRITE, Role.ADMIN})


def can(actor: Actor, action: Action, resource: Resource) -> bool:
    """True when *actor* may do *action* on *resource*."""
    if action is Action.READ:
        return _reads(actor, resource)
    if not actor.writes:
        return False
    if action is Action.ADMIN:
        return actor.is_admin
    if action is Action.MANAGE:
        return actor.is_admin or _role_in(actor, resource.namespace) is Role.ADMIN
    return actor.is_admin or _owns(actor, resource.namespace)


def _reads(actor: Actor, resource: Resource) -> bool:
    if not resource.private:
        return True
    if actor.name is None:
        return False
    if actor.via is Via.SPACE_PASS:
        return (
            resource.kind is Kind.SPACE and (actor.space or "").lower() == resource.repo_id.lower()
        )
    return (
        actor.is_admin
        or _same(actor.name, resource.namespace)
        or _role_in(actor, resource.namespace) is not None
    )


def _same(a: str | None, b: str) -> bool:
    """Names compare without case, as the identity store keeps them (one ``Acme``, ``acme``)."""
    return a is not None and a.lower() == b.lower()


def _role_in(actor: Actor, namespace: str) -> Role | None:
    found = actor.orgs.get(namespace)
    if found is not None:
        return found
    return next((r for org, r in actor.orgs.items() if _same(org, namespace)), None)


def _owns(actor: Actor, namespace: str) -> bool:
    return _same(actor.name, namespace) or _role_in(actor, namespace) in _WRITE_ROLES
