"""Response headers of the platform's pages and hub files (issue 11, A7), over real HTTP: the
page CSP names exactly the scripts the page passed through csp.py, nosniff is on every
response, and repo files get a sandbox and never an active type inline."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from types import SimpleNamespace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from spacehost import appkeys
from spacehost.api.hub import file_type_headers
from spacehost.settings import Settings
from spacehost.web.csp import inline_script, nosniff, page_headers, script_constant

FIXED = script_constant("<script>document.title='fixed'</script>")


def sha(body: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"


def app() -> web.Application:
    async def page(request: web.Request) -> web.Response:
        name = request.query.get("name", "x")
        script = inline_script(f"<script>var who={name!r};</script>")
        # markup that did not come through csp.py: the policy must not allow it
        stray = "<script>alert(1)</script>"
        return web.Response(text=f"<p>hi</p>{script}{FIXED}{stray}", content_type="text/html")

    async def own(request: web.Request) -> web.Response:
        return web.Response(
            text="<p>file</p>",
            content_type="text/html",
            headers={"Content-Security-Policy": "sandbox"},
        )

    async def data(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    application = web.Application(middlewares=[page_headers])
    application.on_response_prepare.append(nosniff)
    settings = Settings(port=8000, domain="localhost")
    application[appkeys.PLATFORM] = SimpleNamespace(settings=settings)  # type: ignore[misc]
    application.router.add_get("/page", page)
    application.router.add_get("/own", own)
    application.router.add_get("/data", data)
    return application


def test_pages_get_a_policy_with_their_own_script_hashes_only() -> None:
    async def main() -> None:
        async with TestClient(TestServer(app())) as client:
            first = await client.get("/page", params={"name": "ann"})
            second = await client.get("/page", params={"name": "bob"})
            own = await client.get("/own")
            data = await client.get("/data")
            policies = [r.headers["Content-Security-Policy"] for r in (first, second)]
            assert sha("var who='ann';") in policies[0] and sha("var who='bob';") in policies[1]
            assert sha("var who='bob';") not in policies[0]  # per request, not accumulated
            for policy in policies:
                assert sha("document.title='fixed'") in policy
                assert (
                    sha("alert(1)") not in policy
                    and "'unsafe-inline'" not in policy.split("style-src")[0]
                )
                assert "frame-src 'self' http://*.localhost:8000" in policy
                assert "object-src 'none'" in policy and "base-uri 'none'" in policy
            assert own.headers["Content-Security-Policy"] == "sandbox"  # kept
            assert "Content-Security-Policy" not in data.headers
            for resp in (first, own, data):
                assert resp.headers["X-Content-Type-Options"] == "nosniff"

    asyncio.run(main())


def test_inline_script_takes_one_whole_element() -> None:
    with pytest.raises(ValueError):
        inline_script("var x = 1;")


@pytest.mark.parametrize(
    ("name", "kind", "disposition"),
    [
        ("page.html", "text/plain; charset=utf-8", "attachment"),
        ("logo.svg", "text/plain; charset=utf-8", "attachment"),
        ("feed.xml", "text/plain; charset=utf-8", "attachment"),
        ("app.js", "text/plain; charset=utf-8", "attachment"),
        ("page.xhtml", "text/plain; charset=utf-8", "attachment"),
        ("README.md", "text/markdown", "inline"),
        ("config.json", "application/json", "inline"),
        ("notes.txt", "text/plain", "inline"),
        ("cat.png", "image/png", "inline"),
        ("model.safetensors", "application/octet-stream", "attachment"),
    ],
)
def test_repo_files_never_come_as_an_active_type_inline(
    name: str, kind: str, disposition: str
) -> None:
    headers = file_type_headers(name)
    assert headers["Content-Type"] == kind
    assert headers["Content-Disposition"].startswith(disposition + ";")
    assert headers["Content-Security-Policy"].endswith("sandbox")
    assert "default-src 'none'" in headers["Content-Security-Policy"]
