"""Hugging Face Buckets through the unchanged huggingface_hub (``HfApi`` and the ``hf buckets``
CLI), each in a fresh process with ``HF_ENDPOINT`` at the control plane (served on a loopback
port over the fake engine): create (private, ``exist_ok``), info, list, batch uploads over Xet
and deletes, tree and paths-info, downloads over Xet (``download_bucket_files``, ``hf buckets
cp``/``sync`` both ways), privacy, delete."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spacehost.appkeys import ACCOUNTS, HUB
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.store import HubStore
from tests.support.hf_process import run_hf
from tests.support.live_control import LiveControl, live_control


class Hub:
    def __init__(self, live: LiveControl, tokens: dict[str, str], home: Path) -> None:
        self.live, self.tokens, self.home = live, tokens, home

    def run(self, code: str, user: str = "bob", **env: str) -> Any:
        return run_hf(self.live.url, self.home, code, HF_TOKEN=self.tokens[user], **env)

    def cli(self, *args: str, user: str = "bob") -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "HF_ENDPOINT": self.live.url, "HF_HOME": str(self.home)}
        env["HF_TOKEN"] = self.tokens[user]
        hf_cli = Path(sys.executable).with_name("hf")
        return subprocess.run(
            [str(hf_cli), *args], env=env, capture_output=True, text=True, timeout=300
        )


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    root = tmp_path_factory.mktemp("buckets")
    with live_control(root / "platform") as live:
        acc: Accounts = live.app[ACCOUNTS]
        acc.add_user("bob")
        acc.add_user("carol")
        tokens = {u: acc.create_token(u, "ci", Role.WRITE).value for u in ("bob", "carol")}
        yield Hub(live, tokens, root / "home")


def bucket_files(hub: Hub, bucket_id: str) -> Path:
    store: HubStore = hub.live.app[HUB]
    return store.root / "buckets" / bucket_id / "files"


def test_create_upload_list_and_delete_files_with_hfapi(hub: Hub, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(300_000))
    out = hub.run(f"""
from huggingface_hub import HfApi
api = HfApi()
url = api.create_bucket("bob/runs", private=True)
again = api.create_bucket("bob/runs", exist_ok=True)
api.batch_bucket_files("bob/runs", add=[(b"hello", "a/hello.txt"), ({str(big)!r}, "big.bin")])
info = api.bucket_info("bob/runs")
top = sorted((e.type, e.path) for e in api.list_bucket_tree("bob/runs"))
every = sorted((e.path, e.size) for e in api.list_bucket_tree("bob/runs", recursive=True))
known = [f.path for f in api.get_bucket_paths_info("bob/runs", ["a/hello.txt", "nope"])]
api.batch_bucket_files("bob/runs", delete=["a/hello.txt"])
after = [e.path for e in api.list_bucket_tree("bob/runs", recursive=True)]
listed = [b.id for b in api.list_buckets("bob")]
print(json.dumps({{"url": url.url, "again": again.url, "private": info.private,
    "size": info.size, "files": info.total_files, "top": top, "every": every,
    "known": known, "after": after, "listed": listed}}))
""")
    assert out["url"].endswith("/buckets/bob/runs")
    assert out["private"] is True and out["files"] == 2 and out["size"] == 300_005
    assert out["top"] == [["directory", "a"], ["file", "big.bin"]]
    assert out["every"] == [["a/hello.txt", 5], ["big.bin", 300_000]]
    assert out["known"] == ["a/hello.txt"]
    assert out["after"] == ["big.bin"]
    assert out["listed"] == ["bob/runs"]
    files = bucket_files(hub, "bob/runs")
    assert (files / "big.bin").read_bytes() == big.read_bytes()
    assert not (files / "a" / "hello.txt").exists()


def test_download_bucket_files_gets_uploaded_and_space_written_files(
    hub: Hub, tmp_path: Path
) -> None:
    """Downloads go over Xet (the only way for buckets), with SPACEHOST_HUB_XET off here; a
    file a space wrote through its volume (straight into the folder) comes down too."""
    big = os.urandom(200_000)
    (tmp_path / "up.bin").write_bytes(big)
    hub.run(f"""
from huggingface_hub import HfApi
api = HfApi()
api.create_bucket("bob/dl")
api.batch_bucket_files("bob/dl", add=[({str(tmp_path / "up.bin")!r}, "up.bin")])
print("{{}}")
""")
    written = os.urandom(150_000)
    folder = bucket_files(hub, "bob/dl") / "logs"
    folder.mkdir()
    (folder / "by-space.bin").write_bytes(written)
    out = hub.run(f"""
from huggingface_hub import HfApi
api = HfApi()
dest = {str(tmp_path / "down")!r}
api.download_bucket_files("bob/dl", [("up.bin", dest + "/up.bin"),
                                     ("logs/by-space.bin", dest + "/by-space.bin")])
meta = api.get_bucket_file_metadata("bob/dl", "up.bin")
print(json.dumps({{"size": meta.size}}))
""")
    assert out == {"size": len(big)}
    assert (tmp_path / "down" / "up.bin").read_bytes() == big
    assert (tmp_path / "down" / "by-space.bin").read_bytes() == written


def test_a_private_bucket_is_not_found_by_others_and_they_cannot_write(hub: Hub) -> None:
    hub.run("""
from huggingface_hub import HfApi
HfApi().create_bucket("bob/secret", private=True)
print("{}")
""")
    out = hub.run(
        """
from huggingface_hub import HfApi
from huggingface_hub.errors import BucketNotFoundError, HfHubHTTPError
api = HfApi()
try:
    api.bucket_info("bob/secret"); seen = "found"
except BucketNotFoundError:
    seen = "not found"
try:
    api.create_bucket("bob/other"); made = "made"
except HfHubHTTPError as e:
    made = e.response.status_code
print(json.dumps({"seen": seen, "made": made, "listed": [b.id for b in api.list_buckets("bob")]}))
""",
        user="carol",
    )
    assert out["seen"] == "not found" and out["made"] == 403
    assert "bob/secret" not in out["listed"] and "bob/runs" not in out["listed"]


def test_the_hf_buckets_cli_creates_syncs_both_ways_lists_and_deletes(
    hub: Hub, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.bin").write_bytes(os.urandom(100_000))
    for args in (
        ("create", "bob/cli-bucket", "--private"),
        ("sync", str(src), "hf://buckets/bob/cli-bucket"),
        ("cp", "hf://buckets/bob/cli-bucket/a.txt", str(tmp_path / "one.txt")),
        ("sync", "hf://buckets/bob/cli-bucket", str(tmp_path / "back")),
    ):
        done = hub.cli("buckets", *args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    assert (tmp_path / "one.txt").read_text() == "alpha"
    back = tmp_path / "back"
    assert (back / "sub" / "b.bin").read_bytes() == (src / "sub" / "b.bin").read_bytes()
    listed = hub.cli("buckets", "list", "bob/cli-bucket", "-R")
    assert listed.returncode == 0, listed.stderr
    assert "sub/b.bin" in listed.stdout and "a.txt" in listed.stdout
    assert "bob/cli-bucket" in hub.cli("buckets", "list", "bob").stdout
    gone = hub.cli("buckets", "delete", "bob/cli-bucket", "--yes")
    assert gone.returncode == 0, gone.stderr
    info = hub.cli("buckets", "info", "bob/cli-bucket")
    assert info.returncode != 0 and "not found" in (info.stdout + info.stderr).lower()
