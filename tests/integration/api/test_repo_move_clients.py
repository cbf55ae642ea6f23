"""``HfApi.move_repo`` unchanged, in a fresh process with ``HF_ENDPOINT`` at the control plane
(served on a loopback port): a model and a dataset moved, then read back under the new id with
``snapshot_download`` and ``git clone``, the old id redirecting reads, and a taken id, a missing
repo and a space answered as huggingface_hub's errors."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.appkeys import ACCOUNTS, HUB
from spacehost.domain import RepoKind
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.store import HubStore
from tests.support.hf_process import run_hf
from tests.support.live_control import LiveControl, live_control


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveControl, str]]:
    root = tmp_path_factory.mktemp("repomove")
    with live_control(root / "platform") as live:
        acc: Accounts = live.app[ACCOUNTS]
        acc.add_user("bob")
        yield live, acc.create_token("bob", "ci", Role.WRITE).value


def git(cwd: Path, *args: str) -> str:
    env = {"PATH": os.environ["PATH"], "HOME": str(cwd), "GIT_TERMINAL_PROMPT": "0"}
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"git {' '.join(args)}:\n{proc.stderr}"
    return proc.stdout.strip()


def test_move_repo_then_snapshot_download_and_git_clone_of_the_new_id(
    site: tuple[LiveControl, str], tmp_path: Path
) -> None:
    live, token = site
    out = run_hf(
        live.url,
        tmp_path / "home",
        """
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
api = HfApi()
for repo, kind in (("bob/old", "model"), ("bob/old-data", "dataset")):
    api.create_repo(repo, repo_type=kind)
    api.upload_file(path_or_fileobj=b"weights" * 100, path_in_repo="w/a.bin", repo_id=repo,
                    repo_type=kind)
sha = api.model_info("bob/old").sha
api.move_repo("bob/old", "bob/new")
api.move_repo("bob/old-data", "bob/new-data", repo_type="dataset")
path = snapshot_download("bob/new")
data = snapshot_download("bob/new-data", repo_type="dataset")
old = hf_hub_download("bob/old", "w/a.bin")
print(json.dumps({
    "sha": [sha, api.model_info("bob/new").sha, api.model_info("bob/old").id],
    "files": [open(path + "/w/a.bin", "rb").read() == b"weights" * 100,
              open(data + "/w/a.bin", "rb").read() == b"weights" * 100,
              open(old, "rb").read() == b"weights" * 100],
    "exists": [api.repo_exists("bob/new"), api.repo_exists("bob/new-data", repo_type="dataset")],
}))
""",
        HF_TOKEN=token,
    )
    sha = out["sha"][0]
    assert out["sha"] == [sha, sha, "bob/new"]
    assert out["files"] == [True, True, True]
    assert out["exists"] == [True, True]
    git(tmp_path, "clone", f"{live.url}/bob/new", "clone")
    assert git(tmp_path / "clone", "rev-parse", "HEAD") == sha
    git(tmp_path, "clone", f"{live.url}/bob/old.git", "old")  # git follows the redirect
    assert git(tmp_path / "old", "rev-parse", "HEAD") == sha
    pointer = (tmp_path / "clone" / "w" / "a.bin").read_text()  # no git-lfs in this home
    assert f"oid sha256:{hashlib.sha256(b'weights' * 100).hexdigest()}" in pointer


def test_move_repo_errors_are_the_clients_own(
    site: tuple[LiveControl, str], tmp_path: Path
) -> None:
    live, token = site
    out = run_hf(
        live.url,
        tmp_path / "home",
        """
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError
api = HfApi()
api.create_repo("bob/a")
api.create_repo("bob/b")
said = {}
for name, args in (("taken", ("bob/a", "bob/b")), ("missing", ("bob/none", "bob/c")),
                   ("space", ("bob/s", "bob/t"))):
    try:
        api.move_repo(*args, repo_type="space" if name == "space" else None)
        said[name] = None
    except RepositoryNotFoundError as exc:
        said[name] = ["RepositoryNotFoundError", exc.response.status_code]
    except HfHubHTTPError as exc:
        said[name] = [exc.response.status_code, str(exc)]
print(json.dumps(said))
""",
        HF_TOKEN=token,
    )
    assert out["taken"][0] == 409 and "bob/b exists already" in out["taken"][1]
    assert out["missing"] == ["RepositoryNotFoundError", 404]
    assert out["space"][0] == 501 and "duplicate" in out["space"][1]


def test_hf_repos_move_cli(site: tuple[LiveControl, str], tmp_path: Path) -> None:
    """The unchanged ``hf repos move`` command: a dataset moved; a space refused with the
    server's words, non-zero."""
    live, token = site
    run_hf(
        live.url,
        tmp_path / "home",
        """
from huggingface_hub import HfApi
HfApi().create_repo("bob/cli-data", repo_type="dataset")
print("{}")
""",
        HF_TOKEN=token,
    )
    hf_cli = Path(sys.executable).with_name("hf")
    env = {**os.environ, "HF_ENDPOINT": live.url, "HF_TOKEN": token, "HF_HOME": str(tmp_path)}

    def hf(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(hf_cli), "repos", "move", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    moved = hf("bob/cli-data", "bob/cli-data2", "--type", "dataset")
    assert moved.returncode == 0, moved.stderr
    store: HubStore = live.app[HUB]
    assert store.exists(RepoKind.DATASET, "bob/cli-data2")
    space = hf("bob/s", "bob/t", "--type", "space")
    assert space.returncode != 0 and "duplicate" in space.stdout + space.stderr
