"""Which stand-in spacehost makes for a public base image, and the errors for those it cannot."""

from __future__ import annotations

import pytest

from spacehost.builder.compat_bases import ImageRef, compat_for, parse_ref
from spacehost.errors import BuildFailed, InvalidRequest
from spacehost.settings import Settings

ALL = ("bullseye", "bookworm", "trixie")
DIGEST = "sha256:" + "0" * 64


@pytest.mark.parametrize(
    ("ref", "parsed"),
    [
        ("python:3.11-slim", ImageRef("", "python", "3.11-slim", "")),
        ("python", ImageRef("", "python", "latest", "")),
        ("docker.io/library/python:3.12", ImageRef("", "python", "3.12", "")),
        ("library/debian:bookworm", ImageRef("", "debian", "bookworm", "")),
        (f"python:3.11@{DIGEST}", ImageRef("", "python", "3.11", DIGEST)),
        (
            "nvcr.io/nvidia/pytorch:24.01-py3",
            ImageRef("nvcr.io", "nvidia/pytorch", "24.01-py3", ""),
        ),
        ("localhost:5000/app", ImageRef("localhost:5000", "app", "latest", "")),
    ],
)
def test_parse_ref(ref: str, parsed: ImageRef) -> None:
    assert parse_ref(ref) == parsed


@pytest.mark.parametrize(
    ("ref", "tag", "suite", "python", "slim"),
    [
        (
            "python:3.11-slim",
            "spacehost/compat-python:3.11-slim-bookworm",
            "bookworm",
            "3.11",
            True,
        ),
        (
            "python:3.11-slim-bookworm",
            "spacehost/compat-python:3.11-slim-bookworm",
            "bookworm",
            "3.11",
            True,
        ),
        ("python:3.11", "spacehost/compat-python:3.11-bookworm", "bookworm", "3.11", False),
        (
            "python:3.11.9-bookworm",
            "spacehost/compat-python:3.11-bookworm",
            "bookworm",
            "3.11",
            False,
        ),
        (
            "python:3.13-slim-trixie",
            "spacehost/compat-python:3.13-slim-trixie",
            "trixie",
            "3.13",
            True,
        ),
        (
            "python:3.9-slim-bullseye",
            "spacehost/compat-python:3.9-slim-bullseye",
            "bullseye",
            "3.9",
            True,
        ),
        (
            "docker.io/library/python:3.13",
            "spacehost/compat-python:3.13-trixie",
            "trixie",
            "3.13",
            False,
        ),
        ("python:3-slim", "spacehost/compat-python:3.13-slim-trixie", "trixie", "3.13", True),
        ("python", "spacehost/compat-python:3.13-trixie", "trixie", "3.13", False),
        (
            "python:slim-bookworm",
            "spacehost/compat-python:3.11-slim-bookworm",
            "bookworm",
            "3.11",
            True,
        ),
    ],
)
def test_python_bases_made_as_asked(
    ref: str, tag: str, suite: str, python: str, slim: bool
) -> None:
    compat = compat_for(ref, ALL)
    assert (compat.tag, compat.family, compat.suite, compat.python, compat.slim) == (
        tag,
        "python",
        suite,
        python,
        slim,
    )
    assert compat.warning == ""


def test_slim_adds_only_what_official_slim_has_and_full_adds_build_tools() -> None:
    slim = compat_for("python:3.11-slim", ALL).packages.split()
    full = compat_for("python:3.11", ALL).packages.split()
    assert set(slim) == {"netbase", "tzdata"}
    assert {"build-essential", "git", "curl", "wget", "python3-dev"} <= set(full)


@pytest.mark.parametrize(
    ("ref", "tag"),
    [
        ("python:3.10-slim", "spacehost/compat-python:3.11-slim-bookworm"),
        ("python:3.12", "spacehost/compat-python:3.13-trixie"),  # a tie: the higher one
        ("python:3.14-slim", "spacehost/compat-python:3.13-slim-trixie"),
        ("python:3.11-slim-trixie", "spacehost/compat-python:3.13-slim-trixie"),
    ],
)
def test_python_not_made_here_gets_nearest_with_a_warning(ref: str, tag: str) -> None:
    compat = compat_for(ref, ALL)
    assert compat.tag == tag
    assert ref in compat.warning and "is not available here" in compat.warning
    assert f"Python {compat.python} from Debian {compat.suite}" in compat.warning


def test_python_3_10_without_bullseye_is_nearest_of_the_configured() -> None:
    assert compat_for("python:3.9", ("bookworm",)).tag == "spacehost/compat-python:3.11-bookworm"


def test_a_digest_is_warned_about() -> None:
    compat = compat_for(f"python:3.11-slim@{DIGEST}", ALL)
    assert compat.tag == "spacehost/compat-python:3.11-slim-bookworm"
    assert "digest" in compat.warning


@pytest.mark.parametrize(
    ("ref", "tag"),
    [
        ("debian:bookworm", "spacehost/compat-debian:bookworm"),
        ("debian:bookworm-slim", "spacehost/compat-debian:bookworm-slim"),
        ("debian:12-slim", "spacehost/compat-debian:bookworm-slim"),
        ("debian:12.8", "spacehost/compat-debian:bookworm"),
        ("debian:bookworm-20241202-slim", "spacehost/compat-debian:bookworm-slim"),
        ("debian", "spacehost/compat-debian:trixie"),
        ("debian:stable-slim", "spacehost/compat-debian:trixie-slim"),
        ("debian:bullseye", "spacehost/compat-debian:bullseye"),
    ],
)
def test_debian_bases(ref: str, tag: str) -> None:
    compat = compat_for(ref, ALL)
    assert (compat.tag, compat.family, compat.packages) == (tag, "debian", "")


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("ubuntu:22.04", "Ubuntu images cannot be made from this host's Debian archive"),
        ("nvcr.io/nvidia/pytorch:24.01-py3", "images from nvcr.io cannot be made here"),
        ("node:20-slim", "spacehost makes only python and debian bases, not node"),
        ("python:3.11-alpine", "the '3.11-alpine' variant cannot be made from Debian"),
        ("python:3.8-slim-buster", "buster is not a Debian suite spacehost can make"),
        ("debian:sid", "sid is not a Debian suite spacehost can make"),
    ],
)
def test_bases_not_made_here_are_a_clear_build_error(ref: str, reason: str) -> None:
    with pytest.raises(BuildFailed) as caught:
        compat_for(ref, ALL, why="no such host: registry-1.docker.io")
    error = caught.value
    assert str(error).startswith(f"the Dockerfile's base image {ref} is not on this host")
    assert "no such host: registry-1.docker.io" in str(error)
    assert reason in str(error)
    assert "registry-mirrors" in str(error) and f"docker save {ref}" in error.hint
    assert error.details["image"] == ref


def test_a_suite_not_configured_or_none_at_all() -> None:
    with pytest.raises(BuildFailed, match="Debian bullseye is not among the suites configured"):
        compat_for("python:3.9-bullseye", ("bookworm",))
    with pytest.raises(BuildFailed, match="SPACEHOST_COMPAT_SUITES is off"):
        compat_for("python:3.11-slim", ())


def test_setting_from_env() -> None:
    assert Settings.from_env({}).compat_suites == ALL
    assert Settings.from_env({"SPACEHOST_COMPAT_SUITES": "bookworm, trixie"}).compat_suites == (
        "bookworm",
        "trixie",
    )
    assert Settings.from_env({"SPACEHOST_COMPAT_SUITES": "off"}).compat_suites == ()
    with pytest.raises(InvalidRequest, match="SPACEHOST_COMPAT_SUITES"):
        Settings.from_env({"SPACEHOST_COMPAT_SUITES": "jammy"})
