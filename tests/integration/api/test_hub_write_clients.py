"""huggingface_hub's writes, unchanged, each in a fresh process with ``HF_ENDPOINT`` at the
control plane (served on a loopback port over the fake engine): ``hf upload``, ``upload_folder``,
``upload_file``, ``create_commit`` with deletes and a stale parent, a file over
``SPACEHOST_MAX_REGULAR_FILE`` over LFS (``HF_HUB_DISABLE_XET=1``) and over Xet (the default,
hf_xet installed), transformers' and datasets' ``push_to_hub`` loaded back (over LFS, and
datasets' with default settings, its parquet over Xet), and a space commit deploying."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spacehost.appkeys import ACCOUNTS, HUB
from spacehost.domain import SpaceId
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.store import HubStore
from tests.support.hf_process import run_hf
from tests.support.live_control import LiveControl, live_control

LIMIT = 64 << 10  # SPACEHOST_MAX_REGULAR_FILE here: larger files are answered "lfs"


class Hub:
    def __init__(self, live: LiveControl, token: str, home: Path) -> None:
        self.live, self.token, self.home = live, token, home

    def run(self, code: str, **env: str) -> Any:
        return run_hf(self.live.url, self.home, code, HF_TOKEN=self.token, **env)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    root = tmp_path_factory.mktemp("hubwrite")
    with live_control(root / "platform", max_regular_file=LIMIT) as live:
        acc: Accounts = live.app[ACCOUNTS]
        acc.add_user("bob")
        yield Hub(live, acc.create_token("bob", "ci", Role.WRITE).value, root / "home")


def xorbs_kept(hub: Hub) -> set[Path]:
    """The xorbs the hub keeps from Xet uploads (store/xetuploads.py)."""
    store: HubStore = hub.live.app[HUB]
    return set((store.root / "xet" / "xorbs").glob("*/*"))


def folder(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def test_hf_upload_then_upload_folder_again_skips_unchanged_files(hub: Hub, tmp_path: Path) -> None:
    src = folder(tmp_path / "m", {"README.md": b"---\nlicense: mit\n---\n", "w/a.txt": b"a" * 99})
    env = {
        **os.environ,
        "HF_ENDPOINT": hub.live.url,
        "HF_HOME": str(hub.home),
        "HF_TOKEN": hub.token,
    }
    hf_cli = Path(sys.executable).with_name("hf")
    proc = subprocess.run(
        [str(hf_cli), "upload", "bob/cli-model", str(src)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "/bob/cli-model" in proc.stdout
    out = hub.run(f"""
from huggingface_hub import HfApi, snapshot_download
api = HfApi()
before = api.model_info("bob/cli-model").sha
api.upload_folder(repo_id="bob/cli-model", folder_path={str(src)!r})
commits = [r for r in REQUESTS if "/commit/" in r[1]]
path = snapshot_download("bob/cli-model")
print(json.dumps({{"same": before == api.model_info("bob/cli-model").sha, "commits": commits,
    "a": open(path + "/w/a.txt").read()}}))
""")
    assert out == {"same": True, "commits": [], "a": "a" * 99}


def test_upload_file_and_create_commit_with_deletes_and_a_stale_parent(hub: Hub) -> None:
    out = hub.run("""
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
from huggingface_hub.errors import HfHubHTTPError
api = HfApi()
api.create_repo("bob/ops", repo_type="dataset")
first = api.upload_file(path_or_fileobj=b"one", path_in_repo="d/one.txt", repo_id="bob/ops",
                        repo_type="dataset")
info = api.create_commit("bob/ops", [CommitOperationAdd("two.txt", b"two"),
                          CommitOperationDelete("d/")], commit_message="swap",
                         repo_type="dataset", parent_commit=first.oid)
try:
    api.create_commit("bob/ops", [CommitOperationAdd("x.txt", b"x")], commit_message="late",
                      repo_type="dataset", parent_commit=first.oid)
    stale = None
except HfHubHTTPError as exc:
    stale = [exc.response.status_code, str(exc)]
print(json.dumps({"files": sorted(api.list_repo_files("bob/ops", repo_type="dataset")),
    "head": api.dataset_info("bob/ops").sha == info.oid, "stale": stale}))
""")
    assert out["files"] == [".gitattributes", "README.md", "two.txt"] or out["files"] == [
        "README.md",
        "two.txt",
    ]
    assert out["head"]
    assert out["stale"][0] == 412 and "a commit has happened since" in out["stale"][1]


BIG = """
import hashlib, os
from huggingface_hub import HfApi, hf_hub_download
api = HfApi()
api.create_repo("bob/{name}", exist_ok=True)
data = os.urandom({size})
open("big.bin", "wb").write(data)
try:
    api.upload_file(path_or_fileobj="big.bin", path_in_repo="big.bin", repo_id="bob/{name}")
    back = open(hf_hub_download("bob/{name}", "big.bin"), "rb").read()
    lfs = [r for r in REQUESTS if "/lfs/objects" in r[1]]
    print(json.dumps({{"same": back == data, "lfs": lfs}}))
except Exception as exc:
    print(json.dumps({{"error": f"{{type(exc).__name__}}: {{exc}}"}}))
"""


def test_a_file_over_the_limit_goes_over_lfs_with_xet_disabled(hub: Hub, tmp_path: Path) -> None:
    os.chdir(tmp_path)
    out = hub.run(BIG.format(name="lfs", size=LIMIT + 1), HF_HUB_DISABLE_XET="1")
    assert out.get("same"), out
    assert [m for m, _, _ in out["lfs"]] == ["POST", "PUT", "POST"]  # batch, upload, verify


def test_a_file_over_the_limit_goes_over_xet_with_the_default_client(
    hub: Hub, tmp_path: Path
) -> None:
    os.chdir(tmp_path)
    before = xorbs_kept(hub)
    out = hub.run(BIG.format(name="xet", size=3 * LIMIT + 5))
    assert out.get("same"), out
    assert out["lfs"] == []
    assert len(xorbs_kept(hub) - before) >= 1  # hf_xet took it: write token, xorbs, a shard


def test_transformers_and_datasets_push_to_hub_and_load_back(hub: Hub) -> None:
    out = hub.run(
        """
import torch
from transformers import BertConfig, BertModel
from datasets import Dataset, load_dataset
config = BertConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                    intermediate_size=8, vocab_size=32)
model = BertModel(config)
model.push_to_hub("bob/tiny-bert")
back = BertModel.from_pretrained("bob/tiny-bert")
same = all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                             back.state_dict().values()))
Dataset.from_dict({"text": ["a", "b", "c"]}).push_to_hub("bob/tiny-data")
rows = list(load_dataset("bob/tiny-data", split="train")["text"])
print(json.dumps({"same": same, "rows": rows}))
""",
        HF_HUB_DISABLE_XET="1",
    )
    assert out == {"same": True, "rows": ["a", "b", "c"]}


def test_datasets_push_to_hub_with_default_settings_goes_over_xet(hub: Hub) -> None:
    before = xorbs_kept(hub)
    out = hub.run("""
from datasets import Dataset, load_dataset
Dataset.from_dict({"n": list(range(1000))}).push_to_hub("bob/xet-data")
rows = list(load_dataset("bob/xet-data", split="train")["n"])
lfs = [r for r in REQUESTS if "lfs" in r[1]]
print(json.dumps({"rows": rows == list(range(1000)), "lfs": lfs}))
""")
    assert out == {"rows": True, "lfs": []}
    assert len(xorbs_kept(hub) - before) >= 1


def test_upload_folder_to_a_space_deploys_a_new_revision(hub: Hub, tmp_path: Path) -> None:
    src = folder(tmp_path / "s", {"app.py": b"print('v2')\n"})
    out = hub.run(f"""
from huggingface_hub import HfApi
api = HfApi()
api.create_repo("bob/demo", repo_type="space", space_sdk="gradio")
info = api.upload_folder(repo_id="bob/demo", repo_type="space", folder_path={str(src)!r})
print(json.dumps({{"oid": info.oid}}))
""")
    platform = hub.live.platform
    rec = platform.queries.get_space(SpaceId("bob", "demo"))
    # the commit's id is git's, of the new revision (docs/git.md)
    assert out["oid"] == platform.queries.commit_of(SpaceId("bob", "demo"), rec.revision)
    assert (
        platform.queries.revision_path(rec.revision) / "app.py"
    ).read_bytes() == b"print('v2')\n"
    assert platform.wait_idle()
    assert json.dumps(platform.queries.get_space(SpaceId("bob", "demo")).stage.value) == '"RUNNING"'
