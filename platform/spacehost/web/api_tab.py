"""The Use-via-API tab: the running app's ``/gradio_api/info``, fetched from its upstream and
turned into snippets by :mod:`spacehost.web.api_snippets`."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

import aiohttp

from spacehost.domain import Sdk
from spacehost.settings import Settings
from spacehost.store import SpaceRecord
from spacehost.web.api_examples import PREFIX as EXAMPLES
from spacehost.web.api_snippets import EndpointDoc, endpoint_docs
from spacehost.web.space_tabs import COPY_JS, copyable
from spacehost.web.urls import SpaceUrls, is_ip

INFO_TIMEOUT_S = 3.0  # a slow or hung app must not hold the page
INFO_MAX_BYTES = 1 << 20  # Gradio's own info is a few KiB; a bigger answer is not read
# One text for every failure: the reason (refused, reset, timed out, too big, redirected, not
# JSON) would tell a space which ports answer where the control plane runs (issue 11, A4).
FAILED = (
    "<p class=note id=api-unavailable>The app did not describe its API. Try again in a moment.</p>"
)


class InfoUnavailable(Exception):
    """The app's ``/gradio_api/info`` could not be read (why is deliberately not kept)."""


async def _read_capped(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The whole body, or InfoUnavailable as soon as it passes *max_bytes*."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(64 << 10):
        size += len(chunk)
        if size > max_bytes:
            raise InfoUnavailable
        chunks.append(chunk)
    return b"".join(chunks)


async def fetch_info(
    upstream: str, timeout: float = INFO_TIMEOUT_S, max_bytes: int = INFO_MAX_BYTES
) -> dict[str, Any]:
    """``GET http://{upstream}/gradio_api/info`` from the space's own container.

    Follows no redirect, reads at most *max_bytes* (no decompression), gives up after
    *timeout* seconds, ignores proxy settings.

    Raises:
        InfoUnavailable: for any failure, whatever it was.
    """
    timeouts = aiohttp.ClientTimeout(total=timeout)
    try:
        async with (
            aiohttp.ClientSession(
                timeout=timeouts, auto_decompress=False, trust_env=False
            ) as session,
            session.get(
                f"http://{upstream}/gradio_api/info",
                allow_redirects=False,
                headers={"Accept-Encoding": "identity"},
            ) as resp,
        ):
            if resp.status != 200 or (resp.content_length or 0) > max_bytes:
                raise InfoUnavailable
            body = await _read_capped(resp, max_bytes)
        info = json.loads(body)
    except (
        aiohttp.ClientError,
        TimeoutError,
        ValueError,
        UnicodeDecodeError,
        RecursionError,
    ) as exc:
        raise InfoUnavailable from exc
    if not isinstance(info, dict):
        raise InfoUnavailable
    return info


_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-:[]")


def _split_host(host: str) -> tuple[str, str]:
    """``(name, port)`` of a ``Host`` value (port "" when absent); IPv6 without brackets."""
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        return name, rest[1:] if rest.startswith(":") else ""
    name, sep, port = host.rpartition(":")
    return (name, port) if sep else (host, "")


def snippet_base(host: str, settings: Settings) -> str:
    """Where the visitor's snippets should call the platform: the page's own address when it
    is one the platform serves and every client resolves (the base URL's host, ``localhost``
    or an IP address, on the router's port), else the configured base URL. ``Host`` comes
    from the client: anything else (another name, a space's or page host under the domain,
    odd characters) falls back to the base URL."""
    base = settings.base_url
    scheme, _, rest = base.partition("://")
    host = host.strip().lower()
    if not host or not set(host) <= _HOST_CHARS:
        return base
    if host == rest.split("/", 1)[0].lower():
        return base
    name, port = _split_host(host)
    on_port = port == str(settings.port) or (not port and settings.port in (80, 443))
    if on_port and (name == "localhost" or is_ip(name)):
        return f"{scheme}://{host}"
    return base


def unavailable(rec: SpaceRecord) -> str | None:
    """Why the tab cannot show the API of *rec*, or None when it can ask the app."""
    if rec.manifest.get("sdk") != Sdk.GRADIO.value:
        return (
            f"This is an <code>sdk: {html.escape(str(rec.manifest.get('sdk')))}</code> "
            "space, not a Gradio app: it has no Gradio API to describe."
        )
    if not rec.stage.is_serving or not rec.upstream:
        return (
            f"The app is not running (stage {html.escape(rec.stage.value)}), so its API "
            "cannot be read now. It appears here once the space is RUNNING."
        )
    return None


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table class=types><tr>{th}</tr>{body}</table>"


def _endpoint(doc: EndpointDoc, index: int) -> str:
    params = [
        (
            p.name,
            p.python_type,
            p.component,
            json.dumps(p.default) if p.has_default else "required",
            json.dumps(p.example),
        )
        for p in doc.params
    ]
    returns = [(r.label, r.python_type, r.component) for r in doc.returns]
    return (
        f"<section class=endpoint data-api-name='{html.escape(doc.api_name, quote=True)}'>"
        f'<h2><code>api_name="{html.escape(doc.api_name)}"</code></h2>'
        "<h3>Parameters</h3>"
        + (
            _table(("name", "type", "component", "default", "example"), params)
            if params
            else "<p>none</p>"
        )
        + "<h3>Returns</h3>"
        + (_table(("label", "type", "component"), returns) if returns else "<p>nothing</p>")
        + copyable(f"api-python-{index}", "Python (gradio_client)", doc.python)
        + copyable(f"api-curl-{index}", "curl", doc.curl)
        + "</section>"
    )


def render_api(info: dict[str, Any], space_url: str, examples: str = "") -> str:
    """The tab for an app whose ``/gradio_api/info`` is *info*, called at *space_url*."""
    docs = endpoint_docs(info, space_url, examples)
    if not docs:
        return "<p>This app has no named API endpoints.</p>"
    intro = (
        "<p>Call this app from code. Install the client with "
        "<code>pip install gradio_client</code>; the curl call takes two steps: the POST "
        "answers an event id, the GET streams the result. Example files come from this "
        "platform, so the snippets run as they are, without Internet.</p>"
    )
    return intro + "".join(_endpoint(d, i) for i, d in enumerate(docs)) + COPY_JS


async def api_tab(rec: SpaceRecord, urls: SpaceUrls, host: str, settings: Settings) -> str:
    """The Use-via-API tab of *rec*, asking its running app for ``/gradio_api/info``; the
    snippets call the app at the path-style URL of the page the visitor is on (*host*)."""
    reason = unavailable(rec)
    if reason is not None:
        return f"<p class=note id=api-unavailable>{reason}</p>"
    assert rec.upstream is not None  # checked by unavailable()
    try:
        info = await fetch_info(rec.upstream)
    except InfoUnavailable:
        return FAILED
    base = snippet_base(host, settings)
    return render_api(info, f"{base}/spaces/{rec.id}/", base + EXAMPLES)
