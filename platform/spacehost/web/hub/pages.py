"""A hub repo's page (``/{owner}/{name}`` for models, ``/datasets/{owner}/{name}``), one file's
page (``.../blob/{rev}/{path}``) and the ``/models`` and ``/datasets`` lists.

The repo page has a header (id, kind, size, head commit), tabs (``?tab=card|files|revisions``;
``&rev=`` shows the files of an older commit), and a side column with the "Use this" snippets
and the spaces that use the repo. Sizes and hashes come from the store; a file's bytes are read
only on its own page, and only up to :data:`MAX_SHOWN`. The renderers are pure; the handlers at
the bottom read the store in a thread.
"""

from __future__ import annotations

import asyncio
import functools
import html
import posixpath
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from aiohttp import web

from spacehost.appkeys import HUB, PLATFORM
from spacehost.domain import RESERVED_OWNERS, RepoKind
from spacehost.errors import InvalidSpaceName, NotFound
from spacehost.lifecycle.facade import Facade
from spacehost.store import SpaceRecord
from spacehost.store.hub import HubCommit, HubFile, HubRepo, HubStore
from spacehost.web import visible
from spacehost.web.files_tab import is_binary
from spacehost.web.hub.card import Card, card_summary, chips, human_bytes, read_card, when
from spacehost.web.hub.cardpanels import MadeBy, above_card, below_card, jobs_that_pushed
from spacehost.web.hub.list import LIST_CSS, ListQuery, RepoSummary, chip_html, render_list
from spacehost.web.hub.moved import moved_page
from spacehost.web.hub.snippets import Snippet, use_snippets
from spacehost.web.hub.urls import (
    blob_path,
    kind_label,
    list_path,
    repo_path,
    resolve_path,
)
from spacehost.web.hub.usage import RepoRef, space_repos, spaces_using
from spacehost.web.layout import shell
from spacehost.web.markdown import render_markdown
from spacehost.web.space_tabs import COPY_JS

MAX_SHOWN = 1 << 20  # a file larger than this is offered for download, not shown
MAX_HEADER_CHIPS = 16  # tags in a repo's header; the rest are named in the last one's title
MAX_SPACE_README = 256 * 1024  # bytes of a space's README read to find the repos it uses
TABS = (("card", "Card"), ("files", "Files"), ("revisions", "Revisions"))

REPO_CSS = """<style>
.repo-head{margin:0 0 8px}.repo-head h1{margin:4px 0;font-size:1.5rem;overflow-wrap:anywhere}
.repo-head h1 .owner{color:#6b7280;font-weight:400}
.kind{display:inline-block;padding:1px 9px;border-radius:10px;font-size:.75rem;font-weight:600;
background:#e0e7ff;color:#3730a3}.kind.dataset{background:#fce7f3;color:#9d174d}
.tabs{display:flex;flex-wrap:wrap;gap:4px;border-bottom:1px solid #e5e7eb;margin:8px 0 16px}
.tabs a{padding:8px 14px;text-decoration:none;color:#374151;border-bottom:2px solid transparent}
.tabs a.active{border-color:#2563eb;color:#1d4ed8;font-weight:600}
.repo-grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,360px);gap:20px}
@media (max-width:900px){.repo-grid{grid-template-columns:minmax(0,1fr)}}
.readme,.panel{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px 20px;
overflow-wrap:anywhere;min-width:0}
.panel{padding:8px 14px;margin:0 0 16px}.panel h2{font-size:1rem;margin:8px 0}
.panel pre{font-size:.75rem}.snippet-head{display:flex;align-items:center;gap:12px}
.snippet-head h3{margin:8px 0;font-size:.9rem}
table.files,table.commits{width:100%;display:table;background:#fff;border:1px solid #e5e7eb;
border-radius:8px}td.size,td.num{color:#6b7280;text-align:right;white-space:nowrap}
table.files td:first-child,table.commits td{overflow-wrap:anywhere}
table.files td:last-child{white-space:nowrap}
.scroll{overflow-x:auto;max-width:100%}
td.sha code,.sha{font-family:ui-monospace,monospace}
.note{background:#fff7ed;border:1px solid #fed7aa;border-radius:8px;padding:10px 14px}
.crumbs{margin:8px 0;overflow-wrap:anywhere}
</style>"""


@dataclass(frozen=True)
class RepoView:
    """What every page of a repo shows at the top."""

    repo: HubRepo
    card: Card

    @property
    def kind(self) -> RepoKind:
        return self.repo.kind

    @property
    def repo_id(self) -> str:
        return self.repo.repo_id


def parse_tab(value: str) -> str:
    """The tab a ``?tab=`` value names; anything unknown is the card."""
    return value if value in dict(TABS) else "card"


def summary(repo: HubRepo, card: Card) -> RepoSummary:
    """A list card's data for *repo*."""
    return RepoSummary(
        kind=repo.kind,
        repo_id=repo.repo_id,
        size=repo.total_size,
        files=len(repo.head.files),
        updated_at=repo.updated_at,
        chips=tuple(chips(card)),
        description=card_summary(card.data),
    )


def repo_header(view: RepoView) -> str:
    """Kind, ``owner / name``, size, file count, head commit, and the card's tags."""
    e, repo = html.escape, view.repo
    owner, _, name = repo.repo_id.partition("/")
    head = repo.head
    found = chips(view.card)
    tags = "".join(chip_html(k, v) for k, v in found[:MAX_HEADER_CHIPS])
    if len(found) > MAX_HEADER_CHIPS:
        rest = ", ".join(v for _, v in found[MAX_HEADER_CHIPS:])
        tags += (
            f"<span class=chip title='{e(rest, quote=True)}'>+{len(found) - MAX_HEADER_CHIPS}"
            " more</span>"
        )
    return (
        f"<header class=repo-head><span class='kind {repo.kind.value}'>"
        f"{kind_label(repo.kind)}</span>"
        f"<h1 id=repo-id><a href='{e(repo_path(repo.kind, repo.repo_id), quote=True)}' "
        f"style='color:inherit;text-decoration:none'><span class=owner>{e(owner)} /</span> "
        f"{e(name)}</a></h1>"
        f"<div class=meta id=repo-meta>{human_bytes(repo.total_size)} · {len(head.files)} "
        f"file{'' if len(head.files) == 1 else 's'} · commit <code class=sha>"
        f"{e(head.sha[:7])}</code> · {when(head.created_at)}</div>"
        f"{f'<div class=chips id=repo-tags>{tags}</div>' if tags else ''}</header>"
    )


def tab_bar(kind: RepoKind, repo_id: str, active: str, n_commits: int) -> str:
    """The tabs as plain links, the active one marked."""
    base = html.escape(repo_path(kind, repo_id), quote=True)
    labels = {
        "card": f"{kind_label(kind)} card",
        "files": "Files",
        "revisions": f"Revisions ({n_commits})",
    }
    links = "".join(
        f"<a href='{base}?tab={key}'{' class=active aria-current=page' if key == active else ''}"
        f">{labels[key]}</a>"
        for key, _ in TABS
    )
    return f"<nav class=tabs aria-label='repo tabs'>{links}</nav>"


def card_tab(view: RepoView) -> str:
    """The README rendered (front matter shown as tags in the header, not here)."""
    if not view.card.body.strip():
        return (
            f"<p class=note id=no-card>This {view.kind.value} has no README.md (its card). "
            "Add one to the folder and push again.</p>"
        )
    body = _rendered(view.card.body, view.kind, view.repo_id)
    return f"<article class=readme id=readme>{body}</article>"


def card_target(kind: RepoKind, repo_id: str, target: str, image: bool) -> str | None:
    """Where a relative link in a card points, as on HF: a file of the repo's ``main`` (its
    page, or its bytes for an image); None for a target that leaves the repo."""
    path, _, frag = target.partition("#")
    clean = posixpath.normpath(path.removeprefix("./")) if path else ""
    if not clean or clean.startswith("..") or clean == ".":
        return None
    url = (resolve_path if image else blob_path)(kind, repo_id, "main", unquote(clean))
    return url + (f"#{frag}" if frag and not image else "")


@functools.lru_cache(maxsize=256)
def _rendered(body: str, kind: RepoKind, repo_id: str) -> str:
    # cards are cached by content hash (card.py), so a card's body is rendered once
    return render_markdown(body, resolve=lambda t, img: card_target(kind, repo_id, t, img))


def files_table(kind: RepoKind, repo_id: str, commit: HubCommit, rev: str) -> str:
    """The commit's files: path (a link to its page), size, a download link."""
    e = html.escape
    rows = "".join(
        f"<tr><td><a href='{e(blob_path(kind, repo_id, rev, f.path), quote=True)}'>"
        f"{e(f.path)}</a></td><td class=size>{human_bytes(f.size)}</td>"
        f"<td><a class=download href='{e(resolve_path(kind, repo_id, commit.sha, f.path), True)}'"
        f" download title='download {e(f.path, quote=True)}'>↓ download</a></td></tr>"
        for f in commit.files
    )
    return (
        "<div class=scroll><table class=files id=files><tr><th>File</th><th>Size</th>"
        f"<th></th></tr>{rows}</table></div>"
    )


def files_tab(kind: RepoKind, repo_id: str, commit: HubCommit, *, is_head: bool) -> str:
    """The Files tab for *commit* (the head, or an older one picked on the Revisions tab)."""
    rev = "main" if is_head else commit.sha
    where = (
        "the latest commit"
        if is_head
        else f"an older commit (<a href='{html.escape(repo_path(kind, repo_id), quote=True)}"
        "?tab=files'>see the latest</a>)"
    )
    return (
        f"<p id=files-at>{len(commit.files)} files, {human_bytes(commit.total_size)}, at "
        f"commit <code class=sha>{commit.sha[:7]}</code> — {where}.</p>"
        + files_table(kind, repo_id, commit, rev)
    )


def revisions_tab(kind: RepoKind, repo_id: str, commits: Sequence[HubCommit]) -> str:
    """Every commit, newest first: sha (a link to its files), date, message, size."""
    e = html.escape
    base = e(repo_path(kind, repo_id), quote=True)
    rows = "".join(
        f"<tr><td class=sha><a href='{base}?tab=files&amp;rev={c.sha}'><code>{c.sha[:7]}</code>"
        f"</a>{' <span class=kind>main</span>' if i == 0 else ''}</td>"
        f"<td>{when(c.created_at)}</td><td>{e(c.message or '(no message)')}</td>"
        f"<td class=num>{len(c.files)} files</td><td class=size>{human_bytes(c.total_size)}</td>"
        "</tr>"
        for i, c in enumerate(commits)
    )
    return (
        "<div class=scroll><table class=commits id=commits><tr><th>Commit</th><th>Date</th>"
        f"<th>Message</th><th></th><th>Size</th></tr>{rows}</table></div>"
    )


def snippet_panel(kind: RepoKind, snippets: Sequence[Snippet], endpoint: str) -> str:
    """The "Use this model/dataset" panel: each snippet with a copy button."""
    e = html.escape
    blocks = "".join(
        f"<div class=snippet><div class=snippet-head><h3>{e(s.title)}</h3>"
        f"<button type=button class=copy data-copy={s.ident}>Copy</button></div>"
        f"<pre id={s.ident} data-language={s.language}>{e(s.code)}</pre></div>"
        for s in snippets
    )
    return (
        f"<section class=panel id=use-this><h2>Use this {kind.value}</h2>"
        f"<p class=meta>From any machine that reaches this platform: <code>HF_ENDPOINT="
        f"{e(endpoint)}</code>. Inside a space, name it in the README instead "
        f"(<code>{kind.plural}:</code>) and it is mounted offline "
        "(<a href='/docs/hub'>docs</a>).</p>"
        f"{blocks}</section>"
    )


def spaces_panel(kind: RepoKind, spaces: Sequence[SpaceRecord]) -> str:
    """The spaces whose README names this repo, as links to their pages."""
    e = html.escape
    if not spaces:
        items = (
            f"<p class=meta>No space uses this {kind.value} yet. A space names it under "
            f"<code>{kind.plural}:</code> in its README.</p>"
        )
    else:
        items = (
            "<ul>"
            + "".join(
                f"<li><a href='/spaces/{e(str(r.id), quote=True)}'>"
                f"{e(str(r.manifest.get('emoji') or ''))} {e(str(r.id))}</a></li>"
                for r in spaces
            )
            + "</ul>"
        )
    return f"<section class=panel id=spaces-using><h2>Spaces using this</h2>{items}</section>"


def render_repo_page(
    view: RepoView, tab: str, tab_html: str, aside_html: str, n_commits: int
) -> str:
    """The whole repo page."""
    body = (
        f"{LIST_CSS}{REPO_CSS}{repo_header(view)}"
        f"{tab_bar(view.kind, view.repo_id, tab, n_commits)}"
        f"<div class=repo-grid><section id=tab-{tab} class=tab>{tab_html}</section>"
        f"<aside>{aside_html}</aside></div>{COPY_JS}"
    )
    return shell(f"{view.repo_id} · {view.kind.value} · spacehost", body, nav=view.kind.plural)


def file_body(f: HubFile, data: bytes | None, download: str) -> str:
    """A file's content: escaped text when it is small text, else a note and a download link."""
    link = f"<a href='{html.escape(download, quote=True)}' download>download</a>"
    if data is None:
        return f"<p class=note id=file-body>Large file, {human_bytes(f.size)} — {link}.</p>"
    if is_binary(data):
        return f"<p class=note id=file-body>Binary file, {human_bytes(f.size)} — {link}.</p>"
    return f"<pre id=file-body class=file>{html.escape(data.decode('utf-8', 'replace'))}</pre>"


def render_blob_page(
    view: RepoView, commit: HubCommit, f: HubFile, rev: str, data: bytes | None
) -> str:
    """One file's page: where it is, its size and hashes, its content or a download link."""
    e = html.escape
    download = resolve_path(view.kind, view.repo_id, commit.sha, f.path)
    files = e(repo_path(view.kind, view.repo_id), quote=True)
    files_link = f"{files}?tab=files" + ("" if rev == "main" else f"&amp;rev={commit.sha}")
    body = (
        f"{LIST_CSS}{REPO_CSS}{repo_header(view)}"
        f"<p class=crumbs><a href='{files_link}'>Files</a> / <strong id=file-name>"
        f"{e(f.path)}</strong></p>"
        f"<p class=meta id=file-meta>{human_bytes(f.size)} · commit <code class=sha>"
        f"{commit.sha[:7]}</code> · sha256 <code class=sha>{f.sha256[:16]}…</code> · "
        f"<a id=download href='{e(download, quote=True)}' download>download</a></p>"
        f"{file_body(f, data, download)}"
    )
    return shell(f"{f.path} · {view.repo_id} · spacehost", body, nav=view.kind.plural)


def not_found_page(kind: RepoKind, repo_id: str, detail: str = "") -> str:
    """The 404 page for an unknown repo (or revision, or file): says how to push one."""
    e = html.escape
    what = detail or f"No {kind.value} named {repo_id}"
    body = (
        f"<h1>404 — {e(what)}</h1>"
        f"<p>Push a folder as this {kind.value}:</p>"
        f"<pre>spacehost push DIR --type {kind.value} --name {e(repo_id)}</pre>"
        f"<p><a href='{list_path(kind)}'>See all {kind.plural}</a> · "
        "<a href='/docs/hub'>the hub guide</a></p>"
    )
    return shell(f"Not found · {kind.plural} · spacehost", body, nav=kind.plural)


def repo_links(refs: Sequence[RepoRef]) -> str:
    """Links to the repos a space uses (for its page); "" when it uses none."""
    if not refs:
        return ""
    e = html.escape
    items = " · ".join(
        f"<a href='{e(repo_path(k, rid), quote=True)}' data-repo-kind={k.value}>"
        f"{'🤗' if k is RepoKind.MODEL else '📊'} {e(rid)}</a>"
        for k, rid in refs
    )
    return f"<p class=uses id=space-uses>Uses: {items}</p>"


# -- reading the store -------------------------------------------------------------------------


def hub_of(request: web.Request) -> HubStore | None:
    """The platform's hub store (None when this platform runs without one)."""
    hub = request.app.get(HUB) or getattr(request.app[PLATFORM], "hub", None)
    return hub if isinstance(hub, HubStore) else None


def space_readme(platform: Facade, rec: SpaceRecord) -> str | None:
    """The README of *rec*'s current revision (the start of it), if stored."""
    if not rec.revision or not platform.queries.revision_exists(rec.revision):
        return None
    try:
        with open(platform.queries.revision_path(rec.revision) / "README.md", "rb") as f:
            return f.read(MAX_SPACE_README).decode("utf-8", "replace")
    except OSError:
        return None


def repos_of_space(platform: Facade, rec: SpaceRecord) -> list[RepoRef]:
    """The hub repos *rec* names (for its page header)."""
    return space_repos(rec, lambda r: space_readme(platform, r))


def _summaries(hub: HubStore, kind: RepoKind) -> list[RepoSummary]:
    return [summary(r, read_card(hub, r.head)) for r in hub.repos(kind)]


def _repo_view(hub: HubStore, kind: RepoKind, repo_id: str) -> RepoView:
    repo = hub.repo(kind, repo_id)
    return RepoView(repo, read_card(hub, repo.head))


def _repo_page(
    platform: Facade,
    hub: HubStore,
    kind: RepoKind,
    repo_id: str,
    query: dict[str, str],
    seen: Callable[[list[SpaceRecord]], list[SpaceRecord]],
    pushes: Sequence[MadeBy] = (),
) -> tuple[int, str]:
    view = _repo_view(hub, kind, repo_id)
    commits = hub.commits(kind, repo_id)
    tab = parse_tab(query.get("tab", "card"))
    if tab == "files":
        rev = query.get("rev", "") or "main"
        try:
            commit = hub.resolve(kind, repo_id, rev)
        except NotFound as exc:
            return 404, not_found_page(kind, repo_id, exc.message)
        tab_html = files_tab(kind, repo_id, commit, is_head=commit.sha == view.repo.head.sha)
    elif tab == "revisions":
        tab_html = revisions_tab(kind, repo_id, commits)
    else:
        head = view.repo.head
        panels = above_card(hub, kind, view.card, head, pushes)
        tab_html = panels + card_tab(view) + below_card(hub, head)
    endpoint = platform.settings.base_url
    snippets = use_snippets(
        kind,
        repo_id,
        [f.path for f in view.repo.head.files],
        endpoint,
        pipeline_tag=view.card.text("pipeline_tag"),
    )
    using = spaces_using(
        seen(platform.queries.list_spaces()),
        kind,
        repo_id,
        lambda r: space_readme(platform, r),
        hub.old_names(kind, repo_id),
    )
    aside = snippet_panel(kind, snippets, endpoint) + spaces_panel(kind, using)
    return 200, render_repo_page(view, tab, tab_html, aside, len(commits))


def _read_shown(hub: HubStore, f: HubFile) -> bytes | None:
    if f.size > MAX_SHOWN:
        return None
    with open(hub.blob_path(f.sha256), "rb") as fh:
        return fh.read(MAX_SHOWN)


def _blob_page(hub: HubStore, kind: RepoKind, repo_id: str, rev: str, path: str) -> tuple[int, str]:
    view = _repo_view(hub, kind, repo_id)
    try:
        commit = hub.resolve(kind, repo_id, rev)
        f = commit.file(path)
    except NotFound as exc:
        return 404, not_found_page(kind, repo_id, exc.message)
    return 200, render_blob_page(view, commit, f, rev, _read_shown(hub, f))


# -- handlers ----------------------------------------------------------------------------------

Page = Callable[[web.Request], Awaitable[web.Response]]


def _html(status: int, text: str) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html")


def _repo_id(request: web.Request) -> str:
    return f"{request.match_info['owner']}/{request.match_info['name']}"


async def _repo_answer(
    request: web.Request,
    kind: RepoKind,
    work: Callable[[HubStore, str], tuple[int, str]],
) -> web.Response:
    """Run *work* (the hub, the repo's id) in a thread; no hub, or an unknown or invalid repo,
    is the HTML 404 page."""
    hub, repo_id = hub_of(request), _repo_id(request)
    if hub is None:
        return _html(404, not_found_page(kind, repo_id))
    try:
        status, text = await asyncio.to_thread(work, hub, repo_id)
    except (NotFound, InvalidSpaceName):
        moved = await asyncio.to_thread(moved_page, request, hub, kind, repo_id)
        return moved or _html(404, not_found_page(kind, repo_id))
    return _html(status, text)


def list_handler(kind: RepoKind) -> Page:
    """``GET /models`` or ``/datasets``."""

    async def handler(request: web.Request) -> web.Response:
        hub = hub_of(request)
        repos = await asyncio.to_thread(_summaries, hub, kind) if hub else []
        repos = visible.repos(request, kind, repos, lambda r: r.repo_id)
        return _html(200, render_list(kind, repos, ListQuery.from_query(request.query)))

    return handler


def repo_handler(kind: RepoKind) -> Page:
    """``GET /{owner}/{name}`` (models) or ``/datasets/{owner}/{name}``."""

    async def handler(request: web.Request) -> web.Response:
        platform: Facade = request.app[PLATFORM]
        query = dict(request.query)
        pushes = await jobs_that_pushed(request, kind.value, _repo_id(request))
        return await _repo_answer(
            request,
            kind,
            lambda hub, repo_id: _repo_page(
                platform,
                hub,
                kind,
                repo_id,
                query,
                lambda recs: visible.spaces(request, recs),
                pushes,
            ),
        )

    return handler


def blob_handler(kind: RepoKind) -> Page:
    """``GET .../blob/{rev}/{path}``: one file."""

    async def handler(request: web.Request) -> web.Response:
        rev, path = request.match_info["rev"], request.match_info["path"]
        return await _repo_answer(
            request, kind, lambda hub, repo_id: _blob_page(hub, kind, repo_id, rev, path)
        )

    return handler


def tree_handler(kind: RepoKind) -> Page:
    """``GET .../tree/{rev}``: HF's files view, here the Files tab at that revision."""

    async def handler(request: web.Request) -> web.Response:
        rev = request.match_info["rev"]
        target = f"{repo_path(kind, _repo_id(request))}?tab=files"
        raise web.HTTPFound(target if rev == "main" else f"{target}&rev={rev}")

    return handler


# A model's owner is never one of the platform's own first path segments (the hub refuses such
# ids), so /api/..., /spaces/..., /static/... keep answering as before, 404s included.
OWNER = "{owner:(?!(?:" + "|".join(map(re.escape, sorted(RESERVED_OWNERS))) + ")/)[^/]+}"


def add_hub_routes(app: web.Application) -> None:
    """Register the lists, repo pages, file pages and tree links (GET) on *app*."""
    for kind in RepoKind:
        prefix = "/datasets/{owner}/{name}" if kind is RepoKind.DATASET else f"/{OWNER}/{{name}}"
        app.router.add_get(list_path(kind), list_handler(kind))
        app.router.add_get(prefix, repo_handler(kind))
        app.router.add_get(prefix + "/blob/{rev}/{path:.+}", blob_handler(kind))
        app.router.add_get(prefix + "/tree/{rev}", tree_handler(kind))
