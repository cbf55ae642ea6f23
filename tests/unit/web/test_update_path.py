"""The space page's "which path did the last update take" line (web/update_path.py)."""

from __future__ import annotations

from spacehost.web.update_path import update_path_html, update_path_text


def test_a_hot_reload_says_so_with_its_time() -> None:
    events = [
        (3.0, "hot_reload", "revision abc hot-reloaded in 0.42 s"),
        (2.0, "running", "revision old is live"),
    ]
    assert update_path_text(events) == (
        "Last update: revision abc hot-reloaded in 0.42 s (no rebuild)"
    )


def test_a_deploy_says_rebuilt_and_why_no_hot_reload() -> None:
    events = [
        (5.0, "running", "revision def is live"),
        (4.0, "hot_reload_refused", "not hot-reloaded: requirements.txt changed"),
        (3.5, "push", "revision def pushed"),
        (3.0, "hot_reload", "revision abc hot-reloaded in 0.42 s"),
    ]
    assert update_path_text(events) == (
        "Last update: rebuilt (revision def is live) "
        "(hot reload not possible: requirements.txt changed)"
    )


def test_a_plain_push_says_rebuilt() -> None:
    events = [(2.0, "running", "revision a is live"), (1.0, "push", "revision a pushed")]
    assert update_path_text(events) == "Last update: rebuilt (revision a is live)"


def test_nothing_live_yet_shows_nothing() -> None:
    assert update_path_html([(1.0, "push", "revision a pushed")]) == ""


def test_the_paragraph_is_escaped() -> None:
    html = update_path_html([(1.0, "hot_reload", "<b>x</b>")])
    assert html.startswith("<p id=update-path") and "&lt;b&gt;" in html
