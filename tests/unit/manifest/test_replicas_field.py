"""spacehost's own front-matter field ``spacehost_replicas``: how many processes serve a
space at once (docs/manifest.md); Hugging Face ignores it."""

from __future__ import annotations

import pytest

from spacehost.errors import ManifestInvalid
from spacehost.manifest import parse_manifest


def readme(extra: str, sdk: str = "gradio") -> str:
    return f"---\nsdk: {sdk}\n{extra}---\n"


def test_one_replica_by_default() -> None:
    assert parse_manifest(readme("")).replicas == 1


def test_a_space_asks_for_replicas_without_a_warning() -> None:
    m = parse_manifest(readme("spacehost_replicas: 3\n"))
    assert m.replicas == 3 and m.warnings == ()


@pytest.mark.parametrize("value", ["0", "17", "two", "1.5", "true"])
def test_a_bad_count_is_an_error_naming_the_range(value: str) -> None:
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(readme(f"spacehost_replicas: {value}\n"))
    (problem,) = caught.value.details["problems"]
    assert problem["field"] == "spacehost_replicas" and "1 to 16" in problem["message"]


def test_a_static_space_is_its_files_and_has_no_replicas() -> None:
    m = parse_manifest(readme("spacehost_replicas: 3\n", sdk="static"))
    assert m.replicas == 1
    assert [w.field for w in m.warnings] == ["spacehost_replicas"]
