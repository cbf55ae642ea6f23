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
        return actor.is_admin or actor.orgs.get(resource.namespace) is Role.ADMIN
    return actor.is_admin or _owns(actor, resource.namespace)


def _reads(actor: Actor, resource: Resource) -> bool:
    if not resource.private:
        return True
    if actor.name is None:
        return False
    if actor.via is Via.SPACE_PASS:
        return resource.kind is Kind.SPACE and actor.space == resource.repo_id
    return actor.is_admin or actor.name == resource.namespace or resource.namespace in actor.orgs


def _owns(actor: Actor, namespace: str) -> bool:
    return actor.name == namespace or actor.orgs.get(namespace) in _WRITE_ROLES
