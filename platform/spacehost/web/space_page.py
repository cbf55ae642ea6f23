"""The space's page ``/spaces/{owner}/{name}``: a header and tabs (``?tab=app|logs|api|embed|
files``, and ``settings`` for its writers), each a real link that works without script.

A private space's page is only reached by its readers (server/visibility.py 404s the others);
a signed-in reader's browser gets the space's per-space pass on the way to the app
(web/space_pass.py)."""

from __future__ import annotations

import asyncio
import html
from urllib.parse import quote

from aiohttp import web

from spacehost import access
from spacehost.appkeys import PLATFORM
from spacehost.domain import SpaceId, Stage
from spacehost.errors import InvalidSpaceName
from spacehost.hosts import page_host_label
from spacehost.identity import Kind
from spacehost.lifecycle.facade import Facade
from spacehost.store import LogLine, SpaceRecord
from spacehost.web import visible
from spacehost.web.api_tab import api_tab
from spacehost.web.csp import inline_script
from spacehost.web.disk_panel import disk_notice
from spacehost.web.failed_deploy import banner, failed_deploy
from spacehost.web.files_tab import files_revision, files_tab
from spacehost.web.gpu_panel import gpu_panel_for
from spacehost.web.hub.pages import repo_links, repos_of_space
from spacehost.web.layout import BADGE_JS, gradient, shell, stage_badge
from spacehost.web.settings_tab import SettingsView, settings_tab
from spacehost.web.space_pass import app_frame_src, page_host_target
from spacehost.web.space_tabs import (
    LOG_TAIL,
    LogPanes,
    app_tab,
    app_visible,
    embed_tab,
    logs_tab,
)
from spacehost.web.status import not_foundpage, status_log_tail
from spacehost.web.update_path import update_path_html
from spacehost.web.urls import SpaceUrls, frames_cross_site, gradio_js_url, space_urls
from spacehost.web.writers import may_write, writable_namespaces

TABS = (
    ("app", "App"),
    ("logs", "Logs"),
    ("api", "Use via API"),
    ("embed", "Embed"),
    ("files", "Files"),
)
SETTINGS = ("settings", "Settings")  # writers only
POLL_MS = 2500  # how often the page refreshes its stage badge
WAIT_POLL_MS = 500  # how often the App tab asks while it waits for the app to answer

_CSS = """<style>
.space-head{display:flex;flex-wrap:wrap;align-items:center;gap:8px 14px;margin:0 0 8px}
.space-head h1{margin:0;font-size:1.5rem;overflow-wrap:anywhere}
.space-head .emoji{font-size:2rem;border-radius:10px;padding:2px 8px}
.space-head.mini{margin:0 0 4px}.space-head.mini h1{font-size:1.05rem}
.space-head.mini .emoji{font-size:1.2rem;padding:0 4px}
.owner{color:#6b7280}.uses{margin:0 0 6px;font-size:.9rem}.uses a{text-decoration:none}
.desc{margin:4px 0 8px;color:#374151}.hw{color:#6b7280;font-size:.85rem}
.tabs{display:flex;flex-wrap:wrap;gap:4px;border-bottom:1px solid #e5e7eb;margin:8px 0 16px}
.tabs a{padding:8px 14px;text-decoration:none;color:#374151;border-bottom:2px solid transparent}
.tabs a.active{border-color:#2563eb;color:#1d4ed8;font-weight:600}
iframe.app{width:100%;height:calc(100vh - 190px);min-height:max(600px,calc(100vh - 190px));
border:1px solid #e5e7eb;border-radius:8px;background:#fff;display:block}
.snippet{margin:0 0 16px}.snippet-head{display:flex;align-items:center;gap:12px}
.snippet-head h3{margin:8px 0}.endpoint{border-top:1px solid #e5e7eb;margin-top:16px}
.files tr.selected td{background:#eff6ff}.size{color:#6b7280;text-align:right}
.readme{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px 20px;
margin-top:16px;overflow-wrap:anywhere}
.note{background:#fff7ed;border:1px solid #fed7aa;border-radius:8px;padding:10px 14px}
.failed-deploy{background:#fef2f2;border:1px solid #fecaca;border-radius:8px;padding:4px 14px;
margin:0 0 8px;overflow-wrap:anywhere}.failed-deploy p{margin:6px 0}
.failed-deploy details{margin:0 0 8px}#files-revision{color:#374151}
</style>"""


def parse_tab(value: str, writer: bool = False) -> str:
    """The tab a ``?tab=`` value names; anything unknown (and Settings for a visitor who may
    not write) is the App tab."""
    tabs = dict(TABS + ((SETTINGS,) if writer else ()))
    return value if value in tabs else "app"


def tab_bar(space: SpaceId, active: str, settings_base: str | None = None) -> str:
    """The tabs as plain links, the active one marked; a Settings tab when *settings_base* is
    given (the platform's base URL: its calls need the session, which a page host lacks)."""
    tabs = [(f"/spaces/{space}?tab={key}", key, label) for key, label in TABS]
    if settings_base is not None:
        key, label = SETTINGS
        tabs.append((f"{settings_base}/spaces/{space}?tab={key}", key, label))
    links = "".join(
        f"<a href='{html.escape(href, quote=True)}'"
        f"{' class=active aria-current=page' if key == active else ''}>{label}</a>"
        for href, key, label in tabs
    )
    return f"<nav class=tabs aria-label='space tabs'>{links}</nav>"


def header(rec: SpaceRecord, urls: SpaceUrls) -> str:
    """The full header, or one line when the README says ``header: mini``."""
    m, e = rec.manifest, html.escape
    title = e(str(m.get("title") or rec.id.name))
    bg = gradient(m.get("colorFrom"), m.get("colorTo"))
    emoji = f"<span class=emoji style='background:{bg}'>{e(str(m.get('emoji') or ''))}</span>"
    owner = f"<span class=owner>{e(rec.id.owner)} / {e(rec.id.name)}</span>"
    open_app = (
        f"<a id=open-app href='{e(urls.host, quote=True)}' target=_blank "
        "rel=noopener>Open app ↗</a>"
    )
    badge = stage_badge(rec.stage, id_="space-stage")
    if m.get("header") == "mini":
        return (
            f"<header class='space-head mini'>{emoji}<h1>{title}</h1>{owner}{badge}"
            f"{open_app}</header>"
        )
    hw = f"<span class=hw>hardware: {e(rec.hardware)}</span>"
    desc = str(m.get("short_description") or "")
    return (
        f"<header class=space-head>{emoji}<div><h1>{title}</h1>{owner}</div>{badge}{hw}"
        f"{open_app}</header>" + (f"<p class=desc>{e(desc)}</p>" if desc else "")
    )


def oembed_link(urls: SpaceUrls, base_url: str, title: str) -> str:
    """The ``<link>`` that lets oEmbed consumers discover the endpoint."""
    href = f"{base_url}/api/oembed?url={quote(urls.page, safe='')}"
    return (
        f"<link rel=alternate type='application/json+oembed' "
        f"href='{html.escape(href, quote=True)}' title='{html.escape(title, quote=True)}'>"
    )


_LIVE_JS = """<script>
(function(){
%(badge)s
var badge=document.getElementById('space-stage'),showing=%(showing)s,onApp=%(on_app)s;
var SERVING=['RUNNING','RUNNING_BUILDING','RUNNING_APP_STARTING'];
function poll(){fetch('/api/spaces/%(space)s',{cache:'no-store'})
  .then(function(r){return r.json();}).then(function(s){setBadge(badge,s.stage);
    // the App tab swaps between the app and its status page when the space goes up or down
    var up=s.stage==='RUNNING'||(s.cardData.sdk!=='static'&&SERVING.indexOf(s.stage)>=0);
    if(onApp&&up!==showing)location.reload();})
  .catch(function(){}).then(function(){setTimeout(poll,%(poll)d);});}
setTimeout(poll,%(poll)d);
})();
</script>"""


def render_page(
    rec: SpaceRecord,
    urls: SpaceUrls,
    base_url: str,
    tab: str,
    tab_html: str,
    uses: str = "",
    writer: bool = False,
) -> str:
    """The whole page: header, links to the hub repos it uses (*uses*, trusted HTML), tab bar
    (with Settings for a *writer*) and the active tab's HTML."""
    full = rec.manifest.get("fullWidth") and tab == "app"
    title = str(rec.manifest.get("title") or rec.id.name)
    showing = app_visible(rec)
    live = inline_script(
        _LIVE_JS
        % {
            "badge": BADGE_JS,
            "space": html.escape(str(rec.id)),
            "showing": str(showing).lower(),
            "on_app": str(tab == "app").lower(),
            "poll": POLL_MS if showing or tab != "app" else WAIT_POLL_MS,
        }
    )
    body = (
        f"{_CSS}{header(rec, urls)}{uses}{tab_bar(rec.id, tab, base_url if writer else None)}"
        f"<section id=tab-{tab} class=tab>{tab_html}</section>{live}"
    )
    return shell(
        f"{title} · {rec.id} · spacehost",
        body,
        head=oembed_link(urls, base_url, title),
        main_class="full" if full else "",
    )


async def _tab_html(
    platform: Facade,
    rec: SpaceRecord,
    urls: SpaceUrls,
    tab: str,
    path: str,
    rev: str,
    host: str = "",
    frame_src: str = "",
) -> str:
    if tab == "logs":
        return logs_tab(rec, await asyncio.to_thread(_log_panes, platform, rec))
    if tab == "api":
        return await api_tab(rec, urls, host, platform.settings)
    if tab == "embed":
        version = str(rec.manifest.get("sdk_version") or platform.settings.gradio_version)
        return embed_tab(rec, urls, gradio_js_url(platform.settings, version))
    if tab == "files":
        return await asyncio.to_thread(_files, platform, rec, path, rev)
    return app_tab(rec, urls, await status_log_tail(platform, rec), frame_src)


def _settings_view(request: web.Request, platform: Facade, rec: SpaceRecord) -> SettingsView:
    queries = platform.queries
    return SettingsView(
        space=str(rec.id),
        private=platform.is_private(rec.id),
        sleep_seconds=platform.runtime_info(rec.id).get("gcTimeout"),
        variables=queries.variables(rec.id),
        secrets=[s.key for s in queries.secrets(rec.id)],
        namespaces=writable_namespaces(request),
    )


def _log_panes(platform: Facade, rec: SpaceRecord) -> LogPanes:
    queries = platform.queries
    failed = failed_deploy(rec, queries.builds(rec.id, 5))
    builds = queries.builds(rec.id, 1)
    refs = queries.log_refs(rec.id, "run", 3)
    serving_ref = rec.container_id if rec.container_id in refs else ""
    others = [r for r in refs if r != serving_ref]
    failed_run: list[LogLine] = []
    if failed is not None and failed.built and others:  # the newest other run is the failed one
        failed_run = queries.logs(rec.id, "run", tail=LOG_TAIL, ref=others.pop(0))
    if not serving_ref and others and failed is None:
        others.pop(0)  # the live pane shows the newest run
    previous = queries.logs(rec.id, "run", tail=LOG_TAIL, ref=others[0]) if others else []
    return LogPanes(
        run_ref=serving_ref or "",
        build_revision=builds[0].revision if builds else "",
        failed=failed,
        failed_run=failed_run,
        previous=previous,
    )


def _files(platform: Facade, rec: SpaceRecord, path: str, rev: str) -> str:
    failed = failed_deploy(rec, platform.queries.builds(rec.id, 5))
    serving = rec.serving_revision or rec.revision
    shown = rev if failed is not None and rev == failed.revision else serving
    if not shown or not platform.queries.revision_exists(shown):
        return "<p>No files stored for this space.</p>"
    listing = platform.queries.revision_listing(shown)
    names = {p for p, _ in listing}
    base = platform.queries.revision_path(shown)

    def read(rel: str) -> bytes | None:
        # only a path the listing holds is ever opened: no traversal out of the revision
        return base.joinpath(rel).read_bytes() if rel in names else None

    content = read(path) if path else None
    readme = None if path else read("README.md")
    query = f"&rev={shown}" if shown != serving else ""
    return files_revision(str(rec.id), shown, serving or "", failed) + files_tab(
        listing, str(rec.id), path=path, content=content, readme=readme, query=query
    )


def _failure_banner(platform: Facade, rec: SpaceRecord) -> str:
    failed = failed_deploy(rec, platform.queries.builds(rec.id, 5))
    return banner(str(rec.id), failed) if failed is not None else ""


def _on_page_host(request: web.Request, platform: Facade) -> bool:
    return page_host_label(request.host, platform.settings.domain) is not None


async def space_page(request: web.Request) -> web.Response:
    """``GET /spaces/{owner}/{name}``: the page, or a 404 page for an unknown space."""
    platform: Facade = request.app[PLATFORM]
    owner, name = request.match_info["owner"], request.match_info["name"]
    try:
        rec = await asyncio.to_thread(platform.queries.find_space, SpaceId(owner, name))
    except InvalidSpaceName:
        rec = None
    if rec is None:
        return web.Response(
            text=not_foundpage(f"{owner}/{name}"), status=404, content_type="text/html"
        )
    writer = await asyncio.to_thread(may_write, request, rec.id)
    tab = parse_tab(request.query.get("tab", "app"), writer)
    urls = space_urls(rec.id, platform.settings)
    private = await asyncio.to_thread(
        lambda: access.repo(request, Kind.SPACE, rec.id.owner, rec.id.name).private
    )
    if tab == "settings" and _on_page_host(request, platform):
        # its calls need the session, which only the platform's host has
        raise web.HTTPFound(f"{platform.settings.base_url}/spaces/{rec.id}?tab=settings")
    if (
        tab == "app"
        and "text/html" in request.headers.get("Accept", "")
        and frames_cross_site(request.host, urls.host.split("/")[2])
    ):
        # the app frame would be another site here, and lose its storage: move next to it.
        # Browsers only (they resolve *.localhost; a script fetching the page may not). A
        # private space's page host and app get the visitor's pass on the way.
        target = await asyncio.to_thread(page_host_target, request, rec.id, private, urls.page_host)
        raise web.HTTPFound(target)
    if tab == "app" and rec.stage is Stage.SLEEPING:
        # opening the page is a visit: wake the space (the live script shows the app when up)
        await asyncio.to_thread(platform.wake, rec.id)
    if tab == "settings":
        view = await asyncio.to_thread(_settings_view, request, platform, rec)
        tab_html = settings_tab(view)
    else:
        frame_src = ""
        if tab == "app" and private:
            frame_src = await asyncio.to_thread(app_frame_src, request, rec.id, True, urls.host)
        tab_html = await _tab_html(
            platform,
            rec,
            urls,
            tab,
            request.query.get("path", ""),
            request.query.get("rev", ""),
            host=request.host,
            frame_src=frame_src,
        )
    uses = await asyncio.to_thread(_failure_banner, platform, rec)
    uses += update_path_html(await asyncio.to_thread(platform.queries.events, rec.id, 20))
    refs = await asyncio.to_thread(repos_of_space, platform, rec)
    uses += repo_links(visible.refs(request, refs))
    uses += await gpu_panel_for(platform, rec)
    uses += disk_notice(await asyncio.to_thread(platform.disk_usage, rec.id))
    text = render_page(rec, urls, platform.settings.base_url, tab, tab_html, uses, writer)
    return web.Response(text=text, content_type="text/html")
