"""spacehost.web.hub: the hub's server-rendered pages (a repo's card, the model and dataset
lists, "use this" snippets, which spaces use a repo) and the URLs they link to.

:func:`add_hub_routes` (pages.py) is the one entry point the control server mounts.
"""

from spacehost.web.hub.pages import add_hub_routes

__all__ = ["add_hub_routes"]
