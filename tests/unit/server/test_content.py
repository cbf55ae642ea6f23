"""Built-in hub content: the real MiniLM from its package and the project's dataset, imported
once, unchanged on every later start, and left alone once someone else pushed over it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from spacehost.domain import RepoKind
from spacehost.server.content import (
    MINILM,
    MOVIE_REVIEWS,
    Builtin,
    builtins,
    dataset_folder,
    import_builtin,
    minilm_folder,
)
from spacehost.settings import Settings
from spacehost.store import HubStore

ROOT = Path(__file__).resolve().parents[3]


def test_both_are_found_in_this_installation() -> None:
    model = minilm_folder()
    assert model is not None and (model / "model.safetensors").stat().st_size > 80 << 20
    data = dataset_folder()
    assert data == ROOT / "hub" / "datasets" / "spacehost" / "movie-reviews"
    assert [(b.kind, b.repo_id) for b in builtins()] == [
        (RepoKind.MODEL, MINILM),
        (RepoKind.DATASET, MOVIE_REVIEWS),
    ]


def test_first_start_imports_later_starts_write_nothing(tmp_path: Path) -> None:
    hub = HubStore(tmp_path / "hub")
    first = import_builtin(hub)
    assert [(r.repo_id, r.outcome) for r in first] == [
        (MINILM, "imported"),
        (MOVIE_REVIEWS, "imported"),
    ]
    files = {f.path for f in hub.repo(RepoKind.MODEL, MINILM).head.files}
    assert {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "modules.json",
        "1_Pooling/config.json",
    } <= files
    blobs = sorted(
        p.stat().st_mtime_ns for p in (tmp_path / "hub" / "blobs").rglob("*") if p.is_file()
    )
    second = import_builtin(hub)
    assert [(r.outcome, r.sha) for r in second] == [("unchanged", r.sha) for r in first]
    assert len(hub.commits(RepoKind.MODEL, MINILM)) == 1
    assert (
        sorted(p.stat().st_mtime_ns for p in (tmp_path / "hub" / "blobs").rglob("*") if p.is_file())
        == blobs
    )
    hub.close()


def test_new_shipped_content_lands_as_a_new_commit(tmp_path: Path) -> None:
    hub = HubStore(tmp_path / "hub")
    folder = tmp_path / "v1"
    folder.mkdir()
    (folder / "README.md").write_text("v1")
    item = Builtin(RepoKind.DATASET, "spacehost/x", folder)
    (imported,) = import_builtin(hub, [item])
    (folder / "README.md").write_text("v2")
    (updated,) = import_builtin(hub, [item])
    assert updated.outcome == "updated" and updated.sha != imported.sha
    hub.close()


def test_a_repo_someone_else_pushed_is_kept(tmp_path: Path) -> None:
    hub = HubStore(tmp_path / "hub")
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "README.md").write_text("mine")
    hub.push(RepoKind.DATASET, MOVIE_REVIEWS, folder, message="my own version")
    (result,) = import_builtin(hub, [Builtin(RepoKind.DATASET, MOVIE_REVIEWS, dataset_folder())])
    assert result.outcome == "kept" and "someone else" in str(result)
    assert len(hub.commits(RepoKind.DATASET, MOVIE_REVIEWS)) == 1
    hub.close()


def test_missing_content_is_reported_not_raised(tmp_path: Path) -> None:
    hub = HubStore(tmp_path / "hub")
    (result,) = import_builtin(hub, [Builtin(RepoKind.MODEL, MINILM, None, "not installed")])
    assert (result.outcome, result.detail) == ("unavailable", "not installed")
    assert hub.repos() == []
    hub.close()


@pytest.mark.parametrize(("value", "expected"), [("0", False), ("1", True), (None, True)])
def test_builtin_content_setting(value: str | None, expected: bool) -> None:
    env = {} if value is None else {"SPACEHOST_BUILTIN_CONTENT": value}
    assert Settings.from_env(env).builtin_content is expected


def test_the_committed_dataset_is_what_the_script_makes() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_dataset.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    train = (ROOT / "hub/datasets/spacehost/movie-reviews/data/train.csv").read_text()
    rows = train.splitlines()[1:]
    assert len(rows) == 2400 and sum(r.endswith(",1") for r in rows) == 1200
