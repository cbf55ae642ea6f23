"""The space page's pure renderers: header, tabs, App/Logs/Embed/Files tabs, escaping."""

from __future__ import annotations

from dataclasses import replace

from spacehost.domain import SpaceId, Stage
from spacehost.settings import Settings
from spacehost.store import BuildRecord, LogLine
from spacehost.web.failed_deploy import banner, failed_deploy, gallery_marker
from spacehost.web.files_tab import files_tab, human_size, is_binary
from spacehost.web.space_page import parse_tab, render_page, tab_bar
from spacehost.web.space_tabs import LogPanes, app_tab, embed_tab, logs_tab
from spacehost.web.urls import gradio_js_url, space_urls
from tests.support.web_records import HOSTILE, record

SETTINGS = Settings(port=8000)
URLS = space_urls(SpaceId("alice", "demo"), SETTINGS)
BASE = SETTINGS.base_url


def test_urls_match_the_api() -> None:
    assert URLS.host == "http://alice-demo.localhost:8000/"
    assert URLS.path == "http://127.0.0.1:8000/spaces/alice/demo/"
    assert URLS.page == "http://127.0.0.1:8000/spaces/alice/demo"
    assert gradio_js_url(SETTINGS, "6.31.0") == (
        "http://127.0.0.1:8000/static/gradio/6.31.0/gradio.js"
    )


def test_tabs_are_links_with_the_active_one_marked() -> None:
    assert parse_tab("logs") == "logs" and parse_tab("nope") == "app" and parse_tab("") == "app"
    bar = tab_bar(SpaceId("alice", "demo"), "api")
    for key in ("app", "logs", "api", "embed", "files"):
        assert f"href='/spaces/alice/demo?tab={key}'" in bar
    assert "<a href='/spaces/alice/demo?tab=api' class=active aria-current=page>" in bar
    assert bar.count("class=active") == 1


def test_full_header_with_hardware_badge_and_open_link() -> None:
    page = render_page(record(), URLS, BASE, "app", "")
    assert "<header class=space-head>" in page
    assert "<h1>Demo</h1>" in page and "alice / demo" in page and "hardware: cpu-basic" in page
    assert "<span class='badge running' data-stage id=space-stage>RUNNING</span>" in page
    assert "<a id=open-app href='http://alice-demo.localhost:8000/' target=_blank" in page
    assert (
        "<link rel=alternate type='application/json+oembed' href='http://127.0.0.1:8000/api/"
        "oembed?url=http%3A%2F%2F127.0.0.1%3A8000%2Fspaces%2Falice%2Fdemo'"
    ) in page


def test_mini_header_is_one_line() -> None:
    page = render_page(record(header="mini"), URLS, BASE, "app", "")
    assert "<header class='space-head mini'>" in page and "hardware:" not in page


def test_full_width_only_widens_the_app_tab() -> None:
    assert "<main class=full>" in render_page(record(fullWidth=True), URLS, BASE, "app", "")
    assert "<main>" in render_page(record(fullWidth=True), URLS, BASE, "logs", "")
    assert "<main>" in render_page(record(), URLS, BASE, "app", "")


def test_app_tab_frames_the_space_host_when_running() -> None:
    out = app_tab(record(), URLS, "")
    assert "<iframe id=app-frame class=app src='http://alice-demo.localhost:8000/'" in out


def test_app_tab_shows_the_status_when_not_running() -> None:
    rec = record(stage=Stage.RUNTIME_ERROR, upstream=None, error="exit code 1")
    out = app_tab(rec, URLS, "Traceback <boom>")
    assert "<iframe" not in out
    assert "RUNTIME_ERROR" in out and "exit code 1" in out and "Traceback &lt;boom&gt;" in out
    assert "<iframe" not in app_tab(record(sdk="static", stage=Stage.BUILDING), URLS, "")


def test_logs_tab_follows_both_logs_and_keeps_the_previous_run() -> None:
    out = logs_tab(record(), LogPanes(run_ref="c2", build_revision="abc"))
    assert "data-base='/api/spaces/alice/demo/logs'" in out and "data-run='c2'" in out
    assert "id=run-log" in out and "id=build-log" in out and "Previous run" not in out
    assert "<h2 data-for=run-log>Container log · revision abc (serving)</h2>" in out
    assert "<h2 data-for=build-log>Build log · revision abc (serving)</h2>" in out
    assert "EventSource(base+'?kind='+kind+'&follow=1&tail='+tail+" in out
    prev = [LogLine(1, "run", "c1", 0.0, "crash <script>"), LogLine(2, "run", "c1", 0.0, "bye")]
    out = logs_tab(record(), LogPanes(previous=prev))
    assert (
        "Previous run (the container before this one)</h2><pre class=log id=previous-log>"
        "crash &lt;script&gt;\nbye</pre>"
    ) in out


def test_logs_tab_labels_a_failed_revision() -> None:
    rec = replace(
        record(error="the app did not start\nTraceback"),
        revision="f" * 40,
        serving_revision="5" * 40,
    )
    failed = failed_deploy(
        rec, [BuildRecord(2, "alice/demo", "f" * 40, "succeeded", 0.0, 1.0, "img", "", False)]
    )
    assert failed is not None and failed.built and failed.what == "failed to start"
    out = logs_tab(
        rec,
        LogPanes(
            build_revision="f" * 40,
            failed=failed,
            failed_run=[LogLine(3, "run", "c3", 0.0, "Traceback <x>")],
        ),
    )
    assert "Container log · revision 5555555 (serving)" in out
    assert "Build log · revision fffffff (failed)" in out
    assert (
        "<h2 data-for=failed-run-log>Container log · revision fffffff (failed)</h2>"
        "<pre class=log id=failed-run-log>Traceback &lt;x&gt;</pre>"
    ) in out


def test_failed_deploy_banner_and_marker() -> None:
    rec = replace(
        record(error="build failed at Step 3 <x>\nlog tail"),
        revision="f" * 40,
        serving_revision="5" * 40,
    )
    failed = failed_deploy(
        rec, [BuildRecord(2, "alice/demo", "f" * 40, "failed", 0.0, 1.0, None, "x", False)]
    )
    assert failed is not None and not failed.built
    out = banner("alice/demo", failed)
    assert "Revision fffffff failed to build</strong>: build failed at Step 3 &lt;x&gt;" in out
    assert "Revision 5555555 is still serving" in out
    assert "href='/spaces/alice/demo?tab=logs#build-log'>See its build log</a>" in out
    assert "<pre>log tail</pre>" in out
    assert "update failed" in gallery_marker(rec)
    assert failed_deploy(record(error="x"), []) is None  # the failing revision is serving
    assert failed_deploy(replace(rec, error_message=""), []) is None
    assert failed_deploy(replace(rec, stage=Stage.RUNNING_BUILDING), []) is None
    assert gallery_marker(record()) == ""


def test_embed_tab_snippets_and_copy_buttons() -> None:
    out = embed_tab(record(), URLS, gradio_js_url(SETTINGS, "6.31.0"))
    assert "&lt;iframe src=&quot;http://alice-demo.localhost:8000/&quot;" in out
    assert "http://127.0.0.1:8000/static/gradio/6.31.0/gradio.js" in out
    assert "&lt;gradio-app-6-31-0 src=&quot;http://alice-demo.localhost:8000/&quot;" in out
    assert "data-copy=embed-iframe" in out and "data-copy=embed-component" in out
    assert "gradio-app" not in embed_tab(record(sdk="static"), URLS, "x")


def test_embed_tab_says_when_embedding_is_disabled() -> None:
    out = embed_tab(record(disable_embedding=True), URLS, "x")
    assert "id=embed-disabled" in out and "<iframe" not in out and "&lt;iframe" not in out


def test_files_tab_lists_files_and_renders_the_readme() -> None:
    listing = [("README.md", 120), ("app.py", 2048)]
    readme = b"---\ntitle: x\n---\n# Hi <script>alert(1)</script>"
    out = files_tab(listing, "alice/demo", readme=readme)
    assert "<a href='/spaces/alice/demo?tab=files&amp;path=app.py'>app.py</a>" in out
    assert "2.0 KiB" in out and "120 B" in out
    assert "<h1>Hi &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in out and "title: x" not in out


def test_files_tab_shows_one_file_escaped_or_says_binary() -> None:
    listing = [("app.py", 10), ("img.png", 4)]
    out = files_tab(listing, "alice/demo", path="app.py", content=b"print('<b>')")
    assert "<pre id=file-body class=file>print(&#x27;&lt;b&gt;&#x27;)</pre>" in out
    assert "<tr class=selected>" in out
    out = files_tab(listing, "alice/demo", path="img.png", content=b"\x89PNG\0")
    assert "binary file, 5 bytes" in out
    out = files_tab(listing, "alice/demo", path="../../etc/passwd", content=None)
    assert "id=file-missing" in out
    assert is_binary(b"\xff\xfe") and not is_binary("héllo".encode())
    assert human_size(1536) == "1.5 KiB" and human_size(3 << 20) == "3.0 MiB"


def test_hostile_title_and_description_are_escaped_everywhere() -> None:
    rec = record(title=HOSTILE, short_description=HOSTILE, emoji=HOSTILE)
    page = render_page(rec, URLS, BASE, "app", app_tab(rec, URLS, ""))
    assert "<script>alert" not in page
    assert page.count("&lt;script&gt;alert(&#x27;x&#x27;)") >= 4  # title tag, h1, desc, emoji
