"""store/spacemigration.py: a data dir written by the code from before spaces were git
repositories (checked out from this repository's history, run in a fresh process) gets, when
the platform opens it, a git repository per space whose history is its stored revisions, oldest
first, the head its current revision; ``git clone`` of the bare repository by path shows it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from spacehost.domain import SpaceId
from tests.support.platforms import platform_in
from tests.support.spacefiles import gradio_files

ROOT = Path(__file__).resolve().parents[3]
DEMO, OTHER = SpaceId("alice", "demo"), SpaceId("alice", "other")
OLD_PUSHES = """
import sys
from pathlib import Path
from spacehost.domain import SpaceId
from tests.support.platforms import platform_in
from tests.support.spacefiles import gradio_files
with platform_in(Path(sys.argv[1])) as p:
    for space, code in (("alice/demo", "print('v1')"), ("alice/demo", "print('v2')"),
                        ("alice/other", "print('o')")):
        p.push(SpaceId.parse(space), gradio_files(code))
        assert p.wait_idle()
"""


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()


def _code_before_git_history(into: Path) -> Path:
    """The repository's platform and tests as they were before space commits existed."""
    try:
        added = _git(
            "log",
            "--diff-filter=A",
            "--format=%H",
            "--",
            "platform/spacehost/store/spacecommits.py",
        )
    except (subprocess.CalledProcessError, FileNotFoundError):
        pytest.skip("needs the repository's git history")
    old = f"{added.split()[-1]}^"
    archive = subprocess.run(
        ["git", "archive", old, "platform", "tests"], check=True, capture_output=True, cwd=ROOT
    ).stdout
    into.mkdir()
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def test_spaces_written_by_the_old_code_get_their_history(tmp_path: Path) -> None:
    old = _code_before_git_history(tmp_path / "old")
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": f"{old / 'platform'}:{old}"}
    subprocess.run(
        [sys.executable, "-c", OLD_PUSHES, str(data)], env=env, check=True, cwd=old, timeout=120
    )
    assert not (data / "git").exists()
    with platform_in(data) as p:
        rec = p.queries.get_space(DEMO)
        head = p.queries.head_commit(DEMO)
        assert head is not None and p.queries.commit_of(DEMO, rec.revision) == head
        assert p.queries.revision_of(DEMO, head) == rec.revision
        log = p.queries.git_log(DEMO)
        assert [c.title for c in log] == [
            f"Revision {r[:12]}, pushed before spacehost kept git history"
            for r, _ in p.queries.revisions(DEMO)
        ]
        assert len(log) == 2 and log[0].parents == (log[1].sha,)
        clone = tmp_path / "clone"
        _git("clone", "-q", str(p.settings.git_dir / "spaces" / "alice" / "demo.git"), str(clone))
        assert (clone / "app.py").read_text() == "print('v2')"
        assert len(p.queries.git_log(OTHER)) == 1
        # the next push goes on top of the migrated history
        pushed = p.push(DEMO, gradio_files("print('v3')"))
        assert p.queries.git_log(DEMO)[0].parents == (head,) and pushed.commit != head
        assert p.wait_idle()
    with platform_in(data) as again:  # opening it again migrates nothing twice
        assert len(again.queries.git_log(DEMO)) == 3
