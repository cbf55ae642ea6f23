"""spacehost.router: the platform's front door, a streaming HTTP/1.1 reverse proxy.

It maps a host (``{owner}-{name}.{domain}``) or a path (``/spaces/{owner}/{name}/``) to a live
space's container, serves static spaces from their folder, and forwards everything else to the
control plane's Unix socket. Run it as ``python -m spacehost.router``; see docs/router.md.
"""

from spacehost.router.server import Router, serve, start_router

__all__ = ["Router", "serve", "start_router"]
