"""api/gitpushhub.py: when main's new commits cannot be recorded after git moved it, git's main
goes back to the hub's head and git prints why."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacehost.api.gitpush import PushRefused, RefUpdate
from spacehost.api.gitpushhub import _adopt_main, _problems
from spacehost.domain import RepoKind
from spacehost.store import HubStore
from spacehost.store.gitrepos import FILE_MODE, MAIN_REF
from spacehost.store.hubfiles import lfs_pointer

M = RepoKind.MODEL


def test_a_commit_that_cannot_be_recorded_puts_main_back(tmp_path: Path) -> None:
    hub = HubStore(tmp_path / "hub")
    try:
        (tmp_path / "f").mkdir()
        (tmp_path / "f" / "README.md").write_bytes(b"# m\n")
        head = hub.push(M, "alice/m", tmp_path / "f")
        g = hub.git
        blob = g.add_blob("model", "alice/m", lfs_pointer("cd" * 32, 9))  # never uploaded
        sha = g.write_commit("model", "alice/m", [("w.bin", FILE_MODE, blob)], "w", [head.sha])
        g.set_ref("model", "alice/m", "main", sha, head.sha)  # what git did after pre-receive
        with pytest.raises(PushRefused) as refused:
            _adopt_main(hub, M, "alice/m", RefUpdate(head.sha, sha, MAIN_REF))
        assert refused.value.lines[1] == f"main is back at {head.sha[:12]}"
        assert g.ref("model", "alice/m") == head.sha
        assert hub.resolve(M, "alice/m") == head
    finally:
        hub.close()


def test_the_check_refuses_links_submodules_and_big_regular_files(tmp_path: Path) -> None:
    hub = HubStore(tmp_path / "hub")
    try:
        (tmp_path / "f").mkdir()
        (tmp_path / "f" / "README.md").write_bytes(b"# m\n")
        head = hub.push(M, "alice/m", tmp_path / "f")
        g = hub.git

        def commit(path: str, mode: int, data: bytes) -> str:
            blob = g.add_blob("model", "alice/m", data)
            return g.write_commit("model", "alice/m", [(path, mode, blob)], "x", [head.sha])

        link = commit("latest", 0o120000, b"README.md")
        module = g.write_commit(
            "model", "alice/m", [("vendor", 0o160000, head.sha)], "sub", [head.sha]
        )
        big = commit("huge.txt", FILE_MODE, b"x" * (10 << 20))
        with g.reader("model", "alice/m") as reader:
            for sha, words in (
                (link, "'latest' is a symbolic link"),
                (module, "'vendor' is a submodule"),
                (big, "Offending files: huge.txt"),
            ):
                lines = _problems(hub, reader, [sha], [head.sha])
                assert any(words in line for line in lines), lines
            assert _problems(hub, reader, [head.sha], []) == []
    finally:
        hub.close()
