"""Every write to a space is a git commit (docs/git.md): ``spacehost push`` and
huggingface_hub's ``upload_folder``, each unchanged in a fresh process against the control plane
on a loopback port (fake engine), make a commit on the space's ``main`` whose sha
``GET /api/spaces/{id}`` (``sha``, ``servingSha``), the runtime (``sha``) and
``list_repo_commits`` answer; ``git clone`` of the bare repository by path shows its files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spacehost.appkeys import ACCOUNTS
from spacehost.domain import SpaceId
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from tests.support.hf_process import run_hf
from tests.support.live_control import LiveControl, live_control
from tests.support.spacefiles import gradio_files

ROOT = Path(__file__).resolve().parents[3]


class Live:
    def __init__(self, live: LiveControl, token: str, home: Path) -> None:
        self.live, self.token, self.home = live, token, home

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.live.url}{path}", timeout=30) as resp:
            return json.load(resp)

    def clone(self, space: SpaceId, into: Path) -> Path:
        bare = self.live.platform.settings.git_dir / "spaces" / space.owner / f"{space.name}.git"
        subprocess.run(["git", "clone", "-q", str(bare), str(into)], check=True)
        return into


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    root = tmp_path_factory.mktemp("spacegit")
    with live_control(root / "platform") as served:
        acc: Accounts = served.app[ACCOUNTS]
        acc.add_user("bob")
        yield Live(served, acc.create_token("bob", "ci", Role.WRITE).value, root / "home")


def _folder(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def _answered_shas(live: Live, space: SpaceId) -> tuple[str, str, str]:
    info = live.api(f"/api/spaces/{space}")
    runtime = live.api(f"/api/spaces/{space}/runtime")
    return info["sha"], info["servingSha"], runtime["sha"]


def test_a_cli_push_is_a_commit_the_api_and_runtime_answer(live: Live, tmp_path: Path) -> None:
    space = SpaceId("bob", "cli")
    src = _folder(tmp_path / "cli", gradio_files("print('from the cli')"))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), os.environ.get("PYTHONPATH", "")]),
        "SPACEHOST_URL": live.live.url,
        "SPACEHOST_TOKEN": live.token,
    }
    cmd = [sys.executable, "-m", "spacehost.cli.main", "push", str(src), "--name", str(space)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    platform = live.live.platform
    assert platform.wait_idle()
    head = platform.queries.head_commit(space)
    assert head is not None
    assert _answered_shas(live, space) == (head, head, head)
    (commit,) = platform.queries.git_log(space)
    assert commit.title == "Push from spacehost CLI" and commit.author.startswith("bob <")
    clone = live.clone(space, tmp_path / "clone")
    assert (clone / "app.py").read_text() == "print('from the cli')"


def test_upload_folder_is_a_commit_on_top_with_its_message(live: Live, tmp_path: Path) -> None:
    space = SpaceId("bob", "hf")
    src = _folder(tmp_path / "hf", {"app.py": b"print('v2')\n"})
    out = live.live.url and run_hf(
        live.live.url,
        live.home,
        f"""
from huggingface_hub import HfApi
api = HfApi()
api.create_repo("{space}", repo_type="space", space_sdk="gradio")
info = api.upload_folder(repo_id="{space}", repo_type="space", folder_path={str(src)!r},
                         commit_message="Second version")
commits = api.list_repo_commits("{space}", repo_type="space")
print(json.dumps({{"oid": info.oid, "sha": api.space_info("{space}").sha,
    "titles": [c.title for c in commits], "ids": [c.commit_id for c in commits],
    "refs": [b.target_commit for b in api.list_repo_refs("{space}", repo_type="space").branches],
    "files": sorted(api.list_repo_files("{space}", repo_type="space"))}}))
""",
        HF_TOKEN=live.token,
    )
    platform = live.live.platform
    assert platform.wait_idle()
    log = platform.queries.git_log(space)
    assert out["oid"] == out["sha"] == log[0].sha == platform.queries.head_commit(space)
    assert out["titles"] == ["Second version", "initial commit"]
    assert out["ids"] == [c.sha for c in log] and out["refs"] == [log[0].sha]
    assert _answered_shas(live, space) == (log[0].sha,) * 3
    clone = live.clone(space, tmp_path / "clone")
    assert (clone / "app.py").read_text() == "print('v2')\n"
    assert sorted(p.name for p in clone.iterdir() if p.name != ".git") == out["files"]
