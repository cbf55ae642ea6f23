"""store/gitrepos.py: commits composed with dulwich are git's own (checked with the git CLI)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from spacehost.errors import CommitConflict, RepoNotFound, RevisionNotFound
from spacehost.store.gitrepos import EXEC_MODE, FILE_MODE, GitRepos

REPO = "alice/bert"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repos(tmp_path: Path) -> GitRepos:
    g = GitRepos(tmp_path / "git")
    g.init("model", REPO)
    return g


def _commit(g: GitRepos, files: dict[str, bytes], parents: tuple[str, ...] = ()) -> str:
    entries = [(p, FILE_MODE, g.add_blob("model", REPO, data)) for p, data in files.items()]
    return g.write_commit("model", REPO, entries, f"commit {len(parents)}", parents, when=1.7e9)


def test_a_composed_commit_is_a_valid_git_commit_with_the_same_sha(repos: GitRepos) -> None:
    sha = _commit(repos, {"README.md": b"# hi\n", "src/deep/a.py": b"x = 1\n"})
    repos.set_ref("model", REPO, "main", sha, None)
    path = repos.path("model", REPO)
    assert _git(path, "rev-parse", "main").strip() == sha
    assert _git(path, "ls-tree", "-r", "--name-only", "main").split() == [
        "README.md",
        "src/deep/a.py",
    ]
    assert _git(path, "show", "main:src/deep/a.py") == "x = 1\n"
    subprocess.run(["git", "--git-dir", str(path), "fsck", "--strict"], check=True)


def test_tree_log_and_resolve_read_back_what_was_written(repos: GitRepos) -> None:
    first = _commit(repos, {"a.txt": b"1"})
    repos.set_ref("model", REPO, "main", first, None)
    second = _commit(repos, {"a.txt": b"2", "b.txt": b"22"}, (first,))
    repos.set_ref("model", REPO, "main", second, first)
    assert [c.sha for c in repos.log("model", REPO)] == [second, first]
    assert repos.resolve("model", REPO, first[:9]) == first
    assert [(e.path, e.size) for e in repos.tree("model", REPO, second)] == [
        ("a.txt", 1),
        ("b.txt", 2),
    ]
    with pytest.raises(RevisionNotFound):
        repos.resolve("model", REPO, "nope")


def test_a_ref_moves_only_from_the_value_the_writer_saw(repos: GitRepos) -> None:
    first = _commit(repos, {"a.txt": b"1"})
    repos.set_ref("model", REPO, "main", first, None)
    second = _commit(repos, {"a.txt": b"2"}, (first,))
    with pytest.raises(CommitConflict):
        repos.set_ref("model", REPO, "main", second, "0" * 40)
    with pytest.raises(CommitConflict):
        repos.set_ref("model", REPO, "main", second, None)
    assert repos.ref("model", REPO) == first


def test_executable_mode_survives(repos: GitRepos) -> None:
    blob = repos.add_blob("model", REPO, b"#!/bin/sh\n")
    sha = repos.write_commit("model", REPO, [("run.sh", EXEC_MODE, blob)], "x")
    assert repos.tree("model", REPO, sha)[0].mode == EXEC_MODE


def test_a_missing_repository_is_repo_not_found(tmp_path: Path) -> None:
    with pytest.raises(RepoNotFound):
        GitRepos(tmp_path).refs("model", "bob/none")
