"""The local pip mirror over real HTTP: what it serves (and refuses: nothing outside its roots),
pip installing from it, large files, and how instances share one port.

Servers here listen on 127.0.0.1 on free ports, not on the bridge gateway's fixed port, so these
tests never touch the mirror a running platform uses.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from spacehost.builder.mirror import (
    IDENTITY_PATH,
    Mirror,
    MirrorServer,
    mirror_identity,
    probe,
)
from tests.support.ports import free_port
from tests.support.wheels import make_wheel

SIX = "six-1.17.0-py2.py3-none-any.whl"
SIX_SHA = "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"
SECRET = b"TOP-SECRET-CONTENT"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Two roots like this host's: an index (simple/ + files/) and a wheel folder; secrets
    beside them, and links that point out."""
    index = tmp_path / "pypi"
    (index / "simple" / "six").mkdir(parents=True)
    (index / "files").mkdir()
    (index / "simple" / "index.html").write_text('<a href="six/">six</a>\n')
    (index / "simple" / "six" / "index.html").write_text(
        f'<a href="../../files/{SIX}#sha256={SIX_SHA}">{SIX}</a>\n'
    )
    six = Path("/opt/pypi/files") / SIX
    if six.is_file():
        shutil.copy(six, index / "files" / SIX)
    else:  # another host: a stand-in with the same name (pip checks no hash without one)
        make_wheel(index / "files" / SIX, "six", "1.17.0")
        (index / "simple" / "six" / "index.html").write_text(
            f'<a href="../../files/{SIX}">{SIX}</a>\n'
        )
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels / "tinypkg-1.0-py3-none-any.whl", "tinypkg", "1.0")
    (wheels / "notes.txt").write_bytes(SECRET)  # not a package file: never served
    (wheels / ".hidden.whl").write_bytes(SECRET)
    (wheels / "sub").mkdir()
    (tmp_path / "secret.whl").write_bytes(SECRET)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "private.whl").write_bytes(SECRET)
    (wheels / "link-out").symlink_to(tmp_path / "outside")
    (wheels / "secret-link.whl").symlink_to(tmp_path / "secret.whl")
    (wheels / "inside-link.whl").symlink_to(wheels / "tinypkg-1.0-py3-none-any.whl")
    return tmp_path


@pytest.fixture
def server(tree: Path) -> Iterator[MirrorServer]:
    srv = MirrorServer("127.0.0.1", 0, [str(tree / "pypi"), str(tree / "wheels")]).start()
    yield srv
    srv.close()


def get(
    port: int, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    """A request with *path* sent exactly as given (no client-side normalisation)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    "path",
    [
        "/0/../secret.whl",
        "/1/../secret.whl",
        "/0/%2e%2e/secret.whl",
        "/1/%2E%2E%2Fsecret.whl",
        "/1/..%2f..%2f" + "etc/passwd",
        "/1/sub/../../secret.whl",
        "/0/simple/../../secret.whl",
        "/0//etc/passwd",
        "/1/%2Fetc%2Fpasswd",
        "/../secret.whl",
        "/1/link-out/private.whl",  # a symlink to a folder outside
        "/1/secret-link.whl",  # a symlink to a file outside
        "/1/notes.txt",  # inside, but not a package file
        "/1/.hidden.whl",
        "/1/tinypkg-1.0-py3-none-any.whl%00.txt",
        "/1\\..\\secret.whl",
        "/2/",
        "/-1/",
        "/x/secret.whl",
        "//secret.whl",
        "/",
        "/0/files/nope.whl",
    ],
)
def test_nothing_outside_the_served_roots_is_reachable(server: MirrorServer, path: str) -> None:
    status, _, body = get(server.port, path)
    assert status == 404, (path, status)
    assert SECRET not in body


def test_traversal_by_raw_socket_is_refused_too(server: MirrorServer, tree: Path) -> None:
    # Some clients normalise '..' away; a raw request line does not.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /1/../../secret.whl HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.split(b"\r\n", 1)[0].endswith(b" 404 Not Found") and SECRET not in data


def test_other_methods_are_refused(server: MirrorServer) -> None:
    for method in ("POST", "PUT", "DELETE"):
        status, _, _ = get(server.port, "/1/", method=method)
        assert status == 501


def test_index_pages_folders_and_files(server: MirrorServer, tree: Path) -> None:
    status, headers, body = get(server.port, "/0/simple/six")
    assert (status, headers["Location"]) == (301, "/0/simple/six/")
    status, headers, body = get(server.port, "/0/simple/six/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert body == (tree / "pypi" / "simple" / "six" / "index.html").read_bytes()
    status, headers, body = get(server.port, f"/0/files/{SIX}")
    assert status == 200 and body == (tree / "pypi" / "files" / SIX).read_bytes()
    assert headers["Content-Type"] == "application/octet-stream"
    # A link inside the root to a file inside the root is fine.
    assert get(server.port, "/1/inside-link.whl")[0] == 200


def test_a_folder_without_index_html_is_listed_for_find_links(server: MirrorServer) -> None:
    status, _, body = get(server.port, "/1/")
    assert status == 200
    page = body.decode()
    assert '<a href="tinypkg-1.0-py3-none-any.whl">' in page
    assert '<a href="sub/">' in page
    for hidden in ("notes.txt", ".hidden.whl"):
        assert hidden not in page


def test_identity_endpoint(server: MirrorServer, tree: Path) -> None:
    assert probe("127.0.0.1", server.port) == (
        "mirror",
        mirror_identity([str(tree / "pypi"), str(tree / "wheels")]),
    )
    status, headers, body = get(server.port, IDENTITY_PATH)
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["roots"] == 2  # a count: the host's paths are not told


def test_pip_installs_from_the_index_and_the_find_links_page(
    server: MirrorServer, tmp_path: Path
) -> None:
    base = f"http://127.0.0.1:{server.port}"
    dest = tmp_path / "dest"
    common = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--isolated",
        "--no-deps",
        "-d",
        str(dest),
        "--trusted-host",
        f"127.0.0.1:{server.port}",
        "--no-cache-dir",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    subprocess.run(
        [*common, "--index-url", f"{base}/0/simple/", "six==1.17.0"],
        check=True,
        capture_output=True,
        env=env,
        timeout=120,
    )
    subprocess.run(
        [*common, "--no-index", "--find-links", f"{base}/1/", "tinypkg"],
        check=True,
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert sorted(p.name for p in dest.iterdir()) == [SIX, "tinypkg-1.0-py3-none-any.whl"]


def test_large_files_stream_whole_and_by_range(tree: Path) -> None:
    big = tree / "wheels" / "big-1.0-py3-none-any.whl"
    block = os.urandom(1 << 20)
    with big.open("wb") as f:
        for _ in range(64):
            f.write(block)
    srv = MirrorServer("127.0.0.1", 0, [str(tree / "wheels")]).start()
    try:
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        conn.request("GET", "/0/big-1.0-py3-none-any.whl")
        resp = conn.getresponse()
        digest = hashlib.sha256()
        while chunk := resp.read(1 << 20):
            digest.update(chunk)
        conn.close()
        elapsed = time.monotonic() - started
        assert resp.status == 200 and resp.getheader("Content-Length") == str(64 << 20)
        assert digest.hexdigest() == hashlib.sha256(big.read_bytes()).hexdigest()
        print(f"\n64 MiB through the mirror: {elapsed:.2f} s ({64 / elapsed:.0f} MiB/s)")

        status, headers, body = get(
            srv.port, "/0/big-1.0-py3-none-any.whl", {"Range": "bytes=100-199"}
        )
        assert (status, headers["Content-Range"], body) == (
            206,
            f"bytes 100-199/{64 << 20}",
            block[100:200],
        )
        status, _, body = get(srv.port, "/0/big-1.0-py3-none-any.whl", {"Range": "bytes=-10"})
        assert (status, body) == (206, block[-10:])
        status, _, _ = get(srv.port, "/0/big-1.0-py3-none-any.whl", {"Range": f"bytes={1 << 30}-"})
        assert status == 416
        status, headers, body = get(srv.port, "/0/big-1.0-py3-none-any.whl", method="HEAD")
        assert (status, headers["Content-Length"], body) == (200, str(64 << 20), b"")
    finally:
        srv.close()


# ---- sharing one port between instances ---------------------------------------------------


def local_mirror(port: int) -> Mirror:
    return Mirror(port, lambda: "127.0.0.1")


def test_the_first_instance_serves_the_next_reuses_it_and_takes_over_when_it_stops(
    tree: Path,
) -> None:
    port = free_port()
    roots = [str(tree / "pypi"), str(tree / "wheels")]
    first, second = local_mirror(port), local_mirror(port)
    try:
        up = first.ensure(roots)
        assert (up.url, up.address, up.how, up.problem) == (
            f"http://spacehost-mirror:{port}",
            "127.0.0.1",
            "serving",
            "",
        )
        assert up.hosts == {"spacehost-mirror": "127.0.0.1"}
        assert first.ensure(roots).how == "serving"  # no second server
        shared = second.ensure(roots)
        assert (shared.url, shared.how) == (up.url, "shared")
        assert second.server is None
        first.close()
        again = second.ensure(roots)
        assert again.how == "serving" and second.server is not None
        assert probe("127.0.0.1", port) == ("mirror", mirror_identity(roots))
    finally:
        first.close()
        second.close()


def test_an_instance_with_other_folders_cannot_share_the_port(tree: Path) -> None:
    port = free_port()
    first, other = local_mirror(port), local_mirror(port)
    try:
        assert first.ensure([str(tree / "wheels")]).how == "serving"
        status = other.ensure([str(tree / "pypi")])
        assert (status.url, status.how) == ("", "unavailable")
        assert "other folders" in status.problem and "SPACEHOST_MIRROR_PORT" in status.problem
        assert status.hosts == {}
        # The owner may change its own folders (a changed pip configuration).
        assert first.ensure([str(tree / "pypi")]).how == "serving"
        assert probe("127.0.0.1", port) == ("mirror", mirror_identity([str(tree / "pypi")]))
    finally:
        first.close()
        other.close()


class _Foreign(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # the stdlib's naming
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args: object) -> None:
        pass


def test_a_foreign_program_on_the_port_makes_the_mirror_unavailable(tree: Path) -> None:
    foreign = HTTPServer(("127.0.0.1", 0), _Foreign)
    thread = threading.Thread(target=foreign.serve_forever, daemon=True)
    thread.start()
    try:
        status = local_mirror(int(foreign.server_address[1])).ensure([str(tree / "wheels")])
        assert (status.url, status.how) == ("", "unavailable")
        assert "another program holds the port" in status.problem
    finally:
        foreign.shutdown()
        foreign.server_close()


def test_nothing_to_serve_port_zero_and_no_bridge() -> None:
    assert local_mirror(free_port()).ensure([]).how == ""
    off = local_mirror(0).ensure(["/opt"])
    assert off.how == "unavailable" and "SPACEHOST_MIRROR_PORT=0" in off.problem
    nobridge = Mirror(free_port(), lambda: "").ensure(["/opt"])
    assert nobridge.how == "unavailable" and "bridge" in nobridge.problem
