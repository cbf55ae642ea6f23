"""Which Python a space builds on, and the runtime image names that follow from it."""

from __future__ import annotations

import pytest

from spacehost.builder.pythons import choose_python, nearest_python, parse_python_version
from spacehost.builder.runtime_images import (
    base_image_tag,
    base_label,
    gradio_image_tag,
    python_image_tag,
    runtime_key,
)
from spacehost.errors import BuildFailed

BASES = {"3.11": "debian:bookworm", "3.13": "debian:trixie"}


@pytest.mark.parametrize(
    ("wanted", "available", "expected"),
    [
        ("3.11", ["3.11", "3.13"], "3.11"),
        ("3.10", ["3.11", "3.13"], "3.11"),
        ("3.12", ["3.11", "3.13"], "3.13"),  # a tie prefers the higher
        ("3.14", ["3.11", "3.13"], "3.13"),
        ("3.8", ["3.10", "3.13"], "3.10"),
        ("3.10.4", ["3.10", "3.11"], "3.10"),
        ("3.12", ["3.9", "3.13", "3.10"], "3.13"),
        ("3.11", ["2.7", "junk", "3.9"], "3.9"),
        ("3.11", ["2.7"], None),  # no same major
        ("3.11", [], None),
    ],
)
def test_nearest_python(wanted: str, available: list[str], expected: str | None) -> None:
    assert nearest_python(wanted, available) == expected


@pytest.mark.parametrize("text", ["3", "three.ten", ""])
def test_parse_python_version_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_python_version(text)


def test_exact_choice_has_no_warning() -> None:
    assert choose_python("3.13", "3.10", BASES).__dict__ == {
        "version": "3.13",
        "base": "debian:trixie",
        "warning": "",
    }


def test_fallback_warns_with_the_configuration_hint() -> None:
    choice = choose_python("3.10", "3.11", BASES)
    assert (choice.version, choice.base) == ("3.11", "debian:bookworm")
    assert choice.warning == (
        "python_version 3.10 is not available here; building on 3.11 "
        "(configure SPACEHOST_PYTHON_BASES to add it)"
    )


def test_default_python_fallback_says_it_is_the_default() -> None:
    choice = choose_python(None, "3.10", BASES)
    assert choice.version == "3.11"
    assert "3.10 (the default when README.md sets none)" in choice.warning


def test_no_base_for_the_major_version_fails() -> None:
    with pytest.raises(BuildFailed, match=r"python_version 2\.7 .*configured: 3\.11, 3\.13"):
        choose_python("2.7", "3.10", BASES)
    with pytest.raises(BuildFailed, match="configured: none"):
        choose_python("3.11", "3.10", {})


def test_unparsable_version_fails() -> None:
    with pytest.raises(BuildFailed, match=r"not a MAJOR\.MINOR"):
        choose_python("latest", "3.10", BASES)


@pytest.mark.parametrize(
    ("base", "tag", "label"),
    [
        ("debian:bookworm", "spacehost/base:bookworm", "bookworm"),
        ("debian:trixie", "spacehost/base:trixie", "trixie"),
        ("python:3.10-slim", "python:3.10-slim", "python-3.10-slim"),
        ("registry.corp:5000/team/py:3.12", "registry.corp:5000/team/py:3.12", "py-3.12"),
    ],
)
def test_base_names(base: str, tag: str, label: str) -> None:
    assert base_image_tag(base) == tag
    assert base_label(base) == label


def test_runtime_image_tags() -> None:
    assert python_image_tag("3.11", "debian:bookworm") == "spacehost/python:3.11-bookworm-hf1"
    assert gradio_image_tag("6.31.0", "3.10", "python:3.10-slim") == (
        "spacehost/gradio:6.31.0-py3.10-python-3.10-slim-hf1"
    )


def test_runtime_key_changes_with_any_input_and_not_with_framing() -> None:
    key = runtime_key("sha256:parent", b"[global]\n", b"CERT")
    assert key == runtime_key("sha256:parent", "[global]\n", b"CERT")
    assert key != runtime_key("sha256:parent", b"[global]\ntimeout = 5\n", b"CERT")
    assert key != runtime_key("sha256:other", b"[global]\n", b"CERT")
    # Moving bytes between parts is a different input.
    assert runtime_key("ab", "c") != runtime_key("a", "bc")
