"""Pages for a space that cannot answer itself: unknown, building, starting, failed, stopped.

The router forwards a request addressed to a space without a live upstream here, naming the
space in ``X-Spacehost-Space`` (:data:`spacehost.headernames.SPACE`). Browsers get an HTML page
that follows the build log live and reloads into the app when it runs; API clients get the JSON
error shape.
"""

from __future__ import annotations

import asyncio
import html

from aiohttp import web

from spacehost import headernames
from spacehost.builder.buildlog import concise
from spacehost.domain import SpaceId, Stage
from spacehost.errors import InvalidSpaceName, error_body
from spacehost.lifecycle.facade import Facade
from spacehost.store import SpaceRecord
from spacehost.web.csp import inline_script
from spacehost.web.favicon import LINK as FAVICON

_TEXT = {
    Stage.BUILDING: (
        "Building",
        "The space is being built. This page follows the build log and "
        "turns into the app when it is ready.",
    ),
    Stage.RUNNING_BUILDING: ("Building", "A new revision is being built."),
    Stage.APP_STARTING: (
        "Starting",
        "The app is starting. This page turns into the app when it answers.",
    ),
    Stage.RUNNING_APP_STARTING: ("Starting", "A new revision is starting."),
    Stage.BUILD_ERROR: (
        "Build error",
        "The build failed. Fix the space and push again; the log "
        "tail is below (`spacehost logs --build OWNER/NAME` shows all of it).",
    ),
    Stage.RUNTIME_ERROR: (
        "Runtime error",
        "The app stopped. Its log tail is below; push a fix or `spacehost restart OWNER/NAME`.",
    ),
    Stage.CONFIG_ERROR: (
        "Configuration error",
        "The space asks for something this host cannot give. See the message below.",
    ),
    Stage.NO_APP_FILE: ("No app file", "The space has no app file to run."),
    Stage.SLEEPING: (
        "Waking up…",
        "The space was asleep and is waking up. This page turns into the app when it answers.",
    ),
    Stage.PAUSED: (
        "Paused",
        "The space was paused by its owner. Visits do not wake it; its "
        "owner starts it again with `spacehost restart`.",
    ),
    Stage.STOPPED: ("Stopped", "The space is stopped."),
    Stage.DELETING: ("Deleting", "The space is being deleted."),
}

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f7f7f8;color:#1f2328}
main{max-width:900px;margin:48px auto;padding:0 16px}
h1{font-size:1.6rem;margin:.2em 0} .stage{display:inline-block;padding:2px 10px;border-radius:12px;
background:#e5e7eb;font-size:.85rem;font-weight:600} .err{background:#fee2e2;color:#991b1b}
pre{background:#0d1117;color:#e6edf3;padding:12px;border-radius:8px;overflow:auto;max-height:420px;
font-size:.8rem;white-space:pre-wrap} a{color:#2563eb}
"""

_FOLLOW_JS = """
<script>
(function(){
  var pre=document.getElementById('log');
  var src=new EventSource('/api/spaces/%(space)s/logs?kind=build&follow=1&tail=40');
  src.onmessage=function(e){var d=JSON.parse(e.data);pre.textContent+=d.data+'\\n';
    pre.scrollTop=pre.scrollHeight;};
  // Ask for this very URL: once the app answers it, the status header is gone. (Polling the
  // API here would fail: on a space's own host the app owns /api/ as soon as it runs.)
  function poll(){fetch(location.href,{headers:{Accept:'text/html'},cache:'no-store'})
    .then(function(r){var st=r.headers.get('%(status_header)s');
      if(!st||%(errors)s.indexOf(st)>=0){location.reload()}else{setTimeout(poll,1000)}})
    .catch(function(){setTimeout(poll,2000)});}
  setTimeout(poll,1000);
})();
</script>
"""


def page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{html.escape(title)}</title>{FAVICON}<style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def _wants_html(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return "text/html" in accept


def not_foundpage(space: str) -> str:
    return page(
        "Space not found",
        (
            f"<h1>404 — no space named {html.escape(space)}</h1>"
            "<p>Check the name, or push it with "
            "<code>spacehost push DIR --name OWNER/NAME</code>.</p>"
            "<p><a href='/'>See all spaces</a></p>"
        ),
    )


async def status_log_tail(platform: Facade, rec: SpaceRecord, lines: int = 40) -> str:
    """The log tail a status page shows: the run log after a crash, the build log after a failed
    build, nothing while the page follows the build live."""
    if not rec.stage.is_error:
        return ""
    kind = "run" if rec.stage is Stage.RUNTIME_ERROR else "build"
    if kind == "run":
        tail = await asyncio.to_thread(platform.queries.logs, rec.id, kind, tail=lines)
        return "\n".join(ln.line for ln in tail)
    # the concise build log (builder/buildlog.py): what the failing step printed, no noise
    wide = await asyncio.to_thread(platform.queries.logs, rec.id, kind, tail=lines * 4)
    return "\n".join([ln.line for ln in wide if concise(ln.line)][-lines:])


def status_fragment(rec: SpaceRecord, log_text: str) -> str:
    """The stage, what it means, the error message and *log_text*, escaped (an HTML fragment;
    the space page's App tab shows it in place of the app)."""
    title, text = _TEXT.get(rec.stage, (rec.stage.value, ""))
    err_cls = " err" if rec.stage.is_error else ""
    body = (
        f"<p><span class='stage{err_cls}' id=stage>{html.escape(rec.stage.value)}</span> "
        f"{html.escape(title)}</p><p>{html.escape(text)}</p>"
    )
    if rec.error_message:
        body += f"<h2>Error</h2><pre id=error>{html.escape(rec.error_message)}</pre>"
    return body + f"<h2>Log</h2><pre id=log>{html.escape(log_text)}\n</pre>"


def unknown_space(request: web.Request, space_text: str) -> web.Response:
    """The answer for a space that does not exist (or is private to this visitor: the same)."""
    if _wants_html(request):
        return web.Response(text=not_foundpage(space_text), status=404, content_type="text/html")
    missing = f"space {space_text} does not exist"
    return web.json_response(
        error_body("space_not_found", missing, "list spaces with `spacehost ls`"), status=404
    )


async def space_status(request: web.Request, platform: Facade, space_text: str) -> web.Response:
    """Answer for a space that has no live upstream (or does not exist)."""
    try:
        space = SpaceId.parse(space_text)
        rec = await asyncio.to_thread(platform.queries.find_space, space)
    except InvalidSpaceName:
        rec = None
    if rec is None:
        return unknown_space(request, space_text)
    if rec.stage is Stage.SLEEPING:
        # a visit wakes it (the router asks too; concurrent wakes share one)
        await asyncio.to_thread(platform.wake, space)
    title, text = _TEXT.get(rec.stage, (rec.stage.value, ""))
    status = 503
    if not _wants_html(request):
        return web.json_response(
            error_body(
                "space_not_running",
                f"space {space} is {rec.stage.value}",
                rec.error_message or text,
                stage=rec.stage.value,
            ),
            status=status,
            headers={"Retry-After": "2"},
        )
    log_text = await status_log_tail(platform, rec)
    m = rec.manifest
    body = (
        f"<p>{html.escape(str(m.get('emoji', '')))} {html.escape(str(space))}</p>"
        f"<h1>{html.escape(str(m.get('title', space.name)))}</h1>" + status_fragment(rec, log_text)
    )
    if not rec.stage.is_error:
        errors = '["BUILD_ERROR","RUNTIME_ERROR","CONFIG_ERROR","NO_APP_FILE"]'
        body += inline_script(
            _FOLLOW_JS
            % {
                "space": html.escape(str(space)),
                "errors": errors,
                "status_header": headernames.STATUS,
            }
        )
    return web.Response(
        text=page(f"{title} · {space}", body),
        status=status,
        content_type="text/html",
        headers={headernames.STATUS: rec.stage.value},
    )
