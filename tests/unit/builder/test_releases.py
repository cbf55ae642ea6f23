"""Release times of gradio from the index's JSON simple API, cached on disk."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from spacehost.builder.releases import ReleaseDates, release_times, window


def page(*files: tuple[str, str]) -> dict[str, object]:
    return {"files": [{"filename": f, "upload-time": t} for f, t in files]}


PAGE = page(
    ("gradio-5.9.1-py3-none-any.whl", "2024-12-16T23:26:40.1Z"),
    ("gradio-5.9.1.tar.gz", "2024-12-16T23:26:54.825852Z"),
    ("gradio-5.10.0b1-py3-none-any.whl", "2024-12-20T10:00:00Z"),  # a beta ends nothing
    ("gradio-4.44.2-py3-none-any.whl", "2024-12-30T10:00:00Z"),  # a backport neither
    ("gradio-5.10.0-py3-none-any.whl", "2025-01-07T00:30:44.347840Z"),
    ("gradio-5.10.0.tar.gz", "2025-01-07T00:31:00Z"),
    ("README.txt", "2025-01-08T00:00:00Z"),
)


def test_a_release_is_complete_at_its_last_file_and_ends_at_the_next_final_release() -> None:
    times = release_times(PAGE)
    assert times["5.9.1"] == ("2024-12-16T23:26:40.1Z", "2024-12-16T23:26:54.825852Z")
    w = window(times, "5.9.1")
    assert w is not None
    assert w.uploaded == datetime(2024, 12, 16, 23, 26, 54, 825852, tzinfo=UTC)
    assert w.superseded == datetime(2025, 1, 7, 0, 30, 44, 347840, tzinfo=UTC)
    assert w.superseded_by == "5.10.0"
    newest = window(times, "5.10.0")
    assert newest is not None and newest.superseded is None
    assert window(times, "9.9.9") is None


class Index:
    def __init__(self, body: dict[str, object] | None) -> None:
        self.body = body
        self.urls: list[str] = []

    def __call__(self, url: str, ca_file: str) -> bytes:
        self.urls.append(url)
        if self.body is None:
            raise OSError("Network is unreachable")
        return json.dumps(self.body).encode()


def test_one_fetch_then_the_disk_cache_answers(tmp_path: Path) -> None:
    index = Index(PAGE)
    dates = ReleaseDates("https://pypi.example/simple/", tmp_path, fetch=index, clock=lambda: 1e9)
    assert dates.window("gradio", "5.9.1")[0] is not None
    again = ReleaseDates(
        "https://pypi.example/simple", tmp_path, fetch=Index(None), clock=lambda: 2e9
    )
    found, problem = again.window("gradio", "5.9.1")  # offline now: the cache has it all
    assert found is not None and found.superseded_by == "5.10.0" and problem == ""
    assert index.urls == ["https://pypi.example/simple/gradio/"]


def test_the_newest_release_is_asked_again_after_a_day(tmp_path: Path) -> None:
    first = Index(PAGE)
    ReleaseDates("https://i/simple", tmp_path, fetch=first, clock=lambda: 0.0).window(
        "gradio", "5.10.0"
    )
    same_day = Index(None)
    ReleaseDates("https://i/simple", tmp_path, fetch=same_day, clock=lambda: 3600.0).window(
        "gradio", "5.10.0"
    )
    assert same_day.urls == []
    files = [
        *PAGE["files"],
        {"filename": "gradio-5.11.0.tar.gz", "upload-time": "2025-01-09T00:00:00Z"},
    ]  # type: ignore[misc]
    later = Index({"files": files})
    found, _ = ReleaseDates("https://i/simple", tmp_path, fetch=later, clock=lambda: 9e4).window(
        "gradio", "5.10.0"
    )
    assert found is not None and found.superseded_by == "5.11.0"


def test_offline_without_a_cache_says_why(tmp_path: Path) -> None:
    dates = ReleaseDates("https://pypi.example/simple", tmp_path, fetch=Index(None))
    found, problem = dates.window("gradio", "5.9.1")
    assert found is None
    assert problem.startswith("https://pypi.example/simple/gradio/ could not be read")
    assert "Network is unreachable" in problem


def test_a_version_the_index_does_not_have_is_named(tmp_path: Path) -> None:
    found, problem = ReleaseDates("https://i/simple", tmp_path, fetch=Index(PAGE)).window(
        "gradio", "5.9.9"
    )
    assert found is None and problem == "https://i/simple/gradio/ lists no upload of gradio 5.9.9"
