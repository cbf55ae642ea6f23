"""A token that is not valid is refused (401) on every API call, as Hugging Face refuses it,
never read as anonymous (docs/accounts.md, "Tokens"): a mistyped or revoked token must not
quietly show a script only the public repos.

Two routes keep their own contract: the router's access check answers 404 for any credential
that may not read (spaceaccess.py), and the Xet CAS reads its own access token from
``Authorization`` (api/xet.py). Pages and spaces' status pages are left alone: a browser does
not send a token, and a space's own API may use ``Authorization`` for its own tokens.
"""

from __future__ import annotations

from aiohttp import web

from spacehost import access, headernames, spaceaccess
from spacehost.api.errors import Handler


def _checked(request: web.Request) -> bool:
    path = request.path
    if path == spaceaccess.CHECK_PATH or headernames.SPACE in request.headers:
        return False  # the router's check; a request for a space (its status page) is the space's
    return path.startswith("/api/") or "/resolve/" in path or ".git/info/lfs/" in path


@web.middleware
async def refuse_bad_tokens(request: web.Request, handler: Handler) -> web.StreamResponse:
    if _checked(request):
        access.actor(request)  # raises Unauthorized for a token that is not valid
    return await handler(request)
