"""The local mirror's folder pages as PEP 691 JSON with upload times (what a dated pip needs)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from spacehost.builder.simple_json import ALWAYS, index_page_json, listing_json, wants_json

PIP_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, "
    "text/html; q=0.01"
)


def test_pip_asks_for_json_and_browsers_do_not() -> None:
    assert wants_json(PIP_ACCEPT)
    assert not wants_json("text/html,application/xhtml+xml,*/*;q=0.8")


def local_index(tmp_path: Path) -> tuple[Path, Path]:
    files = tmp_path / "files"
    files.mkdir()
    wheel = files / "six-1.16.0-py2.py3-none-any.whl"
    wheel.write_bytes(b"w")
    os.utime(wheel, (1_600_000_000, 1_600_000_000))  # 2020-09-13T12:26:40Z
    project = tmp_path / "simple" / "six"
    project.mkdir(parents=True)
    page = project / "index.html"
    page.write_text(
        "<!DOCTYPE html><html><body>\n"
        '<a href="../../files/six-1.16.0-py2.py3-none-any.whl#sha256=abc" '
        'data-requires-python="&gt;=2.7" data-core-metadata="sha256=def">six</a>\n'
        '<a href="../../files/six-0.9.tar.gz" data-yanked="">gone</a>\n'
        '<a href="https://elsewhere.example/six-1.0.tar.gz" data-yanked="broken">far</a>\n'
        "</body></html>\n"
    )
    return project, page


def test_an_index_page_carries_everything_and_the_file_times_of_this_disk(
    tmp_path: Path,
) -> None:
    project, page = local_index(tmp_path)
    data = json.loads(index_page_json(page.read_bytes(), project, lambda p: tmp_path in p.parents))
    assert data["meta"] == {"api-version": "1.1"} and data["name"] == "six"
    first, missing, far = data["files"]
    assert first == {
        "filename": "six-1.16.0-py2.py3-none-any.whl",
        "url": "../../files/six-1.16.0-py2.py3-none-any.whl",
        "hashes": {"sha256": "abc"},
        "requires-python": ">=2.7",
        "core-metadata": {"sha256": "def"},
        "upload-time": "2020-09-13T12:26:40.000000Z",
    }
    # a file that is not there, or not under a served root, has no time: a dated pip refuses
    # it ("does not provide upload-time metadata") and the build falls back with a warning
    assert missing["yanked"] is True and "upload-time" not in missing
    assert far["yanked"] == "broken" and "upload-time" not in far


def test_a_file_outside_the_served_roots_gets_no_time(tmp_path: Path) -> None:
    project, page = local_index(tmp_path)
    data = json.loads(index_page_json(page.read_bytes(), project, lambda p: False))
    assert all("upload-time" not in f for f in data["files"])


def test_a_find_links_listing_is_admitted_by_every_cutoff(tmp_path: Path) -> None:
    names = ["sub/", "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"]
    data = json.loads(listing_json(tmp_path, names))
    assert data["files"] == [
        {
            "filename": "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl",
            "url": "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl",
            "hashes": {},
            "upload-time": ALWAYS,
        }
    ]
