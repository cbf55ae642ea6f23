"""The Use-via-API tab: the running app's ``/gradio_api/info``, fetched from its upstream and
turned into snippets by :mod:`spacehost.web.api_snippets`."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

import aiohttp

from spacehost.domain import Sdk
from spacehost.store import SpaceRecord
from spacehost.web.api_snippets import EndpointDoc, endpoint_docs
from spacehost.web.space_tabs import COPY_JS, copyable

INFO_TIMEOUT_S = 3.0  # a slow or hung app must not hold the page


async def fetch_info(upstream: str, timeout: float = INFO_TIMEOUT_S) -> dict[str, Any]:
    """``GET http://{upstream}/gradio_api/info``; raises on any failure or a non-object answer."""
    timeouts = aiohttp.ClientTimeout(total=timeout)
    async with (aiohttp.ClientSession(timeout=timeouts) as session,
                session.get(f"http://{upstream}/gradio_api/info") as resp):
        resp.raise_for_status()
        info = await resp.json(content_type=None)
    if not isinstance(info, dict):
        raise ValueError("/gradio_api/info did not answer a JSON object")
    return info


def unavailable(rec: SpaceRecord) -> str | None:
    """Why the tab cannot show the API of *rec*, or None when it can ask the app."""
    if rec.manifest.get("sdk") != Sdk.GRADIO.value:
        return (f"This is an <code>sdk: {html.escape(str(rec.manifest.get('sdk')))}</code> "
                "space, not a Gradio app: it has no Gradio API to describe.")
    if not rec.stage.is_serving or not rec.upstream:
        return (f"The app is not running (stage {html.escape(rec.stage.value)}), so its API "
                "cannot be read now. It appears here once the space is RUNNING.")
    return None


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table class=types><tr>{th}</tr>{body}</table>"


def _endpoint(doc: EndpointDoc, index: int) -> str:
    params = [(p.name, p.python_type, p.component,
               json.dumps(p.default) if p.has_default else "required", json.dumps(p.example))
              for p in doc.params]
    returns = [(r.label, r.python_type, r.component) for r in doc.returns]
    return (f"<section class=endpoint data-api-name='{html.escape(doc.api_name, quote=True)}'>"
            f"<h2><code>api_name=\"{html.escape(doc.api_name)}\"</code></h2>"
            "<h3>Parameters</h3>"
            + (_table(("name", "type", "component", "default", "example"), params)
               if params else "<p>none</p>")
            + "<h3>Returns</h3>"
            + (_table(("label", "type", "component"), returns) if returns else "<p>nothing</p>")
            + copyable(f"api-python-{index}", "Python (gradio_client)", doc.python)
            + copyable(f"api-curl-{index}", "curl", doc.curl) + "</section>")


def render_api(info: dict[str, Any], space_url: str) -> str:
    """The tab for an app whose ``/gradio_api/info`` is *info*."""
    docs = endpoint_docs(info, space_url)
    if not docs:
        return "<p>This app has no named API endpoints.</p>"
    intro = ("<p>Call this app from code. Install the client with "
             "<code>pip install gradio_client</code>; the curl call takes two steps: the POST "
             "answers an event id, the GET streams the result.</p>")
    return intro + "".join(_endpoint(d, i) for i, d in enumerate(docs)) + COPY_JS


async def api_tab(rec: SpaceRecord, space_url: str) -> str:
    """The Use-via-API tab of *rec*, asking its running app for ``/gradio_api/info``."""
    reason = unavailable(rec)
    if reason is not None:
        return f"<p class=note id=api-unavailable>{reason}</p>"
    assert rec.upstream is not None  # checked by unavailable()
    try:
        info = await fetch_info(rec.upstream)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return ("<p class=note id=api-unavailable>The app did not describe its API "
                f"({html.escape(type(exc).__name__)}). Try again in a moment.</p>")
    return render_api(info, space_url)
