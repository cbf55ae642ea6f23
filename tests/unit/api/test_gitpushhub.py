"""api/gitpushhub.py: when main's new commits cannot be recorded after git moved it, git's main
goes back to the hub's head and git prints why."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacehost.api.gitpush import PushRefused, RefUpdate
from spacehost.api.gitpushhub import _adopt_main
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
