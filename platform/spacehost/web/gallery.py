"""The gallery at ``/``: a card per space, pinned first, searchable and filterable.

Filtering happens on the server (``?q=&tag=&sdk=&stage=``, so a filtered view is a link that works
without script) and again in the browser as you type. Every card is rendered either way; the
ones that do not match are ``hidden``, so clearing the search shows them without a reload.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aiohttp import web

from spacehost.lifecycle import Platform
from spacehost.store import SpaceRecord
from spacehost.web.csp import inline_script
from spacehost.web.failed_deploy import gallery_marker
from spacehost.web.layout import BADGE_JS, gradient, shell, stage_badge

POLL_MS = 2500  # how often the gallery refreshes its stage badges from /api/spaces


@dataclass(frozen=True)
class GalleryQuery:
    """What the visitor asked for; empty strings match everything."""

    q: str = ""
    tag: str = ""
    sdk: str = ""
    stage: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> GalleryQuery:
        return cls(*(query.get(k, "").strip()[:200] for k in ("q", "tag", "sdk", "stage")))


def _tags(rec: SpaceRecord) -> list[str]:
    tags = rec.manifest.get("tags") or []
    return [str(t) for t in tags] if isinstance(tags, list) else []


def search_text(rec: SpaceRecord) -> str:
    """What the text search looks in: title, id, short description and tags, lower case."""
    m = rec.manifest
    parts = [str(m.get("title", "")), str(rec.id), str(m.get("short_description", "")),
             *_tags(rec)]
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


def ordered(recs: Sequence[SpaceRecord]) -> list[SpaceRecord]:
    """Pinned spaces first, then by id."""
    return sorted(recs, key=lambda r: (not r.manifest.get("pinned"), str(r.id)))


def card(rec: SpaceRecord, *, shown: bool = True) -> str:
    """One space's card, a link to its page. Every value from the manifest is escaped."""
    m, e = rec.manifest, html.escape
    sid = e(str(rec.id), quote=True)
    tags = _tags(rec)
    pin = "<span class=pin title=pinned>📌</span>" if m.get("pinned") else ""
    return (f"<a class=card href='/spaces/{sid}' data-space='{sid}'"
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
            f"<div class=meta>{e(str(rec.id))} · {e(str(m.get('sdk', '')))}</div></a>")


def _options(name: str, label: str, values: Sequence[str], selected: str) -> str:
    opts = "".join(
        f"<option value='{html.escape(v, quote=True)}'{' selected' if v == selected else ''}>"
        f"{html.escape(v)}</option>" for v in values)
    return (f"<select name={name} aria-label='{label}'><option value=''>any {label}</option>"
            f"{opts}</select>")


def filter_form(recs: Sequence[SpaceRecord], query: GalleryQuery) -> str:
    """The search box and the tag / sdk / stage filters, a plain GET form."""
    tags = sorted({t.lower() for r in recs for t in _tags(r)})
    sdks = sorted({str(r.manifest.get("sdk", "")) for r in recs} - {""})
    stages = sorted({r.stage.value for r in recs})
    return ("<form class=filters method=get action='/' role=search>"
            f"<input type=search name=q placeholder='Search spaces' aria-label='Search spaces'"
            f" value='{html.escape(query.q, quote=True)}' autocomplete=off>"
            f"{_options('tag', 'tag', tags, query.tag.lower())}"
            f"{_options('sdk', 'sdk', sdks, query.sdk)}"
            f"{_options('stage', 'stage', stages, query.stage)}"
            "<button type=submit>Filter</button></form>")


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
  var p=new URLSearchParams();['q','tag','sdk','stage'].forEach(function(k){
    var v=form.elements[k].value.trim();if(v)p.set(k,v);});
  var qs=p.toString();history.replaceState(null,'',qs?'?'+qs:location.pathname);}
form.addEventListener('input',apply);form.addEventListener('change',apply);
form.addEventListener('submit',function(e){e.preventDefault();apply();});
var byId={};cards.forEach(function(c){byId[c.dataset.space]=c;});
function poll(){fetch('/api/spaces',{cache:'no-store'}).then(function(r){return r.json();})
  .then(function(list){list.forEach(function(s){var c=byId[s.id];if(!c)return;
    c.dataset.stage=s.stage;setBadge(c.querySelector('[data-stage]'),s.stage);});apply();})
  .catch(function(){}).then(function(){setTimeout(poll,%(poll)d);});}
setTimeout(poll,%(poll)d);
})();
</script>"""


def render_gallery(recs: Sequence[SpaceRecord], query: GalleryQuery) -> str:
    """The whole gallery page for *recs*, the ones *query* excludes hidden."""
    recs = ordered(recs)
    shown = [matches(r, query) for r in recs]
    n = sum(shown)
    cards = "".join(card(r, shown=s) for r, s in zip(recs, shown, strict=True))
    if not recs:
        cards = "<p>No spaces yet. Push one: <code>spacehost push spaces/hello</code></p>"
    body = (f"{_CSS}<h1>Spaces</h1>{filter_form(recs, query)}"
            f"<p id=count>{n} space{'' if n == 1 else 's'}</p><div class=grid>{cards}</div>"
            f"{inline_script(_JS % {'badge': BADGE_JS, 'poll': POLL_MS})}")
    return shell("spacehost · spaces", body)


async def gallery(request: web.Request) -> web.Response:
    """``GET /``: the gallery."""
    platform: Platform = request.app["platform"]
    recs = await asyncio.to_thread(platform.store.list_spaces)
    text = render_gallery(recs, GalleryQuery.from_query(request.query))
    return web.Response(text=text, content_type="text/html")
