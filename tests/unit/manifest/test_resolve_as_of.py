"""README.md's spacehost_resolve_as_of: spacehost's own field (the prefix keeps it clear of
Hugging Face's front matter)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spacehost.errors import ManifestInvalid
from spacehost.manifest.parse import parse_manifest


def readme(extra: str, sdk: str = "gradio") -> str:
    return f"---\nsdk: {sdk}\nsdk_version: 5.9.1\n{extra}---\n# hi\n"


def test_a_date_unquoted_in_yaml_is_read_as_the_end_of_that_day() -> None:
    manifest = parse_manifest(readme("spacehost_resolve_as_of: 2025-01-14\n"))
    assert manifest.resolve_as_of is not None
    assert manifest.resolve_as_of.before == datetime(2025, 1, 15, tzinfo=UTC)
    assert not manifest.warnings  # a known field: no "unknown field" warning


@pytest.mark.parametrize(("text", "mode"), [("latest", "latest"), ("off", "latest")])
def test_latest_and_off(text: str, mode: str) -> None:
    manifest = parse_manifest(readme(f"spacehost_resolve_as_of: {text}\n"))
    assert manifest.resolve_as_of is not None and manifest.resolve_as_of.mode == mode


def test_absent_means_the_operators_default() -> None:
    assert parse_manifest(readme("")).resolve_as_of is None


def test_a_bad_value_is_an_error_naming_the_field_and_what_is_allowed() -> None:
    with pytest.raises(ManifestInvalid) as info:
        parse_manifest(readme("spacehost_resolve_as_of: last year\n"))
    problems = info.value.details["problems"]
    assert problems[0]["field"] == "spacehost_resolve_as_of"
    assert "use a date like 2025-01-14" in problems[0]["message"]


def test_ignored_with_a_warning_for_docker_spaces() -> None:
    manifest = parse_manifest("---\nsdk: docker\nspacehost_resolve_as_of: 2025-01-14\n---\n")
    assert manifest.resolve_as_of is None
    assert any(w.field == "spacehost_resolve_as_of" for w in manifest.warnings)
