"""Every read endpoint huggingface_hub calls, answered by a real platform and parsed by the
unchanged client in a fresh process (HF_ENDPOINT at the platform): spaces, models and datasets,
their lists, refs, commits, trees, paths-info, runtimes and the exists checks (issue 11, C20:
list_spaces() and space_info() failed with "Cannot parse '…+00:00' as a datetime")."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import ROOT, Running
from tests.e2e.huggingface import hf

pytestmark = pytest.mark.docker

WEIGHTS = bytes(range(256)) * 64
README = "---\nlicense: mit\nlibrary_name: spacehost-test\ntags: [tiny]\n---\n# tiny\n"

# Runs in a fresh Python: calls each read API and prints what the client parsed.
CLIENT = """
from huggingface_hub import HfApi
api = HfApi()
def iso(d):
    return d.isoformat() if d is not None else None
def repo(info):
    return {"id": info.id, "sha": info.sha, "last_modified": iso(info.last_modified),
            "created_at": iso(info.created_at), "tags": info.tags,
            "siblings": sorted((s.rfilename, s.size, s.lfs.sha256 if s.lfs else None)
                               for s in info.siblings or [])}
def kind(kind, rid):
    refs = api.list_repo_refs(rid, repo_type=kind)
    commits = api.list_repo_commits(rid, repo_type=kind)
    tree = api.list_repo_tree(rid, repo_type=kind, recursive=True, expand=True)
    paths = api.get_paths_info(rid, ["README.md", "sub"], repo_type=kind, expand=True)
    return {
        "info": repo(api.repo_info(rid, repo_type=kind)),
        "listed": [repo(i) for i in (api.list_models(author=rid.split("/")[0])
                                     if kind == "model" else
                                     api.list_datasets(author=rid.split("/")[0]))],
        "refs": [(b.name, b.ref, b.target_commit) for b in refs.branches],
        "commits": [(c.commit_id, c.title, iso(c.created_at), c.authors) for c in commits],
        "files": sorted(api.list_repo_files(rid, repo_type=kind)),
        "tree": sorted((type(e).__name__, e.path, iso(e.last_commit.date) if e.last_commit
                        else None) for e in tree),
        "paths": sorted((type(e).__name__, e.path) for e in paths),
        "file_exists": [api.file_exists(rid, "sub/w.safetensors", repo_type=kind),
                        api.file_exists(rid, "nope.txt", repo_type=kind)],
        "repo_exists": [api.repo_exists(rid, repo_type=kind),
                        api.repo_exists(rid + "-nope", repo_type=kind)],
        "revision_exists": [api.revision_exists(rid, refs.branches[0].target_commit,
                                                repo_type=kind),
                            api.revision_exists(rid, "f" * 40, repo_type=kind)],
    }
variables = api.get_space_variables(SPACE)
space = api.space_info(SPACE)
runtime = api.get_space_runtime(SPACE)
print(json.dumps({
    "space": {"id": space.id, "sha": space.sha, "author": space.author, "sdk": space.sdk,
              "last_modified": iso(space.last_modified), "created_at": iso(space.created_at),
              "host": space.host, "subdomain": space.subdomain,
              "stage": space.runtime.stage if space.runtime else None,
              "siblings": sorted(s.rfilename for s in space.siblings or [])},
    "spaces": [(s.id, s.sha, iso(s.last_modified)) for s in api.list_spaces(author=OWNER)],
    "runtime": {"stage": runtime.stage, "hardware": runtime.requested_hardware},
    "variables": {k: (v.value, iso(v.updated_at)) for k, v in variables.items()},
    "space_exists": [api.repo_exists(SPACE, repo_type="space"),
                     api.repo_exists(SPACE + "-nope", repo_type="space"),
                     api.revision_exists(SPACE, space.sha, repo_type="space")],
    "space_repo": {
        "refs": [(b.name, b.target_commit)
                 for b in api.list_repo_refs(SPACE, repo_type="space").branches],
        "commits": [(c.commit_id, iso(c.created_at))
                    for c in api.list_repo_commits(SPACE, repo_type="space")],
        "files": sorted(api.list_repo_files(SPACE, repo_type="space")),
        "tree": sorted((type(e).__name__, e.path, e.size) for e in
                       api.list_repo_tree(SPACE, repo_type="space", recursive=True)),
        "paths": sorted(e.path for e in api.get_paths_info(SPACE, ["index.html", "nope"],
                                                           repo_type="space")),
    },
    "model": kind("model", MODEL),
    "dataset": kind("dataset", DATASET),
}))
"""


@pytest.fixture(scope="module")
def repos(platform: Running, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A static space, a model and a dataset of one fresh owner."""
    tmp = tmp_path_factory.mktemp("hf-read")
    owner = f"reader{uuid.uuid4().hex[:6]}"
    names = {
        "owner": owner,
        "space": f"{owner}/page",
        "model": f"{owner}/tiny",
        "dataset": f"{owner}/rows",
    }
    space = tmp / "space"
    shutil.copytree(ROOT / "spaces" / "static-page", space)
    platform.cli("push", str(space), "--name", names["space"], check=True)
    for kind in ("model", "dataset"):
        folder = tmp / kind
        (folder / "sub").mkdir(parents=True)
        (folder / "README.md").write_text(README)
        (folder / "sub" / "w.safetensors").write_bytes(WEIGHTS)
        platform.cli(
            "push",
            str(folder),
            "--type",
            kind,
            "--name",
            names[kind],
            "-m",
            "first push",
            check=True,
        )
    return names


def hf_date(value: Any) -> bool:
    """An ISO date as huggingface.co sends it, parsed by the client into an aware datetime."""
    return isinstance(value, str) and value.endswith("+00:00") and value[:2] == "20"


def test_huggingface_hub_parses_every_read_endpoint(
    platform: Running, repos: dict[str, str], tmp_path: Path
) -> None:
    space_json = requests.get(f"{platform.url}/api/spaces/{repos['space']}", timeout=10).json()
    assert space_json["lastModified"].endswith("Z")  # 2024-01-02T03:04:05.000Z, as HF
    token = (platform.data_dir / "token").read_text().strip()
    requests.post(
        f"{platform.url}/api/spaces/{repos['space']}/variables",
        timeout=30,
        json={"key": "GREETING", "value": "hi"},
        headers={"Authorization": f"Bearer {token}"},
    ).raise_for_status()
    code = (
        f"SPACE, OWNER = {repos['space']!r}, {repos['owner']!r}\n"
        f"MODEL, DATASET = {repos['model']!r}, {repos['dataset']!r}\n" + CLIENT
    )
    got = hf(platform, tmp_path, code)

    space = got["space"]
    assert space["id"] == repos["space"] and space["author"] == repos["owner"]
    assert space["sha"] == space_json["sha"] and space["sdk"] == "static"
    assert hf_date(space["last_modified"]) and hf_date(space["created_at"])
    assert space["stage"] == "RUNNING" and "index.html" in space["siblings"]
    assert space["host"] == f"{platform.url}/spaces/{repos['space']}/"
    assert space["subdomain"] == repos["space"].replace("/", "-")
    assert got["spaces"] == [[repos["space"], space["sha"], space["last_modified"]]]
    assert got["runtime"] == {"stage": "RUNNING", "hardware": "cpu-basic"}
    assert got["space_exists"] == [True, False, True]
    ((value, updated),) = got["variables"].values()
    assert list(got["variables"]) == ["GREETING"] and value == "hi" and hf_date(updated)
    listed = sorted(
        p.relative_to(ROOT / "spaces" / "static-page").as_posix()
        for p in (ROOT / "spaces" / "static-page").rglob("*")
        if p.is_file()
    )
    repo = got["space_repo"]
    assert repo["refs"] == [["main", space["sha"]]]
    assert [c[0] for c in repo["commits"]] == [space["sha"]] and hf_date(repo["commits"][0][1])
    assert repo["files"] == space["siblings"] == listed
    assert [e[1] for e in repo["tree"] if e[0] == "RepoFile"] == listed
    assert repo["paths"] == ["index.html"]

    digest = hashlib.sha256(WEIGHTS).hexdigest()
    for kind in ("model", "dataset"):
        r, rid = got[kind], repos[kind]
        info = r["info"]
        assert info["id"] == rid and len(info["sha"]) == 40
        assert hf_date(info["last_modified"]) and hf_date(info["created_at"])
        assert "license:mit" in info["tags"]
        assert info["siblings"] == [
            ["README.md", len(README), None],
            ["sub/w.safetensors", len(WEIGHTS), digest],
        ]
        assert r["listed"] == [info | {"siblings": []}]
        assert r["refs"] == [["main", "refs/heads/main", info["sha"]]]
        ((commit_id, title, date, authors),) = r["commits"]
        assert (commit_id, title, authors) == (info["sha"], "first push", [repos["owner"]])
        assert date == info["last_modified"]
        assert r["files"] == ["README.md", "sub/w.safetensors"]
        assert r["tree"] == [
            ["RepoFile", "README.md", date],
            ["RepoFile", "sub/w.safetensors", date],
            ["RepoFolder", "sub", date],
        ]
        assert r["paths"] == [["RepoFile", "README.md"], ["RepoFolder", "sub"]]
        assert r["file_exists"] == [True, False]
        assert r["repo_exists"] == [True, False]
        assert r["revision_exists"] == [True, False]
    json.dumps(got)  # all plain data
