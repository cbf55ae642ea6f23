"""HubStore.move: a model or dataset renamed everywhere (rows, git repository, cache folder),
its old name remembered for redirects, and a move cut short by a crash finished on the next
open, on a real filesystem."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.domain import RepoKind
from spacehost.errors import Conflict, InvalidSpaceName, RepoNotFound
from spacehost.store import HubStore

M, D = RepoKind.MODEL, RepoKind.DATASET
FILES = {"README.md": b"# tiny\n", "config.json": b'{"a": 1}', "w.safetensors": b"\x01" * 20_000}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HubStore]:
    s = HubStore(tmp_path / "hub")
    yield s
    s.close()


def push(store: HubStore, kind: RepoKind, repo_id: str, tmp_path: Path) -> str:
    folder = tmp_path / f"src-{repo_id.replace('/', '-')}"
    for rel, data in FILES.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return store.push(kind, repo_id, folder, "first").sha


def assert_moved(store: HubStore, kind: RepoKind, old: str, new: str, sha: str) -> None:
    assert store.resolve(kind, new).sha == sha
    assert [c.sha for c in store.commits(kind, new)] == [sha]
    assert store.git.ref(kind.value, new) == sha
    assert not store.git.exists(kind.value, old)
    snapshot = store.cache_dir(kind, new) / "snapshots" / sha
    assert (snapshot / "w.safetensors").read_bytes() == FILES["w.safetensors"]
    assert (store.cache_dir(kind, new) / "refs" / "main").read_text() == sha
    with pytest.raises(RepoNotFound):
        store.resolve(kind, old)
    assert store.moved_to(kind, old) == new


@pytest.mark.parametrize("kind", [M, D])
def test_move_renames_rows_git_and_cache(store: HubStore, tmp_path: Path, kind: RepoKind) -> None:
    sha = push(store, kind, "alice/tiny", tmp_path)
    store.move(kind, "alice/tiny", "acme/renamed")
    assert_moved(store, kind, "alice/tiny", "acme/renamed", sha)
    cache = store.root / "cache"
    assert sorted(p.name for p in cache.iterdir()) == [f"{kind.plural}--acme--renamed"]
    assert [r.repo_id for r in store.repos(kind)] == ["acme/renamed"]


def test_move_onto_an_existing_repo_is_refused_and_changes_nothing(
    store: HubStore, tmp_path: Path
) -> None:
    a = push(store, M, "alice/a", tmp_path)
    push(store, M, "alice/b", tmp_path)
    with pytest.raises(Conflict, match="alice/b exists already"):
        store.move(M, "alice/a", "alice/b")
    assert store.resolve(M, "alice/a").sha == a
    assert store.moved_to(M, "alice/a") is None


def test_move_of_a_missing_repo_or_to_a_bad_name(store: HubStore, tmp_path: Path) -> None:
    with pytest.raises(RepoNotFound):
        store.move(M, "alice/none", "alice/other")
    push(store, M, "alice/a", tmp_path)
    with pytest.raises(InvalidSpaceName):
        store.move(M, "alice/a", "no-owner")


def test_a_chain_of_moves_redirects_to_the_last_and_moving_back_forgets_it(
    store: HubStore, tmp_path: Path
) -> None:
    push(store, D, "alice/a", tmp_path)
    store.move(D, "alice/a", "alice/b")
    store.move(D, "alice/b", "alice/c")
    assert store.moved_to(D, "alice/a") == "alice/c"
    assert store.moved_to(D, "alice/b") == "alice/c"
    assert store.old_names(D, "alice/c") == ["alice/a", "alice/b"]
    store.move(D, "alice/c", "alice/a")
    assert store.moved_to(D, "alice/a") is None
    assert store.moved_to(D, "alice/c") == "alice/a"


def test_a_move_cut_short_after_its_transaction_is_finished_on_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crash window: the rows name the new id, the folders still have the old one. The
    next open must rename them, not sweep them as unknown (which would lose the repo)."""
    s = HubStore(tmp_path / "hub")
    sha = push(s, M, "alice/tiny", tmp_path)
    with monkeypatch.context() as m:
        m.setattr(HubStore, "_finish_moves", lambda self: None)  # dies right after the commit
        s.move(M, "alice/tiny", "alice/renamed")
    assert s.git.exists("model", "alice/tiny")  # the folders were not renamed
    s.close()
    again = HubStore(tmp_path / "hub")
    try:
        assert_moved(again, M, "alice/tiny", "alice/renamed", sha)
    finally:
        again.close()


def test_a_new_repo_under_the_old_id_ends_the_redirect(store: HubStore, tmp_path: Path) -> None:
    push(store, M, "alice/a", tmp_path)
    store.move(M, "alice/a", "alice/b")
    push(store, M, "alice/a", tmp_path)
    store.delete(M, "alice/a")
    assert store.moved_to(M, "alice/a") is None
