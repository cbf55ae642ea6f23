"""spacehost.activityfile: the router's report of use, written and read by one format."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from spacehost.activityfile import (
    OPEN_STALE_S,
    Activity,
    activity_json,
    parse_activity,
    read_activities,
    read_activity,
    write_activity,
)

REPORT = {"alice/a": Activity(12.5, 2), "alice/b": Activity(3.0, 0)}


def test_round_trip_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "run" / "activity.json"
    write_activity(path, REPORT)
    assert read_activity(path) == REPORT
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_bytes_are_the_documented_format() -> None:
    assert activity_json({"b/x": Activity(2.0, 1), "a/y": Activity(1.5)}) == (
        '{"spaces": {"a/y": {"last": 1.5, "open": 0}, "b/x": {"last": 2.0, "open": 1}}}'
    )


@pytest.mark.parametrize("text", ["not json", '["spaces"]', '{"spaces": []}', "{}", ""])
def test_a_file_that_is_not_a_report_gives_none(text: str) -> None:
    assert parse_activity(text) == {}


def test_nonsense_entries_are_skipped() -> None:
    text = (
        '{"spaces": {"ok/a": {"last": 5}, "ok/b": {"last": 1, "open": -3},'
        ' "bad/c": {"last": "x"}, "bad/d": 7, "bad/e": {"last": 1, "open": 1.5}}}'
    )
    assert parse_activity(text) == {"ok/a": Activity(5.0), "ok/b": Activity(1.0, 0)}


def test_missing_or_unreadable_file_gives_none(tmp_path: Path) -> None:
    assert read_activity(tmp_path / "absent.json") == {}
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe")
    assert read_activity(bad) == {}


def test_reports_of_two_routers_merge_latest_time_and_all_open_connections(
    tmp_path: Path,
) -> None:
    write_activity(tmp_path / "router-8000.json", {"a/x": Activity(5.0, 1), "a/y": Activity(9.0)})
    write_activity(tmp_path / "router-8001.json", {"a/x": Activity(7.0, 2), "a/z": Activity(1.0)})
    (tmp_path / ".router-8001.json.0123abcd").write_text("{}")  # a write under way: not a report
    now = time.time()
    assert read_activities(tmp_path, clock=lambda: now) == {
        "a/x": Activity(7.0, 3),
        "a/y": Activity(9.0),
        "a/z": Activity(1.0),
    }


def test_a_report_not_rewritten_lately_keeps_its_times_but_holds_nothing_open(
    tmp_path: Path,
) -> None:
    # a router rewrites its file every second while anything is open: this one's router is gone
    path = tmp_path / "router-8001.json"
    write_activity(path, {"a/x": Activity(7.0, 2)})
    later = path.stat().st_mtime + OPEN_STALE_S + 1
    assert read_activities(tmp_path, clock=lambda: later) == {"a/x": Activity(7.0, 0)}
    assert read_activities(tmp_path / "absent") == {}
