"""The user documentation served at ``/docs``: ``docs/*.md`` rendered, with a sidebar.

``/docs`` lists the guides in reading order with a line each; ``/docs/{name}`` renders
``docs/{name}.md``. Links between docs (``[x](embedding.md#sdks)``) become ``/docs/embedding#sdks``,
every heading gets a GitHub-style ``id`` and a ``#`` link, and the page's sidebar lists the
guides and the current page's sections. The rendering functions are pure; the two handlers read
the files.
"""

from __future__ import annotations

import asyncio
import functools
import html
import itertools
import posixpath
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from markdown_it import MarkdownIt
from markdown_it.token import Token

from spacehost.web.csp import script_constant
from spacehost.web.layout import shell

_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MD.enable("table").enable("strikethrough")

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True)
class Guide:
    """One page of the docs: its file stem, title and a line saying what it covers."""

    name: str
    title: str
    summary: str
    internal: bool = False


# Reading order of the index; a docs/*.md not listed here still appears (after these, with the
# first paragraph as its summary), so a new guide is never hidden.
GUIDES: tuple[Guide, ...] = (
    Guide(
        "getting-started",
        "Getting started",
        "Install, start the platform, push your first space, the example spaces.",
    ),
    Guide(
        "pushing",
        "Pushing spaces, models and datasets",
        "What `spacehost push` uploads, ignore files, size limits, revisions, logs, errors.",
    ),
    Guide(
        "manifest",
        "The README manifest",
        "Every front-matter field and what spacehost does with it.",
    ),
    Guide(
        "hub",
        "Models and datasets (the hub)",
        "Model and dataset repos: pushing, browsing, downloading with huggingface_hub, "
        "using them in spaces.",
    ),
    Guide(
        "git",
        "Repos are git repositories",
        "Clone, push and LFS with git; credentials; branches and tags; upgrading old repos.",
    ),
    Guide(
        "pages",
        "The web pages",
        "The gallery, space pages and their tabs, model and dataset pages, oEmbed.",
    ),
    Guide(
        "embedding",
        "Embedding spaces",
        "Iframes, the Gradio web component, versions, disable_embedding.",
    ),
    Guide(
        "secrets",
        "Variables and secrets",
        "Public variables, encrypted secrets, duplicating spaces, crash restarts.",
    ),
    Guide("sleep", "Sleeping spaces", "Idle spaces sleep and wake on the next request; pausing."),
    Guide("builds", "Builds", "Runtime images, pip / CA bundle / proxy configuration, caching."),
    Guide("gpu", "Running on a GPU host", "GPU hardware, drivers, what happens without a GPU."),
    Guide(
        "jobs",
        "Jobs",
        "Run scripts to completion with `hf jobs` and `run_job()`: images, flavors, queueing, "
        "time limits, cancel, scheduled jobs.",
    ),
    Guide("configuration", "Configuration", "Every SPACEHOST_* setting."),
    Guide("api", "HTTP API", "The endpoints the CLI and the pages use, with their JSON."),
    Guide(
        "troubleshooting",
        "Troubleshooting",
        "Real failure messages, what they mean and what to do.",
    ),
    Guide(
        "security",
        "Security model",
        "What a space can reach, its CPU and disk limits, uploads, hub files, pages, framing.",
    ),
    Guide("router", "The router", "How requests reach spaces.", internal=True),
    Guide("architecture", "Architecture", "Layers, processes, data flow.", internal=True),
    Guide("benchmarks", "Benchmarks", "Measured numbers, with date and machine.", internal=True),
)


def docs_dir() -> Path | None:
    """The folder holding the docs: package data in an installed copy, else the repository's
    ``docs/`` (an editable install), like the runtime image sources. None when neither exists."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[1] / "docs", here.parents[3] / "docs"):
        if (candidate / "getting-started.md").is_file():
            return candidate
    return None


def doc_names(folder: Path) -> list[str]:
    """The stems of the ``*.md`` files in *folder* that can be served."""
    return sorted(p.stem for p in folder.glob("*.md") if _NAME.fullmatch(p.stem))


def first_paragraph(text: str) -> str:
    """The first paragraph after the title, for a guide missing from :data:`GUIDES`."""
    tokens = _MD.parse(text)
    for token, nxt in itertools.pairwise(tokens):
        if token.type == "paragraph_open" and nxt.type == "inline":
            return " ".join(nxt.content.split())[:200]
    return ""


def guides(names: Sequence[str], read: dict[str, str] | None = None) -> list[Guide]:
    """The guides for the files *names*, in reading order: the known ones, then unknown ones
    (summary from *read*, their texts, when given), then the internals."""
    known = {g.name: g for g in GUIDES}
    listed = [g for g in GUIDES if g.name in names and not g.internal]
    extra = [
        Guide(
            n,
            doc_title(read.get(n, "") if read else "") or n,
            first_paragraph(read.get(n, "")) if read else "",
        )
        for n in names
        if n not in known
    ]
    internal = [g for g in GUIDES if g.name in names and g.internal]
    return listed + extra + internal


def slugify(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def doc_title(text: str) -> str:
    """The text of the first ``#`` heading of *text* ("" when it has none)."""
    tokens = _MD.parse(text)
    for i, tok in enumerate(tokens[:-1]):
        if tok.type == "heading_open" and tok.tag == "h1":
            return tokens[i + 1].content
    return ""


def doc_href(href: str) -> str | None:
    """Where a link written in a doc points on the site: ``x.md#a`` -> ``/docs/x#a``; absolute
    URLs, ``/paths`` and ``#anchors`` unchanged; None for a relative link outside ``docs/`` (a
    file in the repository, which the site does not serve)."""
    if not href or href.startswith(("#", "/")) or _SCHEME.match(href):
        return href
    path, _, frag = href.partition("#")
    target = posixpath.normpath(path)
    if target.startswith("..") or "/" in target or not target.endswith(".md"):
        return None
    stem = target.removesuffix(".md")
    return f"/docs/{stem}" + (f"#{frag}" if frag else "")


def relative_links(text: str) -> list[str]:
    """Every link target in *text* that is not an absolute URL (for checking them)."""
    out = []
    for tok in _MD.parse(text):
        for child in tok.children or []:
            href = str(child.attrGet("href") or child.attrGet("src") or "")
            if child.type in ("link_open", "image") and href and not _SCHEME.match(href):
                out.append(href)
    return out


def heading_ids(text: str) -> list[str]:
    """The ``id`` of every heading of *text*, as :func:`render_doc` assigns them."""
    return [ident for _, _, ident in _headings(_MD.parse(text))]


def _headings(tokens: Sequence[Token]) -> list[tuple[int, str, str]]:
    """(level, text, unique id) of each heading; repeats get ``-1``, ``-2`` as on GitHub."""
    seen: dict[str, int] = {}
    out = []
    for i, tok in enumerate(tokens[:-1]):
        if tok.type != "heading_open":
            continue
        text = "".join(
            c.content for c in tokens[i + 1].children or [] if c.type in ("text", "code_inline")
        )
        slug = slugify(text) or "section"
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.append((int(tok.tag[1]), text, slug if n == 0 else f"{slug}-{n}"))
    return out


def _rewrite_links(tokens: Sequence[Token]) -> None:
    for tok in tokens:
        children = tok.children or []
        for i, child in enumerate(children):
            if child.type != "link_open":
                continue
            href = str(child.attrGet("href") or "")
            target = doc_href(href)
            if target is not None:
                child.attrSet("href", target)
                continue
            # a file of the repository: keep the text, say where it is, link nowhere
            child.tag, child.attrs = "span", {"class": "repo-path", "title": f"repository: {href}"}
            depth = 0
            for close in children[i + 1 :]:
                depth += {"link_open": 1, "link_close": -1}.get(close.type, 0)
                if depth < 0:
                    close.tag = "span"
                    break


def _anchor_headings(tokens: list[Token]) -> list[tuple[int, str, str]]:
    heads = _headings(tokens)
    at = iter(heads)
    for i, tok in enumerate(tokens[:-1]):
        if tok.type != "heading_open":
            continue
        _, _, ident = next(at)
        tok.attrSet("id", ident)
        inline = tokens[i + 1]
        link = Token(
            "link_open",
            "a",
            1,
            attrs={"class": "anchor", "href": f"#{ident}", "aria-label": "link to this section"},
        )
        inline.children = [
            *(inline.children or []),
            link,
            Token("text", "", 0, content="#"),
            Token("link_close", "a", -1),
        ]
    return heads


@functools.lru_cache(maxsize=64)
def render_doc(text: str) -> tuple[str, tuple[tuple[int, str, str], ...]]:
    """HTML for one doc (raw HTML escaped, links rewritten, headings anchored) and its
    headings as (level, text, id). Cached by text: a page is rendered once per change."""
    tokens = _MD.parse(text)
    _rewrite_links(tokens)
    heads = _anchor_headings(tokens)
    return str(_MD.renderer.render(tokens, _MD.options, {})), tuple(heads)


_CSS = """<style>
.docs{display:grid;grid-template-columns:minmax(0,220px) minmax(0,1fr);gap:24px}
.docs details.side-box{position:sticky;top:8px;align-self:start;min-width:0}
.docs nav.side{font-size:.9rem;max-height:calc(100vh - 16px);overflow:auto}
.docs nav.side ul{list-style:none;margin:0 0 12px;padding:0}.docs nav.side li{margin:3px 0}
.docs nav.side a{text-decoration:none}.docs nav.side a.current{font-weight:700;color:#1f2328}
.docs nav.side ul.toc{margin-left:10px;border-left:2px solid #e5e7eb;padding-left:8px}
.docs nav.side h4{margin:12px 0 4px;color:#6b7280;font-size:.75rem;text-transform:uppercase}
article.doc{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px 28px 20px;
min-width:0;line-height:1.55;overflow-wrap:anywhere}
article.doc pre{max-height:none;font-size:.82rem;line-height:1.45}
article.doc :not(pre)>code{background:#f1f3f5;padding:1px 5px;border-radius:4px}
article.doc table{margin:8px 0}article.doc th{background:#f6f8fa}
article.doc td,article.doc th{vertical-align:top;border:1px solid #e5e7eb}
a.anchor{margin-left:8px;color:#9ca3af;text-decoration:none;visibility:hidden}
h1:hover a.anchor,h2:hover a.anchor,h3:hover a.anchor,h4:hover a.anchor{visibility:visible}
.repo-path{border-bottom:1px dotted #9ca3af}
dl.guides dt{margin-top:12px;font-weight:600}dl.guides dd{margin:2px 0 0 0;color:#374151}
details.side-box>summary{display:none}
@media (max-width:760px){.docs{grid-template-columns:minmax(0,1fr)}
.docs details.side-box{position:static}.docs nav.side{max-height:none}
details.side-box>summary{display:list-item;cursor:pointer;font-weight:600;padding:8px 12px;
background:#fff;border:1px solid #e5e7eb;border-radius:8px}
details.side-box[open]>summary{margin-bottom:8px}}
</style>"""

# On a phone the sidebar would fill the first screen: there it starts folded under a
# "Contents" summary (the page's own text comes first); wider screens always show it.
SIDE_JS = script_constant("""<script>
(function(){var d=document.getElementById('side-box'),wide=matchMedia('(min-width:761px)');
function fit(){d.open=wide.matches;}fit();wide.addEventListener('change',fit);})();
</script>""")


def _guide_list(items: Sequence[Guide], current: str) -> str:
    mark = " class=current aria-current=page"
    return (
        "<ul>"
        + "".join(
            f"<li><a href='/docs/{g.name}'{mark if g.name == current else ''}>"
            f"{html.escape(g.title)}</a></li>"
            for g in items
        )
        + "</ul>"
    )


def sidebar(
    items: Sequence[Guide], current: str = "", heads: Sequence[tuple[int, str, str]] = ()
) -> str:
    """The guides (the current one marked, with its sections under it), then the internals."""
    public = [g for g in items if not g.internal]
    internal = [g for g in items if g.internal]
    toc = "".join(
        f"<li><a href='#{html.escape(ident, quote=True)}'>{html.escape(text)}</a></li>"
        for level, text, ident in heads
        if level == 2
    )
    body = "<h4><a href='/docs'>Guides</a></h4>" + _guide_list(public, current)
    if toc:
        body += f"<h4>On this page</h4><ul class=toc>{toc}</ul>"
    if internal:
        body += "<h4>How it works</h4>" + _guide_list(internal, current)
    return (
        f"<details class=side-box id=side-box open><summary>Contents</summary>"
        f"<nav class=side aria-label='documentation'>{body}</nav></details>{SIDE_JS}"
    )


def render_index(items: Sequence[Guide]) -> str:
    """The ``/docs`` page: every guide with its summary."""

    def section(title: str, group: Sequence[Guide]) -> str:
        rows = "".join(
            f"<dt><a href='/docs/{g.name}'>{html.escape(g.title)}</a></dt>"
            f"<dd>{render_inline(g.summary)}</dd>"
            for g in group
        )
        return f"<h2>{html.escape(title)}</h2><dl class=guides>{rows}</dl>" if group else ""

    public = [g for g in items if not g.internal]
    article = (
        "<h1>spacehost documentation</h1><p>Start with <a href='/docs/getting-started'>"
        "Getting started</a>; every page is also in the repository's <code>docs/</code>."
        "</p>"
        + section("Guides", public)
        + section("How it works", [g for g in items if g.internal])
    )
    body = (
        f"{_CSS}<div class=docs>{sidebar(items)}<article class=doc id=doc>{article}</article></div>"
    )
    return shell("spacehost · docs", body, nav="docs")


def render_inline(text: str) -> str:
    """One line of Markdown (code spans, emphasis) as inline HTML, escaped."""
    return str(_MD.renderInline(text))


def render_doc_page(name: str, text: str, items: Sequence[Guide]) -> str:
    """The page for ``docs/{name}.md`` with the sidebar."""
    article, heads = render_doc(text)
    title = next((words for level, words, _ in heads if level == 1), name)
    body = (
        f"{_CSS}<div class=docs>{sidebar(items, name, heads)}"
        f"<article class=doc id=doc data-doc='{html.escape(name, quote=True)}'>{article}"
        "</article></div>"
    )
    return shell(f"{title} · spacehost docs", body, nav="docs")


def docs_not_found(name: str, items: Sequence[Guide]) -> str:
    """The 404 page for a doc that does not exist, listing the ones that do."""
    body = (
        f"{_CSS}<div class=docs>{sidebar(items)}<article class=doc>"
        f"<h1>404 — no page named {html.escape(name)}</h1>"
        "<p>See the <a href='/docs'>documentation index</a>.</p></article></div>"
    )
    return shell("Not found · spacehost docs", body, nav="docs")


_MISSING = (
    "<h1>Documentation not installed</h1><p>This installation has no <code>docs/</code> "
    "folder. Install spacehost from its repository checkout (<code>pip install -e .</code>)"
    " or read the docs in the repository.</p>"
)


def _load(folder: Path) -> tuple[list[str], dict[str, str]]:
    names = doc_names(folder)
    known = {g.name for g in GUIDES}
    # only guides missing from GUIDES need their text for the index (their title and summary)
    texts = {n: (folder / f"{n}.md").read_text("utf-8") for n in names if n not in known}
    return names, texts


def _missing_docs() -> web.Response:
    """The 404 page of a platform installed without its docs folder."""
    return web.Response(
        text=shell("spacehost · docs", _MISSING, nav="docs"), status=404, content_type="text/html"
    )


async def docs_index(request: web.Request) -> web.Response:
    """``GET /docs``: the list of guides."""
    folder = docs_dir()
    if folder is None:
        return _missing_docs()
    names, texts = await asyncio.to_thread(_load, folder)
    return web.Response(text=render_index(guides(names, texts)), content_type="text/html")


async def doc_page(request: web.Request) -> web.StreamResponse:
    """``GET /docs/{name}``: one guide; ``/docs/x.md`` redirects to ``/docs/x``."""
    name = request.match_info["name"]
    if name.endswith(".md"):
        raise web.HTTPMovedPermanently(f"/docs/{name.removesuffix('.md')}")
    folder = docs_dir()
    if folder is None:
        return _missing_docs()
    names, texts = await asyncio.to_thread(_load, folder)
    items = guides(names, texts)
    if name not in names:
        return web.Response(text=docs_not_found(name, items), status=404, content_type="text/html")
    text = await asyncio.to_thread((folder / f"{name}.md").read_text, "utf-8")
    return web.Response(text=render_doc_page(name, text, items), content_type="text/html")


def add_docs_routes(app: web.Application) -> None:
    """Register ``/docs`` and ``/docs/{name}`` on *app*."""
    app.router.add_get("/docs", docs_index)
    app.router.add_get("/docs/", docs_index)
    app.router.add_get("/docs/{name}", doc_page)
