"""The ``/models`` and ``/datasets`` lists: a card per repo, newest first, searchable.

As in the gallery, ``?q=`` (every word must appear in the id, tags or task) and ``?tag=`` filter
on the server, so a filtered view is a link that works without script, and again in the
browser as you type. Pure: summaries in, HTML out.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from spacehost.domain import RepoKind
from spacehost.web.csp import script_constant
from spacehost.web.hub.card import human_bytes, when
from spacehost.web.hub.urls import kind_label, list_path, repo_path
from spacehost.web.layout import shell

MAX_CHIPS = 6  # tags shown on a card


@dataclass(frozen=True)
class RepoSummary:
    """What a card shows of a repo (its head commit and card)."""

    kind: RepoKind
    repo_id: str
    size: int
    files: int
    updated_at: float
    chips: tuple[tuple[str, str], ...] = ()
    description: str = ""

    @property
    def search_text(self) -> str:
        """What the text search looks in, lower case."""
        words = [self.repo_id, self.description, *(v for _, v in self.chips)]
        return " ".join(w for w in words if w).lower()

    def has_tag(self, tag: str) -> bool:
        return tag.lower() in (v.lower() for _, v in self.chips)


@dataclass(frozen=True)
class ListQuery:
    """The visitor's search words and tag; empty matches everything."""

    q: str = ""
    tag: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ListQuery:
        return cls(*(query.get(k, "").strip()[:200] for k in ("q", "tag")))

    def matches(self, repo: RepoSummary) -> bool:
        text = repo.search_text
        if any(word not in text for word in self.q.lower().split()):
            return False
        return not self.tag or repo.has_tag(self.tag)


def chip_html(kind: str, value: str) -> str:
    """One tag, its kind (task, library, license, ...) as a class and a title."""
    e = html.escape
    return (
        f"<span class='chip {e(kind, quote=True)}' title='{e(kind, quote=True)}'>{e(value)}</span>"
    )


def repo_card(repo: RepoSummary, *, shown: bool = True) -> str:
    """One repo's card, a link to its page; every value escaped."""
    e = html.escape
    chips = "".join(chip_html(k, v) for k, v in repo.chips[:MAX_CHIPS])
    tags = "|".join(v.lower() for _, v in repo.chips)
    desc = f"<p class=desc>{e(repo.description)}</p>" if repo.description else ""
    return (
        f"<a class=repo-card href='{e(repo_path(repo.kind, repo.repo_id), quote=True)}'"
        f" data-repo='{e(repo.repo_id, quote=True)}'"
        f" data-text='{e(repo.search_text, quote=True)}' data-tags='{e(tags, quote=True)}'"
        f"{'' if shown else ' hidden'}><h3>{e(repo.repo_id)}</h3>{desc}"
        f"<div class=chips>{chips}</div>"
        f"<div class=meta>{human_bytes(repo.size)} · {repo.files} "
        f"file{'' if repo.files == 1 else 's'} · updated {when(repo.updated_at)}</div></a>"
    )


LIST_CSS = """<style>
.filters{display:flex;flex-wrap:wrap;gap:8px;margin:0 0 16px}
.filters input[type=search]{flex:1 1 220px}
.repo-list{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,340px),1fr));
gap:12px}
.repo-card{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:12px 14px;
color:#1f2328;text-decoration:none;display:flex;flex-direction:column;gap:6px;min-width:0}
.repo-card:hover{border-color:#93c5fd}.repo-card[hidden]{display:none}
.repo-card h3{margin:0;font-size:1rem;overflow-wrap:anywhere}
.repo-card .desc{margin:0;color:#374151;font-size:.9rem}
.meta{color:#6b7280;font-size:.8rem}
.chips{display:flex;flex-wrap:wrap;gap:4px}
.chip{display:inline-block;padding:0 8px;border-radius:8px;font-size:.75rem;background:#f3f4f6;
color:#374151;border:1px solid #e5e7eb;overflow-wrap:anywhere}
.chip.task{background:#eef2ff;color:#3730a3}.chip.library{background:#ecfdf5;color:#065f46}
.chip.license{background:#fff7ed;color:#9a3412}.chip.language{background:#f0f9ff;color:#075985}
#count{color:#6b7280;font-size:.9rem}
</style>"""

_JS = script_constant("""<script>
(function(){
var form=document.querySelector('form.filters'),cards=[].slice.call(
  document.querySelectorAll('.repo-card')),count=document.getElementById('count'),
  noun=count.dataset.noun;
function apply(){var words=form.elements.q.value.trim().toLowerCase().split(/\\s+/)
  .filter(Boolean),tag=form.elements.tag.value.trim().toLowerCase(),n=0;
  cards.forEach(function(c){var ok=words.every(function(w){return c.dataset.text.indexOf(w)>=0;})
    &&(!tag||c.dataset.tags.split('|').indexOf(tag)>=0);c.hidden=!ok;if(ok)n++;});
  count.textContent=n+' '+noun+(n===1?'':'s');
  var p=new URLSearchParams();['q','tag'].forEach(function(k){
    var v=form.elements[k].value.trim();if(v)p.set(k,v);});
  var qs=p.toString();history.replaceState(null,'',qs?'?'+qs:location.pathname);}
form.addEventListener('input',apply);form.addEventListener('change',apply);
form.addEventListener('submit',function(e){e.preventDefault();apply();});
})();
</script>""")


def _filter_form(kind: RepoKind, repos: Sequence[RepoSummary], query: ListQuery) -> str:
    e = html.escape
    tags = sorted({v.lower() for r in repos for _, v in r.chips})
    opts = "".join(
        f"<option value='{e(t, quote=True)}'"
        f"{' selected' if t == query.tag.lower() else ''}>{e(t)}</option>"
        for t in tags
    )
    label = f"Search {kind.plural}"
    return (
        f"<form class=filters method=get action='{list_path(kind)}' role=search>"
        f"<input type=search name=q placeholder='{label}' aria-label='{label}'"
        f" value='{e(query.q, quote=True)}' autocomplete=off>"
        f"<select name=tag aria-label=tag><option value=''>any tag</option>{opts}</select>"
        "<button type=submit>Filter</button></form>"
    )


def empty_text(kind: RepoKind) -> str:
    """What an empty list says: how to push the first repo."""
    return (
        f"<p id=empty>No {kind.plural} yet. Push a folder: <code>spacehost push DIR --type "
        f"{kind.value} --name OWNER/NAME</code> (see <a href='/docs/hub'>the hub guide</a>)."
        "</p>"
    )


def render_list(kind: RepoKind, repos: Sequence[RepoSummary], query: ListQuery) -> str:
    """The whole list page; repos the query excludes are rendered ``hidden``."""
    repos = sorted(repos, key=lambda r: (-r.updated_at, r.repo_id))
    shown = [query.matches(r) for r in repos]
    n = sum(shown)
    cards = "".join(repo_card(r, shown=s) for r, s in zip(repos, shown, strict=True))
    noun = kind.value
    body = (
        f"{LIST_CSS}<h1>{kind_label(kind)}s</h1>{_filter_form(kind, repos, query)}"
        f"<p id=count data-noun={noun}>{n} {noun}{'' if n == 1 else 's'}</p>"
        f"<div class=repo-list>{cards}</div>{'' if repos else empty_text(kind)}{_JS}"
    )
    return shell(f"spacehost · {kind.plural}", body, nav=kind.plural)
