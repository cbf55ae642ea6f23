"""The FROM lines of Dockerfiles: parsing (stages, ARGs, flags, digests, scratch) and rewriting."""

from __future__ import annotations

from spacehost.builder.fromlines import FromKind, parse_froms, rewrite_froms, substitute


def images(dockerfile: str, **buildargs: str) -> list[tuple[FromKind, str]]:
    return [(f.kind, f.resolved) for f in parse_froms(dockerfile, buildargs)]


def test_one_stage() -> None:
    (line,) = parse_froms("FROM python:3.11-slim\nRUN pip install flask\n")
    assert (line.first, line.end, line.image, line.kind) == (
        0,
        1,
        "python:3.11-slim",
        FromKind.IMAGE,
    )


def test_multi_stage_names_and_references() -> None:
    text = """\
FROM python:3.11 AS build
RUN pip wheel -w /w flask
from build as test
FROM python:3.11-slim
COPY --from=build /w /w
FROM Build
"""
    assert images(text) == [
        (FromKind.IMAGE, "python:3.11"),
        (FromKind.STAGE, "build"),
        (FromKind.IMAGE, "python:3.11-slim"),
        (FromKind.STAGE, "Build"),  # stage names are case-insensitive
    ]
    assert [f.stage for f in parse_froms(text)] == ["build", "test", "", ""]


def test_global_args_defaults_and_build_args() -> None:
    text = """\
# syntax comment
ARG PY=3.10
ARG VARIANT="slim"
ARG BASE=python:${PY}-${VARIANT}
FROM $BASE
FROM python:${PY:-3.9}
FROM debian:${SUITE:-bookworm}-slim
"""
    assert images(text) == [
        (FromKind.IMAGE, "python:3.10-slim"),
        (FromKind.IMAGE, "python:3.10"),
        (FromKind.IMAGE, "debian:bookworm-slim"),
    ]
    assert images(text, PY="3.12")[0] == (FromKind.IMAGE, "python:3.12-slim")


def test_arg_without_value_is_unresolved_and_args_after_from_do_not_count() -> None:
    text = "ARG BASE\nFROM ${BASE}\nARG LATER=python:3.11\nFROM $LATER\n"
    assert images(text) == [(FromKind.UNRESOLVED, ""), (FromKind.UNRESOLVED, "")]
    assert images(text, BASE="python:3.11")[0] == (FromKind.IMAGE, "python:3.11")


def test_platform_flag_digest_and_scratch() -> None:
    text = (
        "FROM --platform=linux/amd64 python:3.11-slim@sha256:" + "a" * 64 + " AS base\n"
        "FROM scratch\n"
    )
    first, second = parse_froms(text)
    assert (first.platform, first.resolved, first.stage) == (
        "linux/amd64",
        "python:3.11-slim@sha256:" + "a" * 64,
        "base",
    )
    assert second.kind is FromKind.SCRATCH


def test_continued_from_line_and_comments_inside() -> None:
    text = "FROM \\\n# a comment\n  python:3.11 \\\n  AS app\nRUN true\n"
    (line,) = parse_froms(text)
    assert (line.first, line.end, line.resolved, line.stage) == (0, 4, "python:3.11", "app")


def test_escape_directive() -> None:
    text = "# escape=`\nFROM `\n  python:3.11\n"
    (line,) = parse_froms(text)
    assert line.resolved == "python:3.11"


def test_rewrite_keeps_flags_names_and_other_lines() -> None:
    text = """\
ARG PY=3.11
FROM --platform=linux/amd64 python:${PY}-slim AS build
RUN echo FROM python:3.11-slim
FROM build
FROM \\
  python:3.11-slim
CMD ["python3"]
"""
    froms = parse_froms(text)
    new = rewrite_froms(
        text,
        {
            froms[0].first: "spacehost/compat-python:3.11-slim-bookworm",
            froms[2].first: "spacehost/compat-python:3.11-slim-bookworm",
        },
    )
    assert (
        new
        == """\
ARG PY=3.11
FROM --platform=linux/amd64 spacehost/compat-python:3.11-slim-bookworm AS build
RUN echo FROM python:3.11-slim
FROM build
FROM spacehost/compat-python:3.11-slim-bookworm
CMD ["python3"]
"""
    )


def test_rewrite_nothing_is_identity_and_crlf_kept() -> None:
    text = "FROM python:3.11\r\nRUN true\r\n"
    assert rewrite_froms(text, {}) == text
    assert rewrite_froms(text, {0: "x:1"}) == "FROM x:1\r\nRUN true\r\n"


def test_substitute_forms() -> None:
    values = {"A": "1", "E": ""}
    assert substitute("$A-${A}-${E:-d}-${A:+alt}-${E:+alt}", values) == "1-1-d-alt-"
