"""DockerBuilder's cut-off decision: the README, the operator's setting and the gradio release
window from the index (a stand-in index; no engine is reached)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import docker
import pytest

from spacehost.asof import parse_as_of
from spacehost.builder import DockerBuilder, PipPlan
from spacehost.builder.releases import PYPI_SIMPLE, ReleaseDates
from spacehost.domain import Sdk
from spacehost.manifest.model import Manifest, SpaceSource
from spacehost.settings import PipSettings, Settings

PUSHED = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
PAGE = {
    "files": [
        {"filename": "gradio-5.9.1.tar.gz", "upload-time": "2024-12-16T23:26:54.8Z"},
        {"filename": "gradio-5.10.0.tar.gz", "upload-time": "2025-01-07T00:30:44.3Z"},
    ]
}


def space(sdk_version: str | None, as_of: str | None = None) -> SpaceSource:
    manifest = Manifest(
        title="T",
        sdk=Sdk.GRADIO,
        sdk_version=sdk_version,
        resolve_as_of=parse_as_of(as_of) if as_of else None,
    )
    return SpaceSource(manifest=manifest, files={"app.py": b""})


@pytest.fixture
def make(tmp_path: Path) -> Iterator[object]:
    asked: list[str] = []

    def fetch(url: str, ca_file: str) -> bytes:
        asked.append(url)
        return json.dumps(PAGE).encode()

    client = docker.DockerClient(base_url="tcp://127.0.0.1:9", version="1.41")
    made: list[DockerBuilder] = []

    def builder(as_of: str = "revision") -> tuple[DockerBuilder, list[str]]:
        settings = Settings(
            data_dir=tmp_path,
            resolve_as_of=parse_as_of(as_of),
            pip=PipSettings(source="none", mirror_port=0),
        )
        releases = ReleaseDates("https://index.example/simple", tmp_path, fetch=fetch)
        made.append(DockerBuilder(client, settings, releases=releases))
        return made[-1], asked

    yield builder
    for b in made:
        b.close()
    client.close()


def test_old_gradio_asks_the_index_once_and_resolves_as_of_its_time(make) -> None:  # type: ignore[no-untyped-def]
    builder, asked = make()
    cutoff = builder._cutoff(space("5.9.1"), PUSHED, PipPlan())
    assert cutoff.pip_value == "2025-01-07T00:30:44Z"
    assert asked == ["https://index.example/simple/gradio/"]


def test_the_runtime_gradio_needs_no_release_date(make) -> None:  # type: ignore[no-untyped-def]
    builder, asked = make()
    assert builder._cutoff(space(None), PUSHED, PipPlan()).before == PUSHED
    assert asked == []


def test_readme_and_operator_settings_ask_no_index(make) -> None:  # type: ignore[no-untyped-def]
    builder, asked = make(as_of="off")
    assert builder._cutoff(space("5.9.1"), PUSHED, PipPlan()).before is None
    dated = builder._cutoff(space("5.9.1", "2025-02-01"), PUSHED, PipPlan())
    assert dated.pip_value == "2025-02-02T00:00:00Z" and asked == []


def test_release_dates_come_from_a_remote_index_never_the_local_mirror(tmp_path: Path) -> None:
    client = docker.DockerClient(base_url="tcp://127.0.0.1:9", version="1.41")
    builder = DockerBuilder(client, Settings(data_dir=tmp_path))
    try:
        mirror = PipPlan(index_url="http://spacehost-mirror:7871/0/simple/")
        assert builder._release_dates(mirror)._index == PYPI_SIMPLE
        own = PipPlan(index_url="https://pypi.corp.example/simple/")
        assert builder._release_dates(own)._index == "https://pypi.corp.example/simple"
    finally:
        builder.close()
        client.close()
