"""The docs served at /docs: the index lists every guide, links between docs resolve, headings
get anchors, raw HTML is escaped, unknown pages are 404s; and the real docs/ folder's links all
point at pages and headings that exist."""

from __future__ import annotations

import argparse
import asyncio
import re
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from markdown_it import MarkdownIt

from spacehost.cli.main import build_parser
from spacehost.manifest.parse import KNOWN_FIELDS
from spacehost.web.docs_pages import (
    add_docs_routes,
    doc_href,
    doc_names,
    docs_dir,
    guides,
    heading_ids,
    relative_links,
    render_doc,
    render_doc_page,
    render_index,
    slugify,
)

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs"


def test_docs_are_found_in_the_repository_for_an_editable_install() -> None:
    assert docs_dir() == DOCS


def test_links_between_docs_become_site_paths() -> None:
    assert doc_href("embedding.md") == "/docs/embedding"
    assert doc_href("./embedding.md#the-web-component") == "/docs/embedding#the-web-component"
    assert doc_href("#usage") == "#usage"
    assert doc_href("https://example.org/x.md") == "https://example.org/x.md"
    assert doc_href("/spaces/alice/demo") == "/spaces/alice/demo"
    assert doc_href("../README.md") is None  # a repository file, not served
    assert doc_href("../scripts/demo.sh") is None


def test_headings_get_github_style_unique_ids_and_anchor_links() -> None:
    text = "# Title\n\n## Use `push` — now!\n\n## Use `push` — now!\n\n### A/B tests\n"
    out, heads = render_doc(text)
    assert [h[2] for h in heads] == ["title", "use-push--now", "use-push--now-1", "ab-tests"]
    assert '<h2 id="use-push--now">Use <code>push</code> — now!' in out
    assert '<a class="anchor" href="#use-push--now-1"' in out
    assert slugify("Hello, World") == "hello-world"


def test_doc_rendering_rewrites_links_and_escapes_raw_html() -> None:
    text = (
        "See [embedding](embedding.md#iframes), [the script](../scripts/demo.sh) and "
        "[HF](https://huggingface.co).\n\n<script>alert(1)</script>\n\n"
        "[bad](javascript:alert(1))\n"
    )
    out, _ = render_doc(text)
    assert '<a href="/docs/embedding#iframes">embedding</a>' in out
    assert (
        '<span class="repo-path" title="repository: ../scripts/demo.sh">the script</span>'
    ) in out
    assert '<a href="https://huggingface.co">HF</a>' in out
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "javascript:" not in out.replace("[bad](javascript:alert(1))", "")


def test_index_lists_guides_in_reading_order_internals_last() -> None:
    names = ["api", "architecture", "getting-started", "manifest", "zzz-new"]
    items = guides(names, {"zzz-new": "# Brand new\n\nWhat it covers.\n"})
    assert [g.name for g in items] == [
        "getting-started",
        "manifest",
        "api",
        "zzz-new",
        "architecture",
    ]
    assert items[3].title == "Brand new" and items[3].summary == "What it covers."
    page = render_index(items)
    assert "<a href='/docs/getting-started'>Getting started</a>" in page
    assert page.index("/docs/zzz-new") < page.index("How it works")
    assert "<a href='/docs' class=current aria-current=page>Docs</a>" in page


def test_doc_page_has_sidebar_with_the_current_guide_and_its_sections() -> None:
    items = guides(["getting-started", "manifest"])
    page = render_doc_page("manifest", "# Manifest\n\n## Fields\n\ntext\n", items)
    assert "<a href='/docs/manifest' class=current aria-current=page>" in page
    assert "<li><a href='#fields'>Fields</a></li>" in page
    assert "<title>Manifest · spacehost docs</title>" in page


# --- the real docs/ folder --------------------------------------------------------------------


def _texts() -> dict[str, str]:
    return {n: (DOCS / f"{n}.md").read_text("utf-8") for n in doc_names(DOCS)}


def test_every_doc_is_in_the_index() -> None:
    listed = {g.name for g in guides(doc_names(DOCS), _texts())}
    assert listed == {p.stem for p in DOCS.glob("*.md")}


def test_the_guides_the_issue_asks_for_exist() -> None:
    for name in (
        "getting-started",
        "manifest",
        "pushing",
        "embedding",
        "hub",
        "api",
        "configuration",
        "gpu",
        "troubleshooting",
    ):
        assert (DOCS / f"{name}.md").is_file(), f"docs/{name}.md is missing"


def test_every_relative_link_in_the_docs_resolves() -> None:
    texts = _texts()
    anchors = {name: set(heading_ids(text)) for name, text in texts.items()}
    broken = []
    for name, text in texts.items():
        for href in relative_links(text):
            path, _, frag = href.partition("#")
            if not path:  # a heading on the same page
                target, ok = name, True
            elif (site := doc_href(href)) is not None and site.startswith("/docs/"):
                target = site.removeprefix("/docs/").partition("#")[0]
                ok = target in texts
            else:  # a file of the repository
                target, ok = "", (DOCS / path).resolve().exists() and not frag
            if not ok or (frag and target and frag not in anchors[target]):
                broken.append(f"docs/{name}.md: {href}")
    assert broken == []


def test_readme_links_to_docs_resolve() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    missing = [
        h
        for h in relative_links(readme)
        if not h.startswith("#") and not (ROOT / h.partition("#")[0]).exists()
    ]
    assert missing == []
    assert "/docs" in readme


# --- over HTTP -------------------------------------------------------------------------------


def test_served_index_page_and_404() -> None:
    async def main() -> None:
        app = web.Application()
        add_docs_routes(app)
        async with TestClient(TestServer(app)) as client:
            resp = await client.get("/docs")
            assert resp.status == 200 and "text/html" in resp.headers["Content-Type"]
            index = await resp.text()
            for name in doc_names(DOCS):
                assert f"href='/docs/{name}'" in index
            resp = await client.get("/docs/embedding")
            page = await resp.text()
            assert resp.status == 200 and "<article class=doc id=doc" in page
            resp = await client.get("/docs/embedding.md", allow_redirects=False)
            assert (resp.status, resp.headers["Location"]) == (301, "/docs/embedding")
            resp = await client.get("/docs/nope")
            assert resp.status == 404 and "no page named nope" in await resp.text()
            for bad in ("/docs/..%2fREADME", "/docs/%2e%2e", "/docs/.hidden", "/docs/API"):
                assert (await client.get(bad)).status == 404, bad

    asyncio.run(main())


# --- the docs against the code ----------------------------------------------------------------

_VAR = re.compile(r"SPACEHOST_[A-Z0-9_]+")


def _code_vars() -> set[str]:
    sources = [
        *(ROOT / "platform").rglob("*.py"),
        *(ROOT / "scripts").glob("*.sh"),
        *(ROOT / "runtime_images").rglob("*.py"),
        *(ROOT / "tests").rglob("*.py"),
    ]
    return {v for p in sources for v in _VAR.findall(p.read_text("utf-8", "replace"))}


def test_every_setting_the_docs_name_exists_in_the_code() -> None:
    named = {
        v
        for p in [*DOCS.glob("*.md"), ROOT / "README.md"]
        for v in _VAR.findall(p.read_text("utf-8"))
    }
    assert sorted(named - _code_vars()) == []


def test_every_setting_is_in_configuration_md() -> None:
    settings = (ROOT / "platform" / "spacehost" / "settings.py").read_text("utf-8")
    read = set(re.findall(r"\"(SPACEHOST_[A-Z0-9_]+)\"[:,)]", settings))
    documented = set(_VAR.findall((DOCS / "configuration.md").read_text("utf-8")))
    assert sorted(read - documented) == [], "add these to docs/configuration.md"


_COMMAND = re.compile(r"^(?:\$\s+)?(?:[A-Z_]+=\S+\s+)*(?:\S*/)?spacehost\s+(.*)$")


def _documented_commands() -> list[tuple[str, list[str]]]:
    """(file, words after ``spacehost``) of every command line in code in the docs."""
    out = []
    for path in [*DOCS.glob("*.md"), ROOT / "README.md"]:
        for tok in MarkdownIt("commonmark").enable("table").parse(path.read_text("utf-8")):
            texts = tok.content.split("\n") if tok.type in ("fence", "code_block") else []
            texts += [c.content for c in tok.children or [] if c.type == "code_inline"]
            for text in texts:
                if m := _COMMAND.match(text.strip()):
                    words = m.group(1).split("#")[0].replace("\\|", "|").split()
                    out.append((path.name, words))
    return out


def _action_parser(
    cmd: argparse.ArgumentParser, words: list[str]
) -> argparse.ArgumentParser | None:
    """The parser of a command's action (``users add``), when the command has actions."""
    for action in cmd._actions:
        if isinstance(action, argparse._SubParsersAction) and words:
            found: argparse.ArgumentParser | None = action.choices.get(words[0])
            return found
    return None


def test_every_documented_command_and_option_exists() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    commands: dict[str, argparse.ArgumentParser] = sub.choices
    found = _documented_commands()
    assert len(found) > 40  # the docs are full of them; the pattern still finds them
    wrong = []
    for name, words in found:
        cmd = commands.get(words[0])
        if cmd is None:
            wrong.append(f"{name}: spacehost {' '.join(words)}")
            continue
        options = {**parser._option_string_actions, **cmd._option_string_actions}
        nested = _action_parser(cmd, words[1:2])  # `spacehost users add …` has its own
        if nested is not None:
            options.update(nested._option_string_actions)
        for i, word in enumerate(words[1:], start=1):
            if not word.startswith("-") or word[1:2].isdigit():
                continue
            action = options.get(word.split("=")[0].rstrip(".,"))
            values = words[i + 1].strip("[]").split("|") if i + 1 < len(words) else []
            if action is None or (
                action.choices
                and values
                and values[0].isidentifier()
                and not set(values) <= set(action.choices)
            ):
                wrong.append(f"{name}: spacehost {' '.join(words)}")
    assert wrong == []


def test_manifest_md_documents_exactly_the_known_fields() -> None:
    text = (DOCS / "manifest.md").read_text("utf-8")
    rows = set(re.findall(r"^\| `([A-Za-z_]+)`(?:, `([A-Za-z_]+)`)? \|", text, re.M))
    documented = {name for row in rows for name in row if name}
    files = {"README.md", "requirements.txt", "packages.txt", "Dockerfile", "app.py"}
    assert documented >= KNOWN_FIELDS, sorted(KNOWN_FIELDS - documented)
    assert documented - KNOWN_FIELDS <= files, sorted(documented - KNOWN_FIELDS - files)
