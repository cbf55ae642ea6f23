"""api/spacepush.py: the space's PushTarget, driven with what a real ``git push`` (file://, no
HTTP) put in a bare repository: the pushed objects read from the push's quarantine (copied by a
pre-receive hook that then refuses, so that main never moved) for ``check``, the landed push for
``received``."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import make_mocked_request

from spacehost.api.gitpush import PushRefused, RefUpdate
from spacehost.api.spacepush import SpacePushTarget
from spacehost.cli.output import error
from spacehost.domain import SpaceId
from spacehost.errors import ManifestInvalid
from spacehost.identity.actor import Actor
from spacehost.lifecycle import Platform
from spacehost.manifest import load_space
from spacehost.store import HubStore
from spacehost.store.gitrepos import GitRepos
from spacehost.store.hubfiles import lfs_pointer
from tests.support.platforms import platform_in
from tests.support.spacefiles import gradio_files, readme

SPACE = SpaceId("alice", "demo")
ALICE = Actor(name="alice")
HOLD_HOOK = """#!/bin/sh
cat > "{held}/updates"
cp -r "$GIT_QUARANTINE_PATH" "{held}/objects"
exit 1
"""


@dataclass
class Setup:
    platform: Platform
    hub: HubStore
    target: SpacePushTarget
    bare: Path
    work: Path
    held: Path


@pytest.fixture()
def setup(tmp_path: Path) -> Iterator[Setup]:
    with platform_in(tmp_path / "data") as p:
        hub = HubStore(tmp_path / "hub")
        bare = GitRepos(p.settings.git_dir).init("space", str(SPACE))
        work = tmp_path / "work"
        work.mkdir()
        _git(work, "init", "-q", "-b", "main")
        yield Setup(p, hub, SpacePushTarget(p, hub), bare, work, tmp_path / "held")


def _git(work: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_AUTHOR_NAME": "Alice",
        "GIT_AUTHOR_EMAIL": "alice@example.com",
        "GIT_COMMITTER_NAME": "Alice",
        "GIT_COMMITTER_EMAIL": "alice@example.com",
    }
    return subprocess.run(
        ["git", "-C", str(work), *args], env=env, check=check, capture_output=True, text=True
    )


def _commit(s: Setup, files: dict[str, bytes], message: str = "change") -> str:
    for rel, data in files.items():
        (s.work / rel).parent.mkdir(parents=True, exist_ok=True)
        (s.work / rel).write_bytes(data)
    _git(s.work, "add", "-A")
    _git(s.work, "commit", "-q", "-m", message)
    return _git(s.work, "rev-parse", "HEAD").stdout.strip()


def _held_push(s: Setup, ref: str = "main") -> tuple[RefUpdate, Path]:
    """Push with a pre-receive hook that keeps the quarantine and refuses: what ``check``
    sees in a real push, with main left where it was."""
    hook = s.bare / "hooks" / "pre-receive"
    hook.write_text(HOLD_HOOK.format(held=s.held))
    hook.chmod(0o755)
    s.held.mkdir(exist_ok=True)
    assert _git(s.work, "push", f"file://{s.bare}", f"HEAD:{ref}", check=False).returncode != 0
    hook.unlink()
    old, new, name = (s.held / "updates").read_text().split()
    return RefUpdate(old, new, name), s.held / "objects"


def _check(s: Setup, update: RefUpdate, quarantine: Path) -> list[str]:
    request = make_mocked_request("POST", "/")
    with GitRepos(s.platform.settings.git_dir).reader("space", str(SPACE), quarantine) as r:
        return asyncio.run(s.target.check(request, str(SPACE), ALICE, [update], r))


def _land(s: Setup, ref: str = "main") -> None:
    _git(s.work, "push", "-q", f"file://{s.bare}", f"HEAD:{ref}")


def _received(s: Setup, update: RefUpdate) -> list[str]:
    request = make_mocked_request("POST", "/")
    return asyncio.run(s.target.received(request, str(SPACE), ALICE, [update]))


def _log(s: Setup) -> list[str]:
    return _git(s.work, "--git-dir", str(s.bare), "log", "--format=%H", "main").stdout.split()


def test_a_valid_space_is_accepted_then_deployed_with_the_pushed_commit(setup: Setup) -> None:
    s = setup
    sha = _commit(s, gradio_files("print('v1')"), "first")
    update, quarantine = _held_push(s)
    assert update.new == sha and update.ref == "refs/heads/main" and update.creates
    assert _check(s, update, quarantine) == []
    assert s.platform.queries.find_space(SPACE) is None  # a check deploys nothing
    _land(s)
    lines = _received(s, update)
    assert lines == [
        f"deploying: {s.platform.settings.base_url}/spaces/{SPACE} (build log: "
        f"{s.platform.settings.base_url}/api/spaces/{SPACE}/logs?kind=build&follow=1)"
    ]
    assert s.platform.wait_idle()
    rec = s.platform.queries.get_space(SPACE)
    assert rec.stage.value == "RUNNING" and rec.serving_revision == rec.revision
    assert s.platform.queries.commit_of(SPACE, rec.revision) == sha
    assert _log(s) == [sha]  # the pushed commit is the revision's: none was composed
    assert s.platform.runtime_info(SPACE)["sha"] == sha
    # the same files pushed again in a new commit: nothing to deploy
    _git(s.work, "commit", "-q", "--allow-empty", "-m", "same files")
    _land(s)
    again = RefUpdate(sha, _log(s)[0], "refs/heads/main")
    assert _received(s, again)[0].startswith("unchanged: ")
    assert s.platform.queries.commit_of(SPACE, rec.revision) == again.new


def test_bad_front_matter_is_refused_with_the_lines_the_cli_prints(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    s = setup
    files = {"README.md": readme(sdk="flask"), "app.py": b"print(1)\n"}
    _commit(s, files)
    update, quarantine = _held_push(s)
    with pytest.raises(PushRefused) as refused:
        _check(s, update, quarantine)
    # what `spacehost push` prints for the same folder (cli/output.py)
    with pytest.raises(ManifestInvalid) as invalid:
        load_space(files, default_title=SPACE.name)
    error(invalid.value)
    assert list(refused.value.lines) == capsys.readouterr().err.splitlines()
    assert refused.value.lines[0].startswith("error: ") and "sdk" in "\n".join(refused.value.lines)
    assert any(line.startswith("hint: ") for line in refused.value.lines)


def test_an_lfs_pointer_is_resolved_from_the_blob_store_or_refused_by_name(
    setup: Setup,
) -> None:
    s = setup
    image = b"\x89PNG fake image bytes" * 100
    sha256 = hashlib.sha256(image).hexdigest()
    files = {**gradio_files(), "cat.png": lfs_pointer(sha256, len(image))}
    _commit(s, files)
    update, quarantine = _held_push(s)
    with pytest.raises(PushRefused) as refused:
        _check(s, update, quarantine)
    assert "cat.png" in refused.value.lines[0] and "git-LFS pointer" in refused.value.lines[0]
    upload = s.hub.tmp_dir / "upload"
    upload.write_bytes(image)
    s.hub.add_blob(upload, sha256)
    assert _check(s, update, quarantine) == []
    _land(s)
    _received(s, update)
    rec = s.platform.queries.get_space(SPACE)
    assert (s.platform.queries.revision_path(rec.revision) / "cat.png").read_bytes() == image
    # no hub commit names the object: the space's repository keeps it from the next sweep
    assert (s.bare / "lfs" / "objects" / sha256[:2] / sha256[2:4] / sha256).read_bytes() == image
    HubStore(s.hub.root).close()  # opening the store sweeps the blobs nothing uses
    assert s.hub.has_blob(sha256, len(image))


def test_other_branches_and_tags_are_kept_not_deployed_and_main_is_not_deleted(
    setup: Setup,
) -> None:
    s = setup
    sha = _commit(s, gradio_files())
    feature = RefUpdate("0" * 40, sha, "refs/heads/feature")
    tag = RefUpdate("0" * 40, sha, "refs/tags/v1")
    repo = GitRepos(s.platform.settings.git_dir)
    with repo.reader("space", str(SPACE)) as r:
        request = make_mocked_request("POST", "/")
        lines = asyncio.run(s.target.check(request, str(SPACE), ALICE, [feature, tag], r))
        assert lines == [
            "feature: kept; only main deploys the space",
            "v1: kept; only main deploys the space",
        ]
        with pytest.raises(PushRefused) as refused:
            gone = RefUpdate(sha, "0" * 40, "refs/heads/main")
            asyncio.run(s.target.check(request, str(SPACE), ALICE, [gone], r))
    assert "cannot be deleted" in refused.value.lines[0]
    _land(s, "feature")
    assert _received(s, feature) == []
    assert s.platform.queries.find_space(SPACE) is None
