"""policy.can as a table: every action × resource (public/private; the actor's own namespace,
an organization it belongs to, another namespace; every kind) × every kind of actor.

Each expected cell is written out by hand (never computed with ``can``), as six flags:
read public, read private, write public, write private, manage, admin (1 = allowed)."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from spacehost.identity import Action, Actor, Kind, Resource, Role, Via, can

ORG, OTHER, REPO = "acme", "zed", "demo"


def _member(role: Role, **extra: object) -> Actor:
    orgs = MappingProxyType({ORG: role})
    values: dict[str, object] = {"via": Via.TOKEN, "token_role": Role.WRITE, **extra}
    return Actor(name="ann", orgs=orgs, **values)  # type: ignore[arg-type]


ACTORS: dict[str, Actor] = {
    "anonymous": Actor(),
    "read member": _member(Role.READ),
    "write member": _member(Role.WRITE),
    "admin member": _member(Role.ADMIN),
    "write member, read token": _member(Role.WRITE, token_role=Role.READ),
    "write member, session": _member(Role.WRITE, via=Via.SESSION, token_role=None),
    "write member, pass for acme/demo": _member(
        Role.WRITE, via=Via.SPACE_PASS, token_role=None, space=f"{ORG}/{REPO}"
    ),
    "platform admin": Actor(name="root", is_admin=True, via=Via.TOKEN, token_role=Role.WRITE),
    "platform admin, read token": Actor(
        name="root", is_admin=True, via=Via.TOKEN, token_role=Role.READ
    ),
    "operator": Actor(name="admin", is_admin=True, via=Via.OPERATOR),
}

# (actor, whose namespace) -> flags for spaces, models and datasets (and the namespace itself)
EXPECTED: dict[tuple[str, str], str] = {
    ("anonymous", "own"): "100000",
    ("anonymous", "org"): "100000",
    ("anonymous", "other"): "100000",
    ("read member", "own"): "111100",
    ("read member", "org"): "110000",
    ("read member", "other"): "100000",
    ("write member", "own"): "111100",
    ("write member", "org"): "111100",
    ("write member", "other"): "100000",
    ("admin member", "own"): "111100",
    ("admin member", "org"): "111110",
    ("admin member", "other"): "100000",
    ("write member, read token", "own"): "110000",
    ("write member, read token", "org"): "110000",
    ("write member, read token", "other"): "100000",
    ("write member, session", "own"): "111100",
    ("write member, session", "org"): "111100",
    ("write member, session", "other"): "100000",
    ("write member, pass for acme/demo", "own"): "100000",
    ("write member, pass for acme/demo", "org"): "100000",
    ("write member, pass for acme/demo", "other"): "100000",
    ("platform admin", "own"): "111111",
    ("platform admin", "org"): "111111",
    ("platform admin", "other"): "111111",
    ("platform admin, read token", "own"): "110000",
    ("platform admin, read token", "org"): "110000",
    ("platform admin, read token", "other"): "110000",
    ("operator", "own"): "111111",
    ("operator", "org"): "111111",
    ("operator", "other"): "111111",
}
# the one cell where the kind matters: a space pass reads its own private space
PASS_READS_ITS_SPACE = ("write member, pass for acme/demo", "org", Kind.SPACE)


def _namespace(actor: Actor, whose: str) -> str:
    return {"own": actor.name or "ann", "org": ORG, "other": OTHER}[whose]


def _flags(actor: Actor, kind: Kind, namespace: str) -> str:
    name = "" if kind is Kind.NAMESPACE else REPO
    public, private = (Resource(kind, namespace, name, p) for p in (False, True))
    cells = [
        can(actor, Action.READ, public),
        can(actor, Action.READ, private),
        can(actor, Action.WRITE, public),
        can(actor, Action.WRITE, private),
        can(actor, Action.MANAGE, public),
        can(actor, Action.ADMIN, public),
    ]
    return "".join("1" if c else "0" for c in cells)


@pytest.mark.parametrize("kind", list(Kind), ids=str)
@pytest.mark.parametrize(("actor_name", "whose"), list(EXPECTED))
def test_can(actor_name: str, whose: str, kind: Kind) -> None:
    actor = ACTORS[actor_name]
    expected = EXPECTED[(actor_name, whose)]
    if (actor_name, whose, kind) == PASS_READS_ITS_SPACE:
        expected = "110000"
    assert _flags(actor, kind, _namespace(actor, whose)) == expected


def test_every_actor_kind_has_a_row() -> None:
    assert {a for a, _ in EXPECTED} == set(ACTORS)


def test_a_pass_reads_only_its_own_space() -> None:
    pass_actor = ACTORS["write member, pass for acme/demo"]
    assert can(pass_actor, Action.READ, Resource(Kind.SPACE, ORG, REPO, True))
    assert not can(pass_actor, Action.READ, Resource(Kind.SPACE, ORG, "other", True))
    assert not can(pass_actor, Action.READ, Resource(Kind.MODEL, ORG, REPO, True))
    assert not can(pass_actor, Action.WRITE, Resource(Kind.SPACE, ORG, REPO, True))


def test_names_compare_without_case_as_the_store_keeps_them() -> None:
    member = Actor(
        name="Mia",
        orgs=MappingProxyType({"acme": Role.WRITE}),
        via=Via.TOKEN,
        token_role=Role.WRITE,
    )
    assert can(member, Action.WRITE, Resource(Kind.SPACE, "ACME", "x"))
    assert can(member, Action.READ, Resource(Kind.MODEL, "Acme", "m", private=True))
    assert can(member, Action.WRITE, Resource(Kind.SPACE, "mia", "own"))
    assert not can(member, Action.WRITE, Resource(Kind.SPACE, "acme-2", "x"))
