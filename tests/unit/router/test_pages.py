"""Responses the router makes itself, and the safe lookup of static files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from spacehost.router.pages import (
    Problem,
    prefers_json,
    problem_response,
    redirect_response,
    simple_response,
)
from spacehost.router.static import StaticFile, StaticRedirect, content_type, resolve_static


@pytest.mark.parametrize(
    ("accept", "json_wanted"),
    [
        ("", False),
        ("*/*", False),
        ("text/html", False),
        ("application/json", True),
        ("application/json, text/plain, */*", True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        ("application/json;q=0.5, text/html", False),
        ("text/html;q=0.1, application/json", True),
        ("application/*", True),
        ("application/json;q=bogus, text/html", False),
    ],
)
def test_prefers_json(accept: str, json_wanted: bool) -> None:
    assert prefers_json(accept) is json_wanted


def split(response: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return status, headers, body


PROBLEM = Problem(502, "upstream_unreachable", "Space a/b is not <reachable>.", "Retry soon.")


def test_problem_response_json() -> None:
    status, headers, body = split(
        problem_response(PROBLEM, accept="application/json", close=False, head_only=False)
    )
    assert status == "HTTP/1.1 502 Bad Gateway"
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    assert "connection" not in headers
    assert json.loads(body) == {
        "error": {
            "code": "upstream_unreachable",
            "message": "Space a/b is not <reachable>.",
            "hint": "Retry soon.",
        }
    }


def test_problem_response_html_escapes_and_closes() -> None:
    status, headers, body = split(
        problem_response(PROBLEM, accept="text/html", close=True, head_only=False)
    )
    assert status == "HTTP/1.1 502 Bad Gateway"
    assert headers["content-type"].startswith("text/html")
    assert headers["connection"] == "close"
    assert headers["x-content-type-options"] == "nosniff"  # issue 11, A7
    assert headers["content-security-policy"] == "default-src 'none'"
    assert b"not &lt;reachable&gt;." in body
    assert b"Retry soon." in body


def test_problem_response_to_head_has_no_body() -> None:
    response = problem_response(PROBLEM, accept="", close=False, head_only=True)
    _, headers, body = split(response)
    assert body == b""
    assert int(headers["content-length"]) > 0


def test_redirect_and_simple_responses() -> None:
    status, headers, body = split(redirect_response("/spaces/a/b/", close=False, head_only=False))
    assert status == "HTTP/1.1 308 Permanent Redirect"
    assert headers["location"] == "/spaces/a/b/"
    assert headers["content-length"] == "0"
    once = redirect_response(
        "http://h/x", close=False, head_only=False, status=302, extra=b"a: b\r\n"
    )
    status, headers, body = split(once)
    assert (status, headers["location"], headers["a"]) == ("HTTP/1.1 302 Found", "http://h/x", "b")
    status, headers, body = split(simple_response(405, b"no", "text/plain", close=True))
    assert status == "HTTP/1.1 405 Method Not Allowed"
    assert (headers["connection"], body) == ("close", b"no")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "sub" / "deep").mkdir(parents=True)
    (root / "index.html").write_text("<h1>home</h1>")
    (root / "style.css").write_text("h1{}")
    (root / "app.js").write_text("1")
    (root / "data.bin").write_bytes(b"\x00\x01")
    (root / "sub" / "index.html").write_text("sub")
    (root / "sub" / "deep" / "page.html").write_text("deep")
    (root / "with space.txt").write_text("s")
    (root / ".env").write_text("SECRET=1")
    (root / ".well-known").mkdir()
    (root / ".well-known" / "security.txt").write_text("contact")
    (tmp_path / "secret.txt").write_text("outside")
    os.symlink(tmp_path / "secret.txt", root / "link.txt")
    os.symlink(tmp_path, root / "linkdir")
    os.symlink(root / "style.css", root / "inside-link.css")
    (root / "noindex").mkdir()
    return root


@pytest.mark.parametrize(
    ("target", "relative"),
    [
        ("/", "index.html"),
        ("/index.html", "index.html"),
        ("/style.css?v=3", "style.css"),
        ("/sub/", "sub/index.html"),
        ("/sub/deep/page.html", "sub/deep/page.html"),
        ("/sub//deep/./page.html", "sub/deep/page.html"),
        ("/with%20space.txt", "with space.txt"),
        ("/%73tyle.css", "style.css"),
        ("/.well-known/security.txt", ".well-known/security.txt"),
        ("/inside-link.css", "style.css"),
    ],
)
def test_resolve_static_finds_files(site: Path, target: str, relative: str) -> None:
    found = resolve_static(str(site), target)
    assert isinstance(found, StaticFile)
    assert found.path == os.path.realpath(site / relative)
    assert found.size == (site / relative).stat().st_size
    assert found.etag.startswith('"') and found.etag.endswith('"')


@pytest.mark.parametrize(
    ("target", "location"),
    [("/sub", "/sub/"), ("/sub/deep", "/sub/deep/"), ("/sub?x=1", "/sub/")],
)
def test_resolve_static_redirects_folders_to_the_slash(
    site: Path, target: str, location: str
) -> None:
    assert resolve_static(str(site), target) == StaticRedirect(location)


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/sub/%2E%2E/%2E%2E/secret.txt",
        "/..\\secret.txt",
        "/%5c..%5csecret.txt",
        "//etc/passwd",
        "/link.txt",
        "/linkdir/secret.txt",
        "/.env",
        "/sub/.hidden",
        "/index.html%00.css",
        "/missing.html",
        "/noindex/",
        "/%ff",
    ],
)
def test_resolve_static_refuses(site: Path, target: str) -> None:
    assert resolve_static(str(site), target) is None


@pytest.mark.parametrize(
    ("name", "ctype"),
    [
        ("a.html", "text/html; charset=utf-8"),
        ("a.CSS", "text/css; charset=utf-8"),
        ("a.js", "text/javascript; charset=utf-8"),
        ("a.json", "application/json; charset=utf-8"),
        ("a.svg", "image/svg+xml; charset=utf-8"),
        ("a.png", "image/png"),
        ("a.wasm", "application/wasm"),
        ("a.woff2", "font/woff2"),
        ("noext", "application/octet-stream"),
    ],
)
def test_content_type(name: str, ctype: str) -> None:
    assert content_type(name) == ctype
