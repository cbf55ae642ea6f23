"""The gallery renderer: cards, order, server-side filters, escaping."""

from __future__ import annotations

import re
from dataclasses import replace

from spacehost.domain import Stage
from spacehost.store import SpaceRecord
from spacehost.web.gallery import GalleryQuery, matches, ordered, render_gallery
from tests.support.web_records import HOSTILE, record

SPACES = [
    record("alice/zeta", title="Zeta", tags=["audio"], sdk="gradio"),
    record(
        "bob/alpha",
        title="Alpha",
        short_description="Greets you",
        tags=["text"],
        sdk="static",
        stage=Stage.BUILD_ERROR,
    ),
    record("carol/pinned", title="Pinned one", pinned=True, tags=["Text", "vision"]),
]


def _shown(page: str) -> list[str]:
    return re.findall(r"<a class=card href='/spaces/([^']+)'[^>]*?(?<! hidden)>", page)


def test_pinned_first_then_by_id() -> None:
    assert [str(r.id) for r in ordered(SPACES)] == ["carol/pinned", "alice/zeta", "bob/alpha"]


def test_cards_link_to_the_space_page_with_gradient_badge_and_description() -> None:
    page = render_gallery(SPACES, GalleryQuery())
    assert _shown(page) == ["carol/pinned", "alice/zeta", "bob/alpha"]
    assert "href='/spaces/bob/alpha'" in page
    assert "linear-gradient(135deg,#ef4444,#3b82f6)" in page
    assert "Greets you" in page and "<p id=count>3 spaces</p>" in page
    assert "<span class='badge error' data-stage>BUILD_ERROR</span>" in page


def test_text_search_looks_in_title_name_description_and_tags() -> None:
    def hits(q: str) -> list[str]:
        return [str(r.id) for r in SPACES if matches(r, GalleryQuery(q=q))]

    assert hits("greets") == ["bob/alpha"]
    assert hits("ZETA") == ["alice/zeta"]
    assert hits("carol") == ["carol/pinned"]
    assert hits("vision") == ["carol/pinned"]
    assert hits("pinned vision") == ["carol/pinned"]
    assert hits("pinned audio") == []


def test_filters_by_tag_sdk_and_stage() -> None:
    def hits(**kw: str) -> list[str]:
        return [str(r.id) for r in SPACES if matches(r, GalleryQuery(**kw))]

    assert hits(tag="text") == ["bob/alpha", "carol/pinned"]  # tags compare case-insensitively
    assert hits(sdk="static") == ["bob/alpha"]
    assert hits(stage="RUNNING") == ["alice/zeta", "carol/pinned"]
    assert hits(tag="text", stage="RUNNING") == ["carol/pinned"]


def test_query_string_filters_hide_cards_on_the_server() -> None:
    query = GalleryQuery.from_query({"q": " alpha ", "sdk": "static"})
    assert query == GalleryQuery(q="alpha", sdk="static")
    page = render_gallery(SPACES, query)
    assert _shown(page) == ["bob/alpha"]
    assert page.count(" hidden>") == 2  # still rendered, so clearing the search shows them
    assert "<p id=count>1 space</p>" in page
    assert "value='alpha'" in page and "<option value='static' selected>" in page


def test_hostile_manifest_values_are_escaped() -> None:
    evil = record(
        "eve/x",
        title=HOSTILE,
        short_description=HOSTILE,
        emoji=HOSTILE,
        tags=[HOSTILE],
        colorFrom="red;background:url(x)",
    )
    page = render_gallery([evil], GalleryQuery(q=HOSTILE))
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&quot;&#x27;&amp;" in page
    assert "url(x)" not in page  # only known colour names reach the style attribute


def test_empty_gallery_says_how_to_push() -> None:
    assert "spacehost push" in render_gallery([], GalleryQuery())


def _timed(space: str, created: float, updated: float, **kw: object) -> SpaceRecord:
    return replace(record(space, **kw), created_at=created, updated_at=updated)


TIMED = [
    _timed("a/old", 1.0, 50.0),
    _timed("b/new", 3.0, 10.0),
    _timed("c/mid", 2.0, 20.0),
    _timed("d/pin", 0.0, 0.0, pinned=True),
]


def test_sorts_newest_name_and_recently_active_pinned_first() -> None:
    def ids(sort: str, seen: dict[str, float] | None = None) -> list[str]:
        return [str(r.id) for r in ordered(TIMED, sort, seen)]

    assert ids("name") == ["d/pin", "a/old", "b/new", "c/mid"]
    assert ids("newest") == ["d/pin", "b/new", "c/mid", "a/old"]
    assert ids("active") == ["d/pin", "a/old", "c/mid", "b/new"]  # the record's last change
    assert ids("active", {"b/new": 99.0}) == ["d/pin", "b/new", "a/old", "c/mid"]  # visits win
    assert GalleryQuery.from_query({"sort": "bogus"}).sort == "name"


def test_pages_of_matching_spaces_with_links() -> None:
    query = GalleryQuery.from_query({"per": "2", "sort": "newest", "page": "2"})
    assert (query.per, query.page) == (2, 2)
    page = render_gallery(TIMED, query)
    assert _shown(page) == ["c/mid", "a/old"] and " hidden>" not in page
    assert "<span id=page-of>Page 2 of 2</span>" in page
    assert "href='/?sort=newest&amp;per=2'>← Previous</a>" in page and "Next" not in page
    first = render_gallery(TIMED, replace(query, page=1))
    assert _shown(first) == ["d/pin", "b/new"]
    assert "href='/?sort=newest&amp;page=2&amp;per=2'>Next →</a>" in first
    assert "<option value=newest selected>Newest</option>" in first
    assert "<input type=hidden name=per value=2>" in first
    filtered = render_gallery(TIMED, GalleryQuery(q="mid", per=2))
    assert _shown(filtered) == ["c/mid"] and "class=pager" not in filtered
    assert _shown(render_gallery(TIMED, replace(query, page=99))) == ["c/mid", "a/old"]
    assert GalleryQuery.from_query({"page": "x", "per": "100000"}).per == 100
    assert "class=pager" not in render_gallery(TIMED, GalleryQuery())
