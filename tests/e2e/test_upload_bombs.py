"""Upload bombs over HTTP against a real platform (issue 11, A3), the way the outsider sent them:
real tarballs POSTed through the router to the space and hub (model, dataset) push endpoints.
Each is refused with a 4xx JSON error, writes nothing in the data dir, and the control plane's
peak memory (VmHWM of the `spacehost up` process) stays where it was."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Running, start_platform, stop_platform
from tests.support.ports import free_port
from tests.support.tarballs import make_tar

pytestmark = pytest.mark.docker

MiB = 1 << 20
PAX_BOMB_BYTES = 256 * MiB  # before the fix tarfile read this whole, then parsed it
PEAK_GROWTH_LIMIT = 64 * MiB  # all the bombs together may raise the control plane's peak by this
ENDPOINTS = ["/api/spaces/e2e/bomb/push", "/api/models/e2e/bomb/push",
             "/api/datasets/e2e/bomb/push"]  # fmt: skip


def _link(name: str, target: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def _readme() -> tuple[str, bytes]:
    return ("README.md", b"---\ntitle: Bomb\nsdk: static\n---\n")


def link_bomb(kind: bytes) -> bytes:
    """4 MiB of zeros and 256 links to it: 1 GiB written, from about 10 KB."""
    return make_tar(
        [
            _readme(),
            ("index.html", bytes(4 * MiB)),
            *(_link(f"copy{i}.html", "index.html", kind) for i in range(256)),
        ]
    )


def pax_bomb() -> bytes:
    info = tarfile.TarInfo("index.html")
    info.pax_headers = {"comment": "a" * PAX_BOMB_BYTES}
    return make_tar([_readme(), info])


def file_and_folder() -> bytes:
    return make_tar([_readme(), ("x", b"a file"), ("x/y", b"a file below a file")])


def bombs() -> dict[str, tuple[bytes, int, str]]:
    """Each bomb, with the status and the words of the error it must get."""
    return {
        "hardlinks": (link_bomb(tarfile.LNKTYPE), 413, "copies links make"),
        "symlinks": (link_bomb(tarfile.SYMTYPE), 413, "copies links make"),
        "pax-header": (pax_bomb(), 400, "extended header"),
        "file-and-folder": (file_and_folder(), 400, "is both a file and a folder"),
    }


@pytest.fixture(scope="module")
def bombed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, int]]:
    """A platform whose space and hub upload limits are both 8 MiB, and its pid."""
    data = tmp_path_factory.mktemp("bombs")
    proc, running = start_platform(
        data, free_port(), {"SPACEHOST_MAX_UPLOAD": "8m", "SPACEHOST_MAX_HUB_UPLOAD_BYTES": "8m"}
    )
    try:
        yield running, proc.pid
    finally:
        stop_platform(proc, running, "upload-bombs")


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/<pid>/status")


def stored_bytes(data: Path) -> int:
    """Bytes of the files a push writes: revisions and the hub (its temp uploads included)."""
    return sum(
        p.lstat().st_size
        for top in ("revisions", "hub")
        if (data / top).exists()
        for p in (data / top).rglob("*")
        if p.is_file() or p.is_symlink()
    )


def post(running: Running, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
    token = (running.data_dir / "token").read_text().strip()
    resp = requests.post(
        f"{running.url}{path}", data=body, timeout=120, headers={"Authorization": f"Bearer {token}"}
    )
    return resp.status_code, resp.json()


def test_every_bomb_is_refused_at_every_upload_endpoint_within_bounded_memory(
    bombed: tuple[Running, int],
) -> None:
    running, pid = bombed
    cases = bombs()
    for body, _, _ in cases.values():
        assert len(body) < 1 * MiB  # small uploads, far under the 8 MiB limits
    peak_before, stored_before = peak_rss(pid), stored_bytes(running.data_dir)
    for name, (body, status, words) in cases.items():
        for path in ENDPOINTS:
            got, answer = post(running, path, body)
            assert (got, words) == (status, words) and words in answer["error"]["message"], (
                name,
                path,
                got,
                answer,
            )
            assert answer["error"]["hint"]
    assert stored_bytes(running.data_dir) == stored_before, "a refused upload wrote files"
    growth = peak_rss(pid) - peak_before
    assert growth < PEAK_GROWTH_LIMIT, f"the control plane's peak grew by {growth // MiB} MiB"
    # and the platform still takes good uploads: a space over the in-memory spool (2 MiB of
    # incompressible bytes: its body waits on disk), and a model with a link
    space = make_tar([_readme(), ("index.html", b"<p>hi</p>"), ("blob.bin", os.urandom(2 * MiB))])
    ok, answer = post(running, "/api/spaces/e2e/fine/push", space)
    assert ok == 202, answer
    model = make_tar([("README.md", b"ok"), _link("same.md", "README.md", tarfile.LNKTYPE)])
    ok, answer = post(running, ENDPOINTS[1], model)
    assert ok == 201, answer
