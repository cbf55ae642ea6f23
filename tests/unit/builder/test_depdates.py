"""A code-only push keeps the date its requirements were first pushed (so its cut-off, and its
cached pip layers); changed requirements get their own push date."""

from __future__ import annotations

from pathlib import Path

from spacehost.builder.depdates import DependencyDates, dependency_key
from spacehost.domain import Sdk
from spacehost.manifest.model import Manifest, SpaceSource


def space(app: str, requirements: str = "six\n", sdk_version: str = "5.9.1") -> SpaceSource:
    return SpaceSource(
        manifest=Manifest(title="T", sdk=Sdk.GRADIO, sdk_version=sdk_version),
        files={"app.py": app.encode(), "requirements.txt": requirements.encode()},
    )


def test_only_the_dependency_inputs_make_the_key() -> None:
    key = dependency_key(space("v1"), "3.11")
    assert dependency_key(space("v2"), "3.11") == key
    assert dependency_key(space("v1", "six==1.16.0\n"), "3.11") != key
    assert dependency_key(space("v1", sdk_version="5.10.0"), "3.11") != key
    assert dependency_key(space("v1"), "3.13") != key


def test_the_first_push_of_these_inputs_is_kept(tmp_path: Path) -> None:
    dates = DependencyDates(tmp_path)
    assert dates.first_pushed("alice--demo", "k1", 100.0) == 100.0
    assert dates.first_pushed("alice--demo", "k1", 200.0) == 100.0  # a code-only push
    assert dates.first_pushed("alice--demo", "k2", 300.0) == 300.0  # new requirements
    assert dates.first_pushed("alice--demo", "k2", 250.0) == 250.0  # an older revision rebuilt
    assert DependencyDates(tmp_path).first_pushed("alice--demo", "k1", 999.0) == 100.0
    assert dates.first_pushed("bob--demo", "k1", 500.0) == 500.0  # per space
