"""api/gitcgi.py: git http-backend behind aiohttp, with bodies as git sends them (plain with a
length, chunked, gzip), and the push rules every repo shares (api/gitreceive.py)."""

from __future__ import annotations

import asyncio
import gzip
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from spacehost.api.gitcgi import base_env, run_backend
from spacehost.api.gitpush import PushRefused
from spacehost.api.gitreceive import parse_updates, shared_rules
from spacehost.store.gitrepos import FILE_MODE, GitRepos
from spacehost.store.hubfiles import lfs_pointer
from spacehost.store.hubgit import parse_lfs_pointer

ZERO = "0" * 40


def pkt(line: str) -> bytes:
    return f"{len(line) + 4:04x}{line}".encode()


def _repo(tmp_path: Path) -> tuple[GitRepos, str]:
    git = GitRepos(tmp_path / "git")
    git.init("model", "alice/m")
    blob = git.add_blob("model", "alice/m", b"hello\n")
    sha = git.write_commit("model", "alice/m", [("a.txt", FILE_MODE, blob)], "one", when=1.7e9)
    git.set_ref("model", "alice/m", "main", sha, None)
    return git, sha


def _fetch_request(sha: str) -> bytes:
    return pkt(f"want {sha} no-progress\n") + b"0000" + pkt("done\n")


async def _post(
    tmp_path: Path, git: GitRepos, data: object, headers: dict[str, str]
) -> tuple[int, str, bytes]:
    """POST *data* to git-upload-pack of a test app around :func:`run_backend`."""

    async def handler(request: web.Request) -> web.StreamResponse:
        env = base_env(git.root) | {"PATH_INFO": "/models/alice/m.git/git-upload-pack"}
        return await run_backend(request, env, tmp_path)

    app = web.Application()
    app.router.add_post("/git-upload-pack", handler)
    async with TestClient(TestServer(app)) as client:
        resp = await client.post("/git-upload-pack", data=data, headers=headers)
        return resp.status, resp.headers.get("Content-Type", ""), await resp.read()


@pytest.mark.parametrize("how", ["length", "chunked", "gzip"])
def test_upload_pack_answers_a_pack_whatever_the_body_encoding(tmp_path: Path, how: str) -> None:
    git, sha = _repo(tmp_path)
    body = _fetch_request(sha)

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(body), 7):
            yield body[i : i + 7]

    async def main() -> bytes:
        headers = {"Content-Type": "application/x-git-upload-pack-request"}
        data: object = body
        if how == "chunked":
            data = chunks()
        elif how == "gzip":
            data, headers["Content-Encoding"] = gzip.compress(body), "gzip"
        status, content_type, answer = await _post(tmp_path, git, data, headers)
        assert status == 200, answer
        assert content_type == "application/x-git-upload-pack-result"
        return answer

    answer = asyncio.run(main())
    assert b"PACK" in answer
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("git-body-")]  # spool gone
    # the pack holds the commit: git itself reads it back
    pack = answer[answer.index(b"PACK") :]
    out = subprocess.run(
        ["git", "index-pack", "--stdin", "-v"],
        input=pack,
        capture_output=True,
        cwd=git.path("model", "alice/m"),
    )
    assert out.returncode == 0, out.stderr


def test_hook_input_and_the_rules_every_repo_shares() -> None:
    updates = parse_updates(f"{ZERO} {'a' * 40} refs/heads/main\n{'b' * 40} {ZERO} refs/tags/v1\n")
    assert [(u.ref, u.creates, u.deletes) for u in updates] == [
        ("refs/heads/main", True, False),
        ("refs/tags/v1", False, True),
    ]
    shared_rules(updates)  # a new main and a deleted tag are fine
    with pytest.raises(PushRefused, match="main cannot be deleted"):
        shared_rules(parse_updates(f"{'a' * 40} {ZERO} refs/heads/main\n"))
    with pytest.raises(PushRefused, match="refs/notes/x is not a branch or a tag"):
        shared_rules(parse_updates(f"{ZERO} {'a' * 40} refs/notes/x\n"))


def test_lfs_pointers_are_told_from_files() -> None:
    pointer = parse_lfs_pointer(lfs_pointer("ab" * 32, 12))
    assert pointer is not None and (pointer.sha256, pointer.size) == ("ab" * 32, 12)
    with_ext = (
        b"version https://git-lfs.github.com/spec/v1\next-0-foo sha256:" + b"c" * 64 + b"\n"
        b"oid sha256:" + b"d" * 64 + b"\nsize 5\n"
    )
    assert parse_lfs_pointer(with_ext) is not None
    for not_one in (
        b"version https://git-lfs.github.com/spec/v1\noid sha256:xyz\nsize 1\n",
        b"hello\n",
        lfs_pointer("ab" * 32, 12) + b"trailing",
        lfs_pointer("ab" * 32, 12).replace(b"size 12", b"size 012"),
    ):
        assert parse_lfs_pointer(not_one) is None
