"""Who the pages treat as a space's writer, and the namespaces a visitor may create in: what a
page shows (the Settings tab, the owners of "New space"). The API decides again on every write.
"""

from __future__ import annotations

import dataclasses

from aiohttp import web

from spacehost import access
from spacehost.domain import SpaceId
from spacehost.identity import Action, Actor, Kind, Role, Via, can


def _as_user(who: Actor) -> Actor:
    # a space pass is a signed-in user's, on the space's page host: the page there shows what
    # the user's session may do on the platform's host, where the Settings tab's calls go
    return dataclasses.replace(who, via=Via.SESSION) if who.via is Via.SPACE_PASS else who


def may_write(request: web.Request, space: SpaceId) -> bool:
    """True when the visitor may change *space* (the Settings tab is shown)."""
    who = _as_user(access.actor(request))
    return can(who, Action.WRITE, access.repo(request, Kind.SPACE, space.owner, space.name))


def writable_namespaces(request: web.Request) -> list[str]:
    """The namespaces the visitor may create repos in: their own, the organizations where they
    have ``write`` or ``admin``, every organization for an admin."""
    who = access.actor(request)
    if not who.writes or who.name is None:
        return []
    orgs = {o for o, role in who.orgs.items() if role in (Role.WRITE, Role.ADMIN)}
    if who.is_admin:
        orgs |= {o.name for o in access.accounts(request).list_orgs()}
    return [who.name, *sorted(orgs - {who.name})]
