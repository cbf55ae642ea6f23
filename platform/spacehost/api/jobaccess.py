"""Who may read a namespace's jobs (list, inspect, logs, live figures): its members and platform
admins (docs/jobs.md, "Who may do what"); writes are ``access.require_namespace_write``'s."""

from __future__ import annotations

from aiohttp import web

from spacehost import access
from spacehost.errors import Forbidden, Unauthorized
from spacehost.identity import Action, Actor, Kind, Resource, can


def require_read(request: web.Request) -> Actor:
    """Members of the namespace (and admins) read its jobs; others are refused."""
    ns = request.match_info["namespace"]
    who = access.actor(request)
    if can(who, Action.READ, Resource(Kind.NAMESPACE, ns, private=True)):
        return who
    if not who.signed_in:
        raise Unauthorized(f"the jobs of {ns} need a token", hint=access.TOKEN_HINT)
    raise Forbidden(
        f"{who.name} may not see the jobs of {ns}",
        hint=f"ask an admin of {ns} to make you a member, or use your own namespace",
    )
