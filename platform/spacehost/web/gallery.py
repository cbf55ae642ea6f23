"""The gallery at ``/``: a card per space, pinned first, searchable, filterable, sorted and
paged.

Filtering happens on the server (``?q=&tag=&sdk=&stage=``, so a filtered view is a link that works
without script) and again in the browser as you type. ``?sort=`` orders the cards (``name``, the
default; ``newest``: last created first; ``active``: the last visited first, as the router saw
it), pinned spaces first whatever the order. ``?page=`` (from 1) and ``?per=`` (cards a page,
1-100, default 24) cut the matching spaces into pages, with links to the pages around. When every
space fits on one page, the ones that do not match are rendered ``hidden`` too, so clearing the
search shows them without a reload.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from spacehost.activityfile import read_activities
from spacehost.appkeys import PLATFORM
from spacehost.lifecycle.facade import Facade
from spacehost.store import SpaceRecord
from spacehost.web import visible
from spacehost.web.csp import inline_script
from spacehost.web.failed_deploy import gallery_marker
from spacehost.web.layout import BADGE_JS, gradient, shell, stage_badge

POLL_MS = 2500  # how often the gallery refreshes its stage badges from /api/spaces


SORTS = (("name", "Name"), ("newest", "Newest"), ("active", "Recently active"))
PER_PAGE = 24
MAX_PER_PAGE = 100


def _int(value: str, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high)
    except ValueError:
        return default


@dataclass(frozen=True)
class GalleryQuery:
    """What the visitor asked for; empty strings match everything.

    Attributes:
        sort: a :data:`SORTS` key (anything else is ``name``).
        page: the page shown, from 1.
        per: cards a page.
    """

    q: str = ""
    tag: str = ""
    sdk: str = ""
    stage: str = ""
    sort: str = "name"
    page: int = 1
    per: int = PER_PAGE

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> GalleryQuery:
        q, tag, sdk, stage = (query.get(k, "").strip()[:200] for k in ("q", "tag", "sdk", "stage"))
        sort = query.get("sort", "name")
        return cls(
            q,
            tag,
            sdk,
            stage,
            sort=sort if sort in dict(SORTS) else "name",
            page=_int(query.get("page", "1"), 1, 1, 1 << 20),
            per=_int(query.get("per", str(PER_PAGE)), PER_PAGE, 1, MAX_PER_PAGE),
        )

    def link(self, **changes: Any) -> str:
        """This view's URL (``/?...``) with *changes*; defaults are left out."""
        view = replace(self, **changes)
        params = {
            "q": view.q,
            "tag": view.tag,
            "sdk": view.sdk,
            "stage": view.stage,
            "sort": "" if view.sort == "name" else view.sort,
            "page": "" if view.page == 1 else str(view.page),
            "per": "" if view.per == PER_PAGE else str(view.per),
        }
        qs = urlencode({k: v for k, v in params.items() if v})
        return f"/?{qs}" if qs else "/"


def _tags(rec: SpaceRecord) -> list[str]:
    tags = rec.manifest.get("tags") or []
    return [str(t) for t in tags] if isinstance(tags, list) else []


def search_text(rec: SpaceRecord) -> str:
    """What the text search looks in: title, id, short description and tags, lower case."""
    m = rec.manifest
    parts = [str(m.get("title", "")), str(rec.id), str(m.get("short_description", "")), *_tags(rec)]
    return " ".join(parts).lower()


def matches(rec: SpaceRecord, query: GalleryQuery) -> bool:
    """True when *rec* passes every filter of *query* (text: every word must appear)."""
    text = search_text(rec)
    if any(word not in text for word in query.q.lower().split()):
        return False
    if query.tag and query.tag.lower() not in (t.lower() for t in _tags(rec)):
        return False
    if query.sdk and query.sdk != str(rec.manifest.get("sdk", "")):
        return False
    return not query.stage or query.stage == rec.stage.value


def ordered(
    recs: Sequence[SpaceRecord], sort: str = "name", last_seen: Mapping[str, float] | None = None
) -> list[SpaceRecord]:
    """Pinned spaces first, then by *sort*: ``name`` (the id), ``newest`` (created last
    first) or ``active`` (*last_seen* -- the router's last request, by ``owner/name`` -- or else
    the record's last change, latest first); ties by id."""
    seen = last_seen or {}
    by_id = sorted(recs, key=lambda r: str(r.id))

    def key(r: SpaceRecord) -> float:
        if sort == "newest":
            return -r.created_at
        if sort == "active":
            return -seen.get(str(r.id), r.updated_at)
        return 0.0

    return sorted(by_id, key=lambda r: (not r.manifest.get("pinned"), key(r)))


def pager(query: GalleryQuery, total: int) -> str:
    """Links to the previous and next pages of *total* matching spaces ("" for one page)."""
    pages = max(1, -(-total // query.per))
    if pages == 1:
        return ""
    page = min(query.page, pages)
    prev = (
        f"<a rel=prev href='{html.escape(query.link(page=page - 1), quote=True)}'>← Previous</a>"
        if page > 1
        else ""
    )
    nxt = (
        f"<a rel=next href='{html.escape(query.link(page=page + 1), quote=True)}'>Next →</a>"
        if page < pages
        else ""
    )
    return (
        f"<nav class=pager aria-label=pages>{prev}<span id=page-of>Page {page} of {pages}"
        f"</span>{nxt}</nav>"
    )


def card(rec: SpaceRecord, *, shown: bool = True) -> str:
    """One space's card, a link to its page. Every value from the manifest is escaped."""
    m, e = rec.manifest, html.escape
    sid = e(str(rec.id), quote=True)
    tags = _tags(rec)
    pin = "<span class=pin title=pinned>📌</span>" if m.get("pinned") else ""
    return (
        f"<a class=card href='/spaces/{sid}' data-space='{sid}'"
        f" data-text='{e(search_text(rec), quote=True)}'"
        f" data-tags='{e(' '.join(t.lower() for t in tags), quote=True)}'"
        f" data-sdk='{e(str(m.get('sdk', '')), quote=True)}'"
        f" data-stage='{e(rec.stage.value, quote=True)}'"
        f" style='background:{gradient(m.get('colorFrom'), m.get('colorTo'))}'"
        f"{'' if shown else ' hidden'}>"
        f"<div class=head><span class=emoji>{e(str(m.get('emoji') or ''))}</span>{pin}"
        f"{stage_badge(rec.stage)}{gallery_marker(rec)}</div>"
        f"<h3>{e(str(m.get('title') or rec.id.name))}</h3>"
        f"<p class=desc>{e(str(m.get('short_description') or ''))}</p>"
        f"<div class=meta>{e(str(rec.id))} · {e(str(m.get('sdk', '')))}</div></a>"
    )


def _options(name: str, label: str, values: Sequence[str], selected: str) -> str:
    opts = "".join(
        f"<option value='{html.escape(v, quote=True)}'{' selected' if v == selected else ''}>"
        f"{html.escape(v)}</option>"
        for v in values
    )
    return (
        f"<select name={name} aria-label='{label}'><option value=''>any {label}</option>"
        f"{opts}</select>"
    )


def _sort_select(query: GalleryQuery) -> str:
    opts = "".join(
        f"<option value={key}{' selected' if key == query.sort else ''}>{label}</option>"
        for key, label in SORTS
    )
    return f"<select name=sort aria-label='sort'>{opts}</select>"


def filter_form(recs: Sequence[SpaceRecord], query: GalleryQuery) -> str:
    """The search box, the tag / sdk / stage filters and the order, a plain GET form."""
    tags = sorted({t.lower() for r in recs for t in _tags(r)})
    sdks = sorted({str(r.manifest.get("sdk", "")) for r in recs} - {""})
    stages = sorted({r.stage.value for r in recs})
    return (
        "<form class=filters method=get action='/' role=search>"
        f"<input type=search name=q placeholder='Search spaces' aria-label='Search spaces'"
        f" value='{html.escape(query.q, quote=True)}' autocomplete=off>"
        f"{_options('tag', 'tag', tags, query.tag.lower())}"
        f"{_options('sdk', 'sdk', sdks, query.sdk)}"
        f"{_options('stage', 'stage', stages, query.stage)}{_sort_select(query)}"
        + (f"<input type=hidden name=per value={query.per}>" if query.per != PER_PAGE else "")
        + "<button type=submit>Filter</button></form>"
    )


_CSS = """<style>
.filters{display:flex;flex-wrap:wrap;gap:8px;margin:0 0 16px}
.filters input[type=search]{flex:1 1 220px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,260px),1fr));gap:16px}
.card{border-radius:12px;color:#fff;padding:14px 16px;min-height:140px;text-decoration:none;
display:flex;flex-direction:column;gap:6px;box-shadow:0 1px 3px rgba(0,0,0,.15);min-width:0}
.card[hidden]{display:none}
.card .head{display:flex;align-items:center;gap:8px}
.card .head [data-stage]{margin-left:auto}
.card h3{margin:0;font-size:1.15rem;overflow-wrap:anywhere}
.card .desc{margin:0;flex:1;overflow-wrap:anywhere}
.card .meta{font-size:.8rem;opacity:.9;overflow-wrap:anywhere}.emoji{font-size:1.8rem}
#count{color:#6b7280;font-size:.9rem}
.pager{display:flex;gap:16px;align-items:center;justify-content:center;margin:20px 0}
#page-of{color:#6b7280}
</style>"""

_JS = """<script>
(function(){
%(badge)s
var form=document.querySelector('form.filters'),cards=[].slice.call(
  document.querySelectorAll('.card')),count=document.getElementById('count');
function val(n){return form.elements[n].value.trim().toLowerCase();}
function apply(){var words=val('q').split(/\\s+/).filter(Boolean),tag=val('tag'),
  sdk=form.elements.sdk.value,stage=form.elements.stage.value,n=0;
  cards.forEach(function(c){var ok=words.every(function(w){return c.dataset.text.indexOf(w)>=0;})
    &&(!tag||c.dataset.tags.split(' ').indexOf(tag)>=0)&&(!sdk||c.dataset.sdk===sdk)
    &&(!stage||c.dataset.stage===stage);c.hidden=!ok;if(ok)n++;});
  count.textContent=n+(n===1?' space':' spaces');
  var p=new URLSearchParams(location.search);['q','tag','sdk','stage'].forEach(function(k){
    var v=form.elements[k].value.trim();if(v)p.set(k,v);else p.delete(k);});
  var qs=p.toString();history.replaceState(null,'',qs?'?'+qs:location.pathname);}
form.addEventListener('input',apply);
form.addEventListener('change',function(e){if(e.target.name==='sort')form.submit();else apply();});
// with more than one page the server searches them all; else the cards here are all there is
form.addEventListener('submit',function(e){if(!document.querySelector('.pager')){
  e.preventDefault();apply();}});
var byId={};cards.forEach(function(c){byId[c.dataset.space]=c;});
function poll(){fetch('/api/spaces',{cache:'no-store'}).then(function(r){return r.json();})
  .then(function(list){list.forEach(function(s){var c=byId[s.id];if(!c)return;
    c.dataset.stage=s.stage;setBadge(c.querySelector('[data-stage]'),s.stage);});apply();})
  .catch(function(){}).then(function(){setTimeout(poll,%(poll)d);});}
setTimeout(poll,%(poll)d);
})();
</script>"""


def render_gallery(
    recs: Sequence[SpaceRecord], query: GalleryQuery, last_seen: Mapping[str, float] | None = None
) -> str:
    """The whole gallery page for *recs*: the page of the matching spaces *query* asks for
    (all of them, the others hidden, when every space fits on one page)."""
    recs = ordered(recs, query.sort, last_seen)
    hits = [r for r in recs if matches(r, query)]
    n = len(hits)
    if len(recs) <= query.per:
        hit_ids = {r.id for r in hits}
        cards = "".join(card(r, shown=r.id in hit_ids) for r in recs)
    else:
        pages = max(1, -(-n // query.per))
        start = (min(query.page, pages) - 1) * query.per
        cards = "".join(card(r) for r in hits[start : start + query.per])
    if not recs:
        cards = "<p>No spaces yet. Push one: <code>spacehost push spaces/hello</code></p>"
    body = (
        f"{_CSS}<h1>Spaces</h1>{filter_form(recs, query)}"
        f"<p id=count>{n} space{'' if n == 1 else 's'}</p><div class=grid>{cards}</div>"
        f"{pager(query, n) if len(recs) > query.per else ''}"
        f"{inline_script(_JS % {'badge': BADGE_JS, 'poll': POLL_MS})}"
    )
    return shell("spacehost · spaces", body)


async def gallery(request: web.Request) -> web.Response:
    """``GET /``: the gallery."""
    platform: Facade = request.app[PLATFORM]
    recs = visible.spaces(request, await asyncio.to_thread(platform.queries.list_spaces))
    query = GalleryQuery.from_query(request.query)
    seen: Mapping[str, float] = {}
    if query.sort == "active":
        activity = await asyncio.to_thread(read_activities, platform.settings.activity_dir)
        seen = {space: a.last for space, a in activity.items()}
    text = render_gallery(recs, query, seen)
    return web.Response(text=text, content_type="text/html")
