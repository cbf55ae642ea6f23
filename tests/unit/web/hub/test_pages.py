"""Hub repo pages: the pure renderers (cards, tags, snippets, escaping of hostile READMEs and
file names, 404s) and the pages served over HTTP from a real HubStore (lists, repo page tabs,
file pages, "Spaces using this", routes that must not shadow /api, /spaces, /static)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from spacehost import appkeys
from spacehost.api import add_routes, error_middleware
from spacehost.domain import RepoKind, SpaceId
from spacehost.identity import Accounts
from spacehost.lifecycle import Platform
from spacehost.store.hub import HubStore
from spacehost.web.hub.card import chips, human_bytes, parse_card
from spacehost.web.hub.list import ListQuery, RepoSummary, render_list
from spacehost.web.hub.pages import add_hub_routes, card_target, not_found_page, repo_links
from spacehost.web.hub.snippets import use_snippets
from spacehost.web.hub.usage import repos_named, spaces_using
from spacehost.web.markdown import render_markdown
from spacehost.web.space_page import space_page
from tests.support.platforms import fake_settings, new_platform, shut_down
from tests.support.web_records import HOSTILE, record

ENDPOINT = "http://127.0.0.1:8000"

MODEL_CARD = """---
license: apache-2.0
library_name: sentence-transformers
pipeline_tag: sentence-similarity
tags: [sentence-transformers, feature-extraction]
datasets: [spacehost/movie-reviews]
language: en
---

# Tiny MiniLM

Maps sentences to a **384**-dimensional space.
"""


# --- pure -------------------------------------------------------------------------------------


def test_card_front_matter_becomes_tags_not_yaml() -> None:
    card = parse_card(MODEL_CARD)
    assert card.data["pipeline_tag"] == "sentence-similarity"
    assert card.body.lstrip().startswith("# Tiny MiniLM") and "license:" not in card.body
    assert chips(card) == [
        ("task", "sentence-similarity"),
        ("library", "sentence-transformers"),
        ("language", "en"),
        ("license", "apache-2.0"),
        ("tag", "feature-extraction"),
        ("dataset", "spacehost/movie-reviews"),
    ]
    assert parse_card("no front matter\n").data == {}
    assert parse_card("---\n: [bad\n---\nbody").data == {}  # malformed YAML: no tags, no crash


def test_sizes_are_decimal_as_on_hf() -> None:
    assert [human_bytes(n) for n in (0, 999, 1500, 90_868_376, 3 * 10**9)] == [
        "0 B",
        "999 B",
        "1.5 kB",
        "90.9 MB",
        "3.0 GB",
    ]


def test_sentence_transformers_repo_gets_its_snippet_and_all_set_hf_endpoint() -> None:
    files = ["modules.json", "config.json", "tokenizer.json", "model.safetensors"]
    snips = use_snippets(
        RepoKind.MODEL, "alice/mini", files, ENDPOINT, pipeline_tag="sentence-similarity"
    )
    assert [s.ident for s in snips] == [
        "use-sentence-transformers",
        "use-transformers",
        "use-hub",
        "use-cli",
    ]  # not a transformers pipeline task
    for s in snips[:3]:
        assert 'os.environ["HF_ENDPOINT"] = "http://127.0.0.1:8000"' in s.code
        assert s.code.index("HF_ENDPOINT") < s.code.index("from ")  # set before the import
        assert '"alice/mini"' in s.code
    assert 'SentenceTransformer("alice/mini")' in snips[0].code
    assert 'AutoTokenizer.from_pretrained("alice/mini")' in snips[1].code
    assert snips[3].code == "HF_ENDPOINT=http://127.0.0.1:8000 hf download alice/mini"


def test_transformers_pipeline_snippet_for_a_pipeline_task() -> None:
    snips = use_snippets(
        RepoKind.MODEL,
        "bob/sst",
        ["config.json", "model.safetensors"],
        ENDPOINT,
        pipeline_tag="text-classification",
    )
    assert [s.ident for s in snips] == ["use-pipeline", "use-transformers", "use-hub", "use-cli"]
    assert 'pipeline("text-classification", model="bob/sst")' in snips[0].code
    assert "AutoTokenizer" not in snips[1].code  # no tokenizer files in the repo


def test_dataset_snippets_use_load_dataset_and_repo_type() -> None:
    snips = use_snippets(RepoKind.DATASET, "carol/reviews", ["data/train.csv"], ENDPOINT)
    assert [s.ident for s in snips] == ["use-datasets", "use-hub", "use-cli"]
    assert 'load_dataset("carol/reviews")' in snips[0].code
    assert 'snapshot_download("carol/reviews", repo_type="dataset")' in snips[1].code
    assert snips[2].code.endswith("hf download carol/reviews --repo-type dataset")


def test_repos_named_by_a_space_summary_or_front_matter() -> None:
    assert repos_named(
        {
            "models": ["a/m", "a/m"],
            "datasets": "b/d",
            "preload_from_hub": ["c/p file.bin abc1234", "nodash"],
        }
    ) == [(RepoKind.MODEL, "a/m"), (RepoKind.DATASET, "b/d"), (RepoKind.MODEL, "c/p")]
    assert repos_named({"hub": [{"kind": "dataset", "repo_id": "x/y"}]}) == [
        (RepoKind.DATASET, "x/y")
    ]


def test_spaces_using_reads_the_readme_when_the_summary_lacks_the_fields() -> None:
    uses = record("alice/uses")
    other = record("bob/other")
    stored = record("carol/stored", models=["Alice/Mini"])
    readmes = {
        "alice/uses": "---\nsdk: gradio\nmodels:\n  - alice/mini\n---\n",
        "bob/other": "---\nsdk: gradio\n---\n",
    }
    found = spaces_using(
        [other, uses, stored], RepoKind.MODEL, "alice/mini", lambda r: readmes.get(str(r.id))
    )
    assert [str(r.id) for r in found] == ["alice/uses", "carol/stored"]
    assert (
        spaces_using([uses], RepoKind.DATASET, "alice/mini", lambda r: readmes.get(str(r.id))) == []
    )
    moved = spaces_using(  # the repo moved from alice/mini to acme/mini: still used by them
        [other, uses, stored],
        RepoKind.MODEL,
        "acme/mini",
        lambda r: readmes.get(str(r.id)),
        ["alice/mini"],
    )
    assert [str(r.id) for r in moved] == ["alice/uses", "carol/stored"]


def test_list_page_filters_and_escapes() -> None:
    repos = [
        RepoSummary(
            RepoKind.MODEL,
            "alice/mini",
            1500,
            3,
            100.0,
            (("task", "sentence-similarity"), ("tag", HOSTILE)),
        ),
        RepoSummary(RepoKind.MODEL, "bob/other", 10, 1, 200.0),
    ]
    page = render_list(RepoKind.MODEL, repos, ListQuery(q="mini"))
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "href='/alice/mini'" in page and "1.5 kB · 3 files" in page
    assert "data-repo='bob/other' data-text='bob/other' data-tags='' hidden>" in page
    assert "<p id=count data-noun=model>1 model</p>" in page
    assert "<a href='/models' class=current aria-current=page>Models</a>" in page
    empty = render_list(RepoKind.DATASET, [], ListQuery())
    assert "spacehost push DIR --type dataset --name OWNER/NAME" in empty


def test_not_found_page_says_how_to_push() -> None:
    page = not_found_page(RepoKind.DATASET, "x/<b>")
    assert "404 — No dataset named x/&lt;b&gt;" in page
    assert "spacehost push DIR --type dataset --name x/&lt;b&gt;" in page


def test_repo_links_for_a_space_page() -> None:
    out = repo_links([(RepoKind.MODEL, "a/m"), (RepoKind.DATASET, "b/d")])
    assert "href='/a/m'" in out and "href='/datasets/b/d'" in out
    assert repo_links([]) == ""


# --- over HTTP, with a real hub store -----------------------------------------------------------


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[tuple[Platform, HubStore]]:
    platform = new_platform(tmp_path, settings=fake_settings(tmp_path, port=8000))
    hub = HubStore(tmp_path / "hub")
    model = tmp_path / "model"
    (model / "1_Pooling").mkdir(parents=True)
    (model / "README.md").write_text(MODEL_CARD + f"\n{HOSTILE}\n[x](javascript:alert(1))\n")
    (model / "modules.json").write_text("[]")
    (model / "config.json").write_text('{"model_type": "bert"}')
    (model / "1_Pooling" / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"\0\1" * 5000)
    (model / "big.txt").write_bytes(b"a" * ((1 << 20) + 1))
    (model / "<img src=x onerror=alert(1)>.txt").write_text("hostile <b>name</b>")
    hub.push(RepoKind.MODEL, "alice/mini", model, "first")
    (model / "notes.md").write_text("second commit")
    hub.push(RepoKind.MODEL, "alice/mini", model, "add notes")
    data = tmp_path / "data"
    (data / "data").mkdir(parents=True)
    (data / "data" / "train.csv").write_text("text,label\ngood,1\n")
    hub.push(RepoKind.DATASET, "carol/reviews", data, "")
    readme = b"---\ntitle: Uses\nsdk: gradio\nmodels: [alice/mini]\n---\n"
    platform.push(SpaceId("alice", "uses"), {"README.md": readme, "app.py": b"print(1)"})
    assert platform.wait_idle()
    yield platform, hub
    shut_down(platform)
    hub.close()


Get = Callable[[str], Awaitable[tuple[int, str, Any]]]


def serve(platform: Platform, hub: HubStore, scenario: Callable[[Get], Awaitable[None]]) -> None:
    async def main() -> None:
        app = web.Application(middlewares=[error_middleware])
        app[appkeys.PLATFORM], app[appkeys.TOKEN], app[appkeys.HUB] = platform, "t", hub
        app[appkeys.ACCOUNTS] = Accounts(platform.settings.identity_db, "t")
        add_routes(app)
        add_hub_routes(app)
        async with TestClient(TestServer(app)) as client:

            async def get(path: str) -> tuple[int, str, Any]:
                resp = await client.get(path, allow_redirects=False)
                return resp.status, await resp.text(), resp.headers

            await scenario(get)

    asyncio.run(main())


def test_lists_show_each_kind(site: tuple[Platform, HubStore]) -> None:
    async def scenario(get: Get) -> None:
        status, page, _ = await get("/models")
        assert status == 200 and "href='/alice/mini'" in page and "carol/reviews" not in page
        assert "sentence-similarity" in page and "8 files" in page
        status, page, _ = await get("/datasets?q=reviews")
        assert status == 200 and "href='/datasets/carol/reviews'" in page
        assert "<p id=count data-noun=dataset>1 dataset</p>" in page

    serve(*site, scenario)


def test_model_page_card_files_revisions_snippets_and_spaces(
    site: tuple[Platform, HubStore],
) -> None:
    platform, hub = site
    head = hub.repo(RepoKind.MODEL, "alice/mini").head

    async def scenario(get: Get) -> None:
        status, page, _ = await get("/alice/mini")
        assert status == 200
        assert "<span class=owner>alice /</span> mini" in page
        assert f"commit <code class=sha>{head.sha[:7]}</code>" in page
        assert "<span class='chip task' title='task'>sentence-similarity</span>" in page
        assert "<h1>Tiny MiniLM</h1>" in page and "license: apache" not in page
        assert "<script>alert" not in page and 'href="javascript' not in page
        assert "SentenceTransformer(&quot;alice/mini&quot;)" in page
        assert "HF_ENDPOINT=http://127.0.0.1:8000 hf download alice/mini" in page
        assert "<a href='/spaces/alice/uses'>" in page
        status, page, _ = await get("/alice/mini?tab=files")
        assert status == 200 and "8 files" in page
        assert (f"href='/alice/mini/resolve/{head.sha}/1_Pooling/config.json' download") in page
        assert "href='/alice/mini/blob/main/model.safetensors'" in page
        assert "&lt;img src=x onerror=alert(1)&gt;.txt" in page and "<img src=x" not in page
        status, page, _ = await get("/alice/mini?tab=revisions")
        assert "Revisions (2)" in page and "add notes" in page and "first" in page
        old = hub.commits(RepoKind.MODEL, "alice/mini")[1]
        status, page, _ = await get(f"/alice/mini?tab=files&rev={old.sha}")
        assert status == 200 and "an older commit" in page and "notes.md" not in page
        status, page, _ = await get("/alice/mini?tab=files&rev=0000000")
        assert status == 404 and "revision" in page

    serve(platform, hub, scenario)


def test_file_pages_show_small_text_and_offer_large_or_binary_files(
    site: tuple[Platform, HubStore],
) -> None:
    async def scenario(get: Get) -> None:
        status, page, _ = await get("/alice/mini/blob/main/1_Pooling/config.json")
        assert status == 200 and "<pre id=file-body class=file>{}</pre>" in page
        status, page, _ = await get("/alice/mini/blob/main/model.safetensors")
        assert status == 200 and "Binary file, 10.0 kB" in page
        status, page, _ = await get("/alice/mini/blob/main/big.txt")
        assert "Large file, 1.0 MB" in page and "/resolve/" in page
        name = "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.txt"
        status, page, _ = await get(f"/alice/mini/blob/main/{name}")
        assert status == 200 and "hostile &lt;b&gt;name&lt;/b&gt;" in page
        assert "<img src=x" not in page
        status, page, _ = await get("/alice/mini/blob/main/nope.txt")
        assert status == 404 and "nope.txt" in page
        status, page, _ = await get("/datasets/carol/reviews/blob/main/data/train.csv")
        assert status == 200 and "text,label" in page
        status, _, headers = await get("/alice/mini/tree/main")
        assert (status, headers["Location"]) == (302, "/alice/mini?tab=files")

    serve(*site, scenario)


def test_unknown_repos_are_404_pages_and_platform_paths_are_not_shadowed(
    site: tuple[Platform, HubStore],
) -> None:
    async def scenario(get: Get) -> None:
        status, page, _ = await get("/alice/nope")
        assert status == 404 and "spacehost push DIR --type model --name alice/nope" in page
        status, page, _ = await get("/datasets/alice/mini")  # a model, not a dataset
        assert status == 404 and "No dataset named alice/mini" in page
        status, body, _ = await get("/api/nothing")
        assert status == 404 and '"no API endpoint GET /api/nothing"' in body
        status, body, _ = await get("/api/spaces/alice/uses")
        assert status == 200 and '"id": "alice/uses"' in body.replace('":"', '": "')
        for path in ("/spaces/alice", "/static/x", "/docs/x"):
            status, page, _ = await get(path)
            assert status == 404 and "No model named" not in page, path

    serve(*site, scenario)


def test_pages_read_no_whole_blobs(
    site: tuple[Platform, HubStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The repo page and lists open only README blobs (sizes come from the store)."""
    platform, hub = site
    opened: list[str] = []
    real_open = open

    def spy(file: Any, *args: Any, **kw: Any) -> Any:
        opened.append(os.fspath(file))
        return real_open(file, *args, **kw)

    monkeypatch.setattr("builtins.open", spy)

    async def scenario(get: Get) -> None:
        for path in ("/models", "/alice/mini", "/alice/mini?tab=files"):
            assert (await get(path))[0] == 200

    serve(platform, hub, scenario)
    readme = hub.repo(RepoKind.MODEL, "alice/mini").head.file("README.md").sha256
    blob_reads = {p for p in opened if "/blobs/" in p}
    assert blob_reads <= {str(hub.blob_path(readme))}


def test_space_page_links_the_repos_it_uses(site: tuple[Platform, HubStore]) -> None:
    platform, hub = site

    async def scenario(get: Get) -> None:
        status, page, _ = await get("/spaces/alice/uses?tab=files")
        assert status == 200
        assert (
            "<p class=uses id=space-uses>Uses: <a href='/alice/mini' data-repo-kind=model>" in page
        )

    async def main() -> None:
        app = web.Application(middlewares=[error_middleware])
        app[appkeys.PLATFORM], app[appkeys.TOKEN], app[appkeys.HUB] = platform, "t", hub
        app[appkeys.ACCOUNTS] = Accounts(platform.settings.identity_db, "t")
        app.router.add_get("/spaces/{owner}/{name}", space_page)
        async with TestClient(TestServer(app)) as client:

            async def get(path: str) -> tuple[int, str, Any]:
                resp = await client.get(path)
                return resp.status, await resp.text(), resp.headers

            await scenario(get)

    asyncio.run(main())


def test_relative_links_in_a_card_point_into_the_repo() -> None:
    assert card_target(RepoKind.MODEL, "a/m", "./config.json#L1", False) == (
        "/a/m/blob/main/config.json#L1"
    )
    assert card_target(RepoKind.DATASET, "a/d", "img/a%20b.png", True) == (
        "/datasets/a/d/resolve/main/img/a%20b.png"
    )
    assert card_target(RepoKind.MODEL, "a/m", "../../etc/passwd", False) is None
    out = render_markdown(
        "[c](config.json) ![i](i.png) [x](https://x.org) [h](#top)",
        resolve=lambda t, img: card_target(RepoKind.MODEL, "a/m", t, img),
    )
    assert '<a href="/a/m/blob/main/config.json">c</a>' in out
    assert '<img src="/a/m/resolve/main/i.png" alt="i" />' in out
    assert '<a href="https://x.org">x</a>' in out and '<a href="#top">h</a>' in out
