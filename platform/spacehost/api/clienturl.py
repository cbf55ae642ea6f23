"""The platform's base URL as the client addressed it.

A client that reaches the platform at another address than ``SPACEHOST_URL`` -- a job at the
relay's ``http://GATEWAY:PORT`` (docs/jobs.md), a laptop at the host's LAN name -- must get back
URLs under that address: huggingface_hub parses the repo and commit URLs it is answered
(``RepoUrl``, ``CommitInfo``) and refuses a host that is not its ``HF_ENDPOINT``, and Xet URLs must
reach the same listener.
"""

from __future__ import annotations

from aiohttp import web

from spacehost import headernames
from spacehost.appkeys import PLATFORM


def public_base(request: web.Request) -> str:
    """``scheme://host[:port]`` as the client addressed us (no trailing slash)."""
    base = request.app[PLATFORM].settings.base_url
    proto = request.headers.get(headernames.FORWARDED_PROTO)
    scheme = proto or base.split("://", 1)[0]
    return f"{scheme}://{request.host}" if request.host else base
