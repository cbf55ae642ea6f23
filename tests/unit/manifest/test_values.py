"""Value parsers, hardware requests and problem formatting."""

from __future__ import annotations

import json

import pytest

from spacehost.domain import GpuRequest
from spacehost.errors import ManifestInvalid, error_class_for
from spacehost.manifest import (
    PreloadSpec,
    Problem,
    format_problems,
    format_report,
    hardware_request,
    load_space,
    preload_spec,
    problems_from_details,
)
from spacehost.manifest.space import declared_sdk
from spacehost.manifest.values import duration_seconds, repo_id


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("gpt2", PreloadSpec("gpt2")),
        ("a/b", PreloadSpec("a/b")),
        ("a/b x.json", PreloadSpec("a/b", ("x.json",))),
        ("a/b x.json,dir/y.bin", PreloadSpec("a/b", ("x.json", "dir/y.bin"))),
        ("a/b x.json " + "f" * 40, PreloadSpec("a/b", ("x.json",), "f" * 40)),
        ("a/b x.json refs/pr/1", PreloadSpec("a/b", ("x.json",), "refs/pr/1")),
    ],
)
def test_preload_spec(text: str, spec: PreloadSpec) -> None:
    assert preload_spec(text) == spec


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "not a preload entry"),
        ("a/b c d e", "not a preload entry"),
        ("a/b/c", "not a repo id"),
        ("a/b x,", "empty file name"),
        ("a/b x rev;id", "invalid revision"),
    ],
)
def test_preload_spec_invalid(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        preload_spec(text)


@pytest.mark.parametrize("good", ["gpt2", "a/b", "Org-1/model_v2.5", "x" * 96])
def test_repo_ids(good: str) -> None:
    assert repo_id(good) == good


@pytest.mark.parametrize("bad", ["", "/a", "a/", "a//b", "-a/b", "a--b/c", "a/b..c", "x" * 97])
def test_bad_repo_ids(bad: str) -> None:
    with pytest.raises(ValueError, match="not a repo id"):
        repo_id(bad)


def test_duration_message_names_units() -> None:
    with pytest.raises(ValueError, match="use a number with a unit d, h, m or s"):
        duration_seconds("10 minutes")


@pytest.mark.parametrize(
    ("text", "request_"),
    [
        ("cpu", GpuRequest()),
        ("gpu", GpuRequest(1)),
        ("gpu:4", GpuRequest(4)),
        ("zero", GpuRequest(shared=True)),
        ("gpu-mem:40GB", GpuRequest(1, min_memory_gb=40.0)),
        ("gpu-mem:7.5gb", GpuRequest(1, min_memory_gb=7.5)),
    ],
)
def test_hardware_request(text: str, request_: GpuRequest) -> None:
    assert hardware_request(text) == request_


def test_hardware_request_invalid() -> None:
    with pytest.raises(ValueError, match="use one of cpu, gpu, gpu:N, gpu-mem:NNGB, zero"):
        hardware_request("gpu:")


def test_declared_sdk_never_raises() -> None:
    assert declared_sdk(b"---\nsdk: docker\n---\n") == "docker"
    assert declared_sdk(b"---\nsdk: streamlit\n---\n") is None
    assert declared_sdk(b"---\n---\n") is None
    assert declared_sdk(b"no front matter") is None
    assert declared_sdk(b"\xff\xfe") is None
    assert declared_sdk(b"---\nsdk: [\n---\n") is None


# -- formatting ------------------------------------------------------------------------------

ERR = Problem("README.md", "sdk", "is missing")
WARN = Problem("README.md", "models", "accepted but not acted on yet")
FILE_WARN = Problem("requirements.txt", "", "odd")


def test_problem_str_names_file_and_field() -> None:
    assert str(ERR) == "README.md: sdk: is missing"
    assert str(FILE_WARN) == "requirements.txt: odd"


def test_format_problems() -> None:
    assert format_problems([WARN, FILE_WARN]) == (
        "README.md: models: accepted but not acted on yet\nrequirements.txt: odd"
    )
    assert format_problems([WARN], kind="warning") == (
        "warning: README.md: models: accepted but not acted on yet"
    )
    assert format_problems([]) == ""


def test_format_report() -> None:
    assert format_report([ERR], [WARN, FILE_WARN]) == (
        "error: README.md: sdk: is missing\n"
        "warning: README.md: models: accepted but not acted on yet\n"
        "warning: requirements.txt: odd\n"
        "1 error, 2 warnings"
    )
    assert format_report([], [WARN]).endswith("\n0 errors, 1 warning")
    assert format_report([], []) == "no problems found"


def test_problems_survive_the_api_round_trip() -> None:
    with pytest.raises(ManifestInvalid) as info:
        load_space({"README.md": b"---\nsdk: gradio\nhf_oauth: true\nheader: x\n---\n"})
    body = json.loads(json.dumps(info.value.to_json()))
    cls = error_class_for(body["error"]["code"])
    assert cls is ManifestInvalid
    errors, warnings = problems_from_details(body["error"]["details"])
    assert [str(p) for p in errors] == [
        'README.md: header: "x" is not a valid header style; allowed: default, mini',
        "README.md: app_file: app file 'app.py' not found",
    ]
    assert [p.field for p in warnings] == ["hf_oauth"]


def test_problems_from_details_skips_garbage() -> None:
    assert problems_from_details({"problems": ["x", {"file": "a"}], "warnings": 3}) == (
        [Problem("a", "", "")],
        [],
    )
