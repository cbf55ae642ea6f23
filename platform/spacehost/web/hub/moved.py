"""A moved model's or dataset's old page (``POST /api/repos/move``): redirected to the same
page under the new id, as huggingface.co does, when the visitor may see the repo there; for
anyone else the old id stays the plain 404 page (a private repo's new name is never shown)."""

from __future__ import annotations

import re

from aiohttp import web

from spacehost.domain import RepoKind
from spacehost.errors import Unauthorized
from spacehost.store.hub import HubStore
from spacehost.web import visible


def moved_page(
    request: web.Request, hub: HubStore, kind: RepoKind, repo_id: str
) -> web.Response | None:
    """307 to the page under the repo's new id, or None (not moved, or not the visitor's to
    see). May block: call it in a thread."""
    new = hub.moved_to(kind, repo_id)
    try:
        if new is None or not visible.repos(request, kind, [new], str):
            return None
    except Unauthorized:  # a token that is not valid sees what an anonymous visitor sees
        return None
    prefix = "/datasets" if kind is RepoKind.DATASET else ""
    pattern = "^" + re.escape(prefix) + "/" + re.escape(repo_id) + r"(?=[/?]|$)"
    where = re.sub(pattern, f"{prefix}/{new}", request.raw_path, count=1)
    return web.Response(status=307, headers={"Location": where}, text=f"moved to {new}\n")
