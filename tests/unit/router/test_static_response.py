"""A static space's answers: 405, 404, redirects, 304, HEAD, one write or a stream."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacehost.router.match import Match
from spacehost.router.pages import Problem
from spacehost.router.static_response import (
    NOT_FOUND,
    STATIC_CHUNK,
    StaticStream,
    static_answer,
)

EXTRA = b"x-spacehost-space: a/b\r\n"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("hello")
    (tmp_path / "docs").mkdir()
    (tmp_path / "big.bin").write_bytes(b"x" * (STATIC_CHUNK + 1))
    return tmp_path


def answer(
    site: Path, target: str, method: bytes = b"GET", inm: str = "", close: bool = False
) -> bytes | Problem | StaticStream:
    m = Match(None, target, "/spaces/a/b")
    return static_answer(str(site), m, method, inm, close=close, extra=EXTRA)


def test_small_file_is_one_complete_response(site: Path) -> None:
    out = answer(site, "/index.html")
    assert isinstance(out, bytes)
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"content-length: 5\r\n" in head and EXTRA in out
    assert b"connection: close" not in head
    assert body == b"hello"


def test_head_gets_the_head_only(site: Path) -> None:
    out = answer(site, "/", b"HEAD", close=True)
    assert isinstance(out, bytes)
    assert out.endswith(b"connection: close\r\n\r\n") and b"content-length: 5" in out


def test_matching_etag_is_not_modified(site: Path) -> None:
    first = answer(site, "/")
    assert isinstance(first, bytes)
    etag = first.split(b"etag: ")[1].split(b"\r\n")[0].decode()
    for inm in (etag, f'"x", {etag}', "*"):
        out = answer(site, "/", inm=inm)
        assert isinstance(out, bytes) and out.startswith(b"HTTP/1.1 304 Not Modified\r\n")
        assert out.endswith(b"\r\n\r\n") and b"content-length" not in out
    other = answer(site, "/", inm='"other"')
    assert isinstance(other, bytes) and other.startswith(b"HTTP/1.1 200 ")


def test_large_file_is_streamed(site: Path) -> None:
    out = answer(site, "/big.bin")
    assert isinstance(out, StaticStream)
    assert out.file.size == STATIC_CHUNK + 1
    assert f"content-length: {STATIC_CHUNK + 1}\r\n".encode() in out.head
    assert out.head.endswith(b"\r\n\r\n")


def test_missing_file_is_a_problem(site: Path) -> None:
    assert answer(site, "/nope.html") is NOT_FOUND
    assert answer(site, "/../etc/passwd") is NOT_FOUND


def test_folder_without_slash_redirects_with_prefix_and_query(site: Path) -> None:
    out = answer(site, "/docs?q=1")
    assert isinstance(out, bytes) and out.startswith(b"HTTP/1.1 308")
    assert b"/spaces/a/b/docs/?q=1" in out


def test_other_methods_are_not_allowed(site: Path) -> None:
    out = answer(site, "/", b"POST")
    assert isinstance(out, bytes) and out.startswith(b"HTTP/1.1 405")
    assert b"allow: GET, HEAD\r\n" in out
