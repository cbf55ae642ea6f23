"""The URLs a page links to for a space, computed from the settings. Pure.

A space's page frames its app from the app's own host. Browsers keep storage (``localStorage``,
cookies) from a frame of another *site* (scheme and registrable domain; ports do not count), and
to Chromium ``localhost`` is a top-level domain: ``alice-demo.localhost`` is a site of its own,
cross-site to the platform at ``127.0.0.1`` or ``localhost`` (measured: a Gradio chat history in
such a frame throws ``SecurityError``). So on those hosts the page moves to its *page host*
``page.{owner}-{name}.{domain}``: a subdomain of the app's host, hence same-site with the app,
yet another origin (the app's script cannot reach the page, the platform's origin is never the
app's). See docs/embedding.md.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from spacehost.domain import SpaceId
from spacehost.hosts import PAGE_LABEL, host_name
from spacehost.lifecycle.contract import space_host
from spacehost.settings import Settings


@dataclass(frozen=True)
class SpaceUrls:
    """Where a space lives.

    Attributes:
        host: the app on its own host, ``http://owner-name.domain:port/`` (what to open, embed
            and call from code).
        path: the app under the platform's base URL, ``{base}/spaces/owner/name/``.
        page: the space's page on the platform, ``{base}/spaces/owner/name``.
    """

    host: str
    path: str
    page: str
    page_host: str = ""


def space_urls(space: SpaceId, settings: Settings) -> SpaceUrls:
    """The URLs of *space* under *settings* (the same as the API's ``urls``)."""
    base = settings.base_url
    scheme = base.split("://", 1)[0]
    host = space_host(space, settings)
    return SpaceUrls(
        host=f"{scheme}://{host}/",
        path=f"{base}/spaces/{space}/",
        page=f"{base}/spaces/{space}",
        page_host=f"{scheme}://{PAGE_LABEL}.{host}/spaces/{space}",
    )


def is_ip(name: str) -> bool:
    """True when *name* is an IPv4 or IPv6 address (no brackets), not a host name."""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def frames_cross_site(request_host: str, app_host: str) -> bool:
    """True when a page at *request_host* would frame the app at *app_host* from another site,
    in the setups where that is certain: the page on an IP address or on ``localhost`` / a
    ``*.localhost`` name outside the app's own subtree (``localhost`` is a top-level domain
    to browsers). Hosts under a real domain are left alone: put the platform and the spaces
    under one registrable domain there (docs/embedding.md).

    Args:
        request_host: the ``Host`` the page was asked for (any case, optional port).
        app_host: the app's host (``owner-name.domain[:port]``).
    """
    page, app = host_name(request_host), host_name(app_host)
    if page == app or page.endswith("." + app):
        return False
    return is_ip(page) or page == "localhost" or page.endswith(".localhost")


def gradio_js_url(settings: Settings, gradio_version: str) -> str:
    """The ``gradio.js`` spacehost serves for *gradio_version* (never a CDN's)."""
    return f"{settings.base_url}/static/gradio/{gradio_version}/gradio.js"
