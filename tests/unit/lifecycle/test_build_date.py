"""A build is given its revision's push date (what it resolves packages as of, by default)."""

from __future__ import annotations

from pathlib import Path

from spacehost.domain import SpaceId
from spacehost.lifecycle import Platform
from spacehost.settings import Settings
from spacehost.store import RevisionFiles, Store
from tests.fakes import FakeBackend, FakeBuilder

PUSHED = 1_700_000_000.0
FILES = {"README.md": b"---\nsdk: gradio\nsdk_version: 5.9.1\n---\n", "app.py": b"print(1)\n"}


def test_the_build_gets_the_push_date_of_its_revision_also_when_rebuilt(tmp_path: Path) -> None:
    now = [PUSHED]
    store = Store(tmp_path / "db.sqlite", clock=lambda: now[0])
    builder = FakeBuilder()
    platform = Platform(
        Settings(data_dir=tmp_path, startup_timeout_s=3.0),
        store,
        RevisionFiles(tmp_path / "revs"),
        builder,
        FakeBackend(),
    )
    space = SpaceId("alice", "old")
    try:
        revision = platform.push(space, FILES).revision
        assert platform.wait_idle()
        now[0] = PUSHED + 86400  # a factory rebuild a day later: still the push date
        platform.restart(space, factory=True)
        assert platform.wait_idle()
        assert store.revision_date(space, revision) == PUSHED
        assert builder.revision_dates == [PUSHED, PUSHED]
    finally:
        platform.close()
