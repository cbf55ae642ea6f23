"""A hub store written by the code from before git (commit 616b422's store/hub.py and hubdb.py,
run from the repository's history) opened by today's HubStore: every repo replayed into git with
its history, the old commit ids kept as aliases, the cache following the new shas."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from spacehost.domain import RepoKind
from spacehost.store import HubStore
from spacehost.store import hubdb as hubdb_module

M, D = RepoKind.MODEL, RepoKind.DATASET
BEFORE_GIT = "616b422"
ROOT = Path(__file__).resolve().parents[3]


def _old_source(path: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{BEFORE_GIT}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _load(name: str, source: str, where: Path) -> ModuleType:
    file = where / f"{name}.py"
    file.write_text(source)
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def old_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The hub store module as it was before git (its own old database module)."""
    where = tmp_path_factory.mktemp("before_git")
    _load("hubdb_before_git", _old_source("platform/spacehost/store/hubdb.py"), where)
    source = _old_source("platform/spacehost/store/hub.py").replace(
        "from spacehost.store.hubdb import", "from hubdb_before_git import"
    )
    yield _load("hub_before_git", source, where)
    for name in ("hub_before_git", "hubdb_before_git"):
        sys.modules.pop(name, None)


def _write(folder: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def _git(store: HubStore, kind: str, repo_id: str, *args: str) -> str:
    repo = store.git.path(kind, repo_id)
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def before(old_hub: ModuleType, tmp_path: Path) -> dict[str, list[str]]:
    """A store written by the old code: a model with two commits, a dataset with one."""
    old = old_hub.HubStore(tmp_path / "hub")
    weights = os.urandom(40_000)
    first = old.push(M, "alice/bert", _write(tmp_path / "m1", {"README.md": b"# bert\n"}), "one")
    second = old.push(
        M,
        "alice/bert",
        _write(tmp_path / "m2", {"README.md": b"# bert 2\n", "model.safetensors": weights}),
        "two",
    )
    data = old.push(D, "alice/data", _write(tmp_path / "d", {"a.csv": b"x,y\n1,2\n"}), "data")
    old.close()
    return {"model": [second.sha, first.sha], "dataset": [data.sha]}


def test_a_store_from_before_git_is_replayed_into_git_with_its_history(
    before: dict[str, list[str]], tmp_path: Path
) -> None:
    store = HubStore(tmp_path / "hub")
    try:
        commits = store.commits(M, "alice/bert")
        shas = [c.sha for c in commits]
        assert _git(store, "model", "alice/bert", "rev-list", "main").split() == shas
        assert shas[0] not in before["model"] and [c.message for c in commits] == ["two", "one"]
        assert commits[0].parent == shas[1]
        # the old ids still name the same commits, in full or by prefix
        for old, new in zip(before["model"], shas, strict=True):
            assert store.resolve(M, "alice/bert", old).sha == new
            assert store.resolve(M, "alice/bert", old[:10]).sha == new
        assert (
            store.resolve(D, "alice/data", before["dataset"][0]).sha
            == store.resolve(D, "alice/data").sha
        )
        pointer = _git(store, "model", "alice/bert", "show", "main:model.safetensors")
        assert pointer.startswith("version https://git-lfs.github.com/spec/v1\n")
        assert _git(store, "model", "alice/bert", "show", f"{shas[1]}:README.md") == "# bert\n"
        cache = store.cache_dir(M, "alice/bert")
        assert (cache / "refs" / "main").read_text() == shas[0]
        assert sorted(p.name for p in (cache / "snapshots").iterdir()) == sorted(shas)
        assert sorted(p.name for p in (cache / "trees").iterdir()) == sorted(
            f"{s}.json" for s in shas
        )
        assert (cache / "snapshots" / shas[1] / "README.md").read_bytes() == b"# bert\n"
        assert store.resolve(M, "alice/bert").file("model.safetensors").lfs
    finally:
        store.close()
    again = HubStore(tmp_path / "hub")  # a second open changes nothing
    try:
        assert [c.sha for c in again.commits(M, "alice/bert")] == shas
    finally:
        again.close()


def test_a_migration_cut_short_is_done_again_with_the_same_shas(
    before: dict[str, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # after the replay into git, before the database moved

    monkeypatch.setattr(hubdb_module.HubDb, "rename_commits", crash)
    with pytest.raises(KeyboardInterrupt):
        HubStore(tmp_path / "hub")
    monkeypatch.undo()
    store = HubStore(tmp_path / "hub")
    try:
        assert (
            store.resolve(M, "alice/bert", before["model"][0]).sha
            == _git(store, "model", "alice/bert", "rev-parse", "main").strip()
        )
        assert len(store.commits(M, "alice/bert")) == 2
    finally:
        store.close()
