"""The hub's HTTP API against a real HubStore (aiohttp test server): HF's JSON shapes and
headers, ranges, errors with X-Error-Code, pushes (token, limits, unsafe archives), delete."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.api.blobs import Unsatisfiable, parse_range
from spacehost.domain import RepoKind
from spacehost.store import HubStore
from tests.support.control_api import AUTH, HubCall, serve_hub_api

WEIGHTS = os.urandom(200_000)
FILES = {
    "README.md": b"---\nlicense: mit\nlibrary_name: transformers\ntags: [tiny]\n"
    b"pipeline_tag: feature-extraction\n---\n# Tiny\n",
    "config.json": b'{"model_type": "bert"}',
    "model.safetensors": WEIGHTS,
    "sub/deep/notes.txt": b"notes\n",
}


def tar_of(
    files: dict[str, bytes], extra: list[tarfile.TarInfo] | None = None, mode: str = "w"
) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra or []:
            tar.addfile(info)
    return buf.getvalue()


def write(folder: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubStore]:
    store = HubStore(tmp_path / "hub")
    store.push(RepoKind.MODEL, "alice/tiny", write(tmp_path / "m", FILES), "first\n\nbody")
    yield store
    store.close()


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, None),
        ("bytes=0-3", 10, (0, 4)),
        ("bytes=5-", 10, (5, 10)),
        ("bytes=-3", 10, (7, 10)),
        ("bytes=-30", 10, (0, 10)),
        ("bytes=2-100", 10, (2, 10)),
        ("bytes=0-1,4-5", 10, None),
        ("items=0-3", 10, None),
        ("bytes=5-2", 10, None),
        ("bytes=-", 10, None),
    ],
)
def test_parse_range(header: str | None, size: int, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(("header", "size"), [("bytes=10-", 10), ("bytes=-0", 10), ("bytes=0-", 0)])
def test_unsatisfiable_ranges(header: str, size: int) -> None:
    with pytest.raises(Unsatisfiable):
        parse_range(header, size)


def test_info_list_tree_refs_commits_in_hf_shape(hub: HubStore) -> None:
    head = hub.resolve(RepoKind.MODEL, "alice/tiny")

    async def scenario(call: HubCall) -> None:
        info = await (await call("GET", "/api/models/alice/tiny")).json()
        assert (info["id"], info["sha"], info["private"]) == ("alice/tiny", head.sha, False)
        assert info["cardData"]["license"] == "mit"
        assert {"tiny", "transformers", "license:mit", "feature-extraction"} <= set(info["tags"])
        siblings = {s["rfilename"]: s for s in info["siblings"]}
        assert siblings["model.safetensors"]["lfs"] == {
            "sha256": hashlib.sha256(WEIGHTS).hexdigest(),
            "size": len(WEIGHTS),
            "pointerSize": siblings["model.safetensors"]["lfs"]["pointerSize"],
        }
        assert "lfs" not in siblings["config.json"]
        by_rev = await (await call("GET", f"/api/models/alice/tiny/revision/{head.sha[:7]}")).json()
        assert by_rev["sha"] == head.sha
        listed = await (await call("GET", "/api/models?search=TIN&author=alice")).json()
        assert [m["id"] for m in listed] == ["alice/tiny"] and "siblings" not in listed[0]
        assert await (await call("GET", "/api/models?filter=nope")).json() == []
        assert await (await call("GET", "/api/datasets")).json() == []
        root = await (await call("GET", "/api/models/alice/tiny/tree/main")).json()
        assert [(e["type"], e["path"]) for e in root] == [
            ("directory", "sub"),
            ("file", "README.md"),
            ("file", "config.json"),
            ("file", "model.safetensors"),
        ]
        deep = await (await call("GET", "/api/models/alice/tiny/tree/main?recursive=true")).json()
        assert [e["path"] for e in deep if e["type"] == "directory"] == ["sub", "sub/deep"]
        sub = await (await call("GET", "/api/models/alice/tiny/tree/main/sub?expand=true")).json()
        assert [(e["path"], e["lastCommit"]["id"]) for e in sub] == [("sub/deep", head.sha)]
        resp = await call("GET", "/api/models/alice/tiny/tree/main/config.json")
        assert (resp.status, resp.headers["X-Error-Code"]) == (404, "EntryNotFound")
        paths = await (
            await call(
                "POST",
                "/api/models/alice/tiny/paths-info/main",
                data={"paths": ["config.json", "sub", "nope"]},
            )
        ).json()
        assert [(e["type"], e["path"]) for e in paths] == [
            ("file", "config.json"),
            ("directory", "sub"),
        ]
        refs = await (await call("GET", "/api/models/alice/tiny/refs")).json()
        assert refs["branches"] == [
            {"name": "main", "ref": "refs/heads/main", "targetCommit": head.sha}
        ]
        commits = await (await call("GET", "/api/models/alice/tiny/commits/main")).json()
        assert [(c["id"], c["title"], c["message"]) for c in commits] == [
            (head.sha, "first", "body")
        ]
        summary = await (await call("GET", "/api/hub")).json()
        assert summary == {
            "models": 1,
            "datasets": 0,
            "maxUploadBytes": 1 << 30,
            "xet": {"enabled": False},
        }

    serve_hub_api(hub, scenario)


def test_resolve_headers_ranges_and_conditional_requests(hub: HubStore) -> None:
    head = hub.resolve(RepoKind.MODEL, "alice/tiny")
    weights, config = head.file("model.safetensors"), head.file("config.json")
    url = "/alice/tiny/resolve/main/model.safetensors"

    async def scenario(call: HubCall) -> None:
        resp = await call("HEAD", url)
        assert resp.status == 200 and resp.headers["X-Repo-Commit"] == head.sha
        assert resp.headers["ETag"] == resp.headers["X-Linked-Etag"] == f'"{weights.sha256}"'
        assert resp.headers["X-Linked-Size"] == resp.headers["Content-Length"] == str(len(WEIGHTS))
        assert resp.headers["Accept-Ranges"] == "bytes"
        resp = await call("GET", url)
        assert await resp.read() == WEIGHTS
        resp = await call("GET", url, headers={"Range": "bytes=100-199"})
        assert resp.status == 206 and await resp.read() == WEIGHTS[100:200]
        assert resp.headers["Content-Range"] == f"bytes 100-199/{len(WEIGHTS)}"
        resp = await call("GET", url, headers={"Range": "bytes=-10"})
        assert await resp.read() == WEIGHTS[-10:]
        resp = await call("GET", url, headers={"Range": f"bytes={len(WEIGHTS)}-"})
        assert resp.status == 416 and resp.headers["Content-Range"] == f"bytes */{len(WEIGHTS)}"
        resp = await call("GET", url, headers={"Range": "bytes=0-1,5-6"})
        assert resp.status == 200 and await resp.read() == WEIGHTS
        resp = await call("GET", url, headers={"If-None-Match": f'"{weights.sha256}"'})
        assert resp.status == 304
        resp = await call("GET", f"/alice/tiny/resolve/{head.sha}/config.json")
        assert await resp.read() == FILES["config.json"]
        assert resp.headers["ETag"] == f'"{config.blob_id}"' and "X-Linked-Etag" not in resp.headers
        resp = await call("GET", "/alice/tiny/resolve/main/sub/deep/notes.txt")
        assert await resp.read() == b"notes\n"

    serve_hub_api(hub, scenario)


def test_router_marked_gets_hand_the_file_off_instead_of_sending_it(hub: HubStore) -> None:
    """With the router's mark (spacehost.handoff) a GET with a body answers the final status and
    headers, no body, and where the bytes are; HEAD, 304 and 416 answer as without the mark."""
    head = hub.resolve(RepoKind.MODEL, "alice/tiny")
    weights = head.file("model.safetensors")
    blob = os.path.abspath(hub.blob_path(weights.sha256))
    url = "/alice/tiny/resolve/main/model.safetensors"
    mark = {"X-Spacehost-Handoff": "file"}

    async def scenario(call: HubCall) -> None:
        resp = await call("GET", url, headers=mark)
        assert resp.status == 200 and await resp.read() == b""
        assert resp.headers["Content-Length"] == "0"
        assert resp.headers["X-Spacehost-File"] == f"0 {len(WEIGHTS)} {blob}"
        assert resp.headers["ETag"] == f'"{weights.sha256}"'
        assert resp.headers["X-Repo-Commit"] == head.sha
        resp = await call("GET", url, headers={**mark, "Range": "bytes=100-199"})
        assert resp.status == 206 and await resp.read() == b""
        assert resp.headers["X-Spacehost-File"] == f"100 100 {blob}"
        assert resp.headers["Content-Range"] == f"bytes 100-199/{len(WEIGHTS)}"
        for method, extra, status in [
            ("HEAD", {}, 200),
            ("GET", {"If-None-Match": f'"{weights.sha256}"'}, 304),
            ("GET", {"Range": f"bytes={len(WEIGHTS)}-"}, 416),
        ]:
            resp = await call(method, url, headers={**mark, **extra})
            assert resp.status == status and "X-Spacehost-File" not in resp.headers
        resp = await call("GET", url, headers={"X-Spacehost-Handoff": "other"})
        assert await resp.read() == WEIGHTS and "X-Spacehost-File" not in resp.headers

    serve_hub_api(hub, scenario)


def test_not_found_answers_carry_huggingface_hub_error_codes(hub: HubStore) -> None:
    head = hub.resolve(RepoKind.MODEL, "alice/tiny")

    async def scenario(call: HubCall) -> None:
        for path, code in [
            ("/alice/nope/resolve/main/x", "RepoNotFound"),
            ("/datasets/alice/tiny/resolve/main/config.json", "RepoNotFound"),
            ("/alice/tiny/resolve/0000000/config.json", "RevisionNotFound"),
            ("/alice/tiny/resolve/main/missing.bin", "EntryNotFound"),
            ("/api/models/alice/nope", "RepoNotFound"),
            ("/api/models/alice/tiny/revision/dev", "RevisionNotFound"),
            ("/api/models/alice/tiny/tree/main/nope", "EntryNotFound"),
        ]:
            resp = await call("GET", path)
            body = await resp.json()
            assert (resp.status, resp.headers["X-Error-Code"]) == (404, code), path
            assert body["error"]["message"] and body["error"]["hint"]
        resp = await call("HEAD", "/alice/tiny/resolve/main/missing.bin")
        assert resp.headers["X-Repo-Commit"] == head.sha  # huggingface_hub caches the absence

    serve_hub_api(hub, scenario)


def test_push_needs_the_token_and_makes_commits(hub: HubStore) -> None:
    async def scenario(call: HubCall) -> None:
        body = tar_of({"README.md": b"# data\n", "train.csv": b"a,b\n1,2\n"})
        resp = await call("POST", "/api/datasets/bob/d/push", data=body)
        assert resp.status == 401
        resp = await call("POST", "/api/datasets/bob/d/push?message=one", data=body, headers=AUTH)
        first = await resp.json()
        assert resp.status == 201 and first["created"] and not first["unchanged"]
        assert first["files"] == 2 and first["urls"]["page"].endswith("/datasets/bob/d")
        resp = await call("POST", "/api/datasets/bob/d/push", data=body, headers=AUTH)
        again = await resp.json()
        assert resp.status == 200 and again["unchanged"] and again["sha"] == first["sha"]
        gz = tar_of({"README.md": b"# data v2\n"}, mode="w:gz")
        resp = await call("POST", "/api/datasets/bob/d/push", data=gz, headers=AUTH)
        assert (await resp.json())["sha"] != first["sha"]
        resp = await call("GET", "/datasets/bob/d/resolve/main/README.md")
        assert await resp.read() == b"# data v2\n"
        assert not any(hub.tmp_dir.iterdir())
        resp = await call("DELETE", "/api/datasets/bob/d")
        assert resp.status == 401
        resp = await call("DELETE", "/api/datasets/bob/d", headers=AUTH)
        assert (await resp.json())["deleted"] is True
        resp = await call("DELETE", "/api/datasets/bob/d", headers=AUTH)
        assert resp.status == 404

    serve_hub_api(hub, scenario)


def _link(name: str, target: str, *, hard: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return info


def _fifo(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.FIFOTYPE
    return info


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (tar_of({"../evil.txt": b"x"}), 400, "upload_rejected"),
        (tar_of({"/etc/evil": b"x"}), 400, "upload_rejected"),
        (tar_of({"a/../../evil": b"x"}), 400, "upload_rejected"),
        (tar_of({"README.md": b"x"}, [_link("leak", "/etc/passwd")]), 400, "upload_rejected"),
        (tar_of({"README.md": b"x"}, [_link("leak", "../../outside")]), 400, "upload_rejected"),
        (tar_of({"README.md": b"x"}, [_link("dangling", "nothing")]), 400, "upload_rejected"),
        (tar_of({"README.md": b"x"}, [_fifo("pipe")]), 400, "upload_rejected"),
        (tar_of({"a": b"x", "a/b": b"y"}), 400, "upload_rejected"),
        (tar_of({}), 400, "upload_rejected"),
        (b"this is not a tar archive at all" * 40, 400, "upload_rejected"),
        (tar_of({"big.bin": b"\0" * 50_000}, mode="w:gz"), 413, "upload_too_large"),
        (b"\0" * 20_000, 413, "upload_too_large"),
    ],
)
def test_unsafe_or_oversize_pushes_are_refused_and_leave_nothing(
    hub: HubStore, body: bytes, status: int, code: str
) -> None:
    before = sorted(p.name for p in (hub.root / "blobs").rglob("*"))

    async def scenario(call: HubCall) -> None:
        resp = await call("POST", "/api/models/bob/bad/push", data=body, headers=AUTH)
        assert (resp.status, (await resp.json())["error"]["code"]) == (status, code)

    serve_hub_api(hub, scenario, limit=16_384)
    assert not hub.exists(RepoKind.MODEL, "bob/bad")
    assert sorted(p.name for p in (hub.root / "blobs").rglob("*")) == before
    assert not any(hub.tmp_dir.iterdir())


def test_links_inside_the_upload_become_copies(hub: HubStore) -> None:
    body = tar_of(
        {"README.md": b"card", "w/real.bin": b"bytes"},
        [_link("alias.bin", "w/real.bin"), _link("w/hard.bin", "w/real.bin", hard=True)],
    )

    async def scenario(call: HubCall) -> None:
        resp = await call("POST", "/api/models/bob/links/push", data=body, headers=AUTH)
        assert resp.status == 201, await resp.text()
        for path in ("alias.bin", "w/hard.bin", "w/real.bin"):
            resp = await call("GET", f"/bob/links/resolve/main/{path}")
            assert await resp.read() == b"bytes"

    serve_hub_api(hub, scenario)


@pytest.mark.parametrize(
    ("repo", "status"), [("models/api/x", 400), ("models/a/b..c", 400), ("datasets/api/x", 201)]
)
def test_push_checks_repo_ids(hub: HubStore, repo: str, status: int) -> None:
    async def scenario(call: HubCall) -> None:
        resp = await call(
            "POST", f"/api/{repo}/push", data=tar_of({"README.md": b"x"}), headers=AUTH
        )
        assert resp.status == status, await resp.text()

    serve_hub_api(hub, scenario)
