"""``git push`` of a space over HTTP (docs/git.md, "Pushing a space with git"): real git
against the control plane on a loopback port (fake engine), with a token in git's credential
store as ``hf auth login --add-to-git-credential`` leaves it. A clone gives the space's commit;
a pushed commit deploys (``remote: deploying: …``) and is the sha the API and the runtime
answer; a push with bad front matter is refused with the CLI's lines as ``remote:`` lines and
main stays where it was."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from spacehost.appkeys import ACCOUNTS
from spacehost.domain import SpaceId
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from tests.support.gitcli import git
from tests.support.live_control import LiveControl, live_control
from tests.support.spacefiles import gradio_files, readme

# the git protocol's routes (api/githttp.py) come with the git HTTP branch

SPACE = SpaceId("bob", "demo")


@dataclass
class Site:
    live: LiveControl
    home: Path

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.live.url}{path}", timeout=30) as resp:
            return json.load(resp)

    def git(self, cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return git(cwd, *args, home=self.home, check=check)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("gitspace")
    with live_control(root / "platform") as live:
        acc: Accounts = live.app[ACCOUNTS]
        acc.add_user("bob")
        token = acc.create_token("bob", "git", Role.WRITE).value
        home = root / "home"
        home.mkdir()
        host = live.url.removeprefix("http://")
        (home / ".git-credentials").write_text(f"http://bob:{token}@{host}\n")
        s = Site(live, home)
        s.git(home, "config", "--global", "credential.helper", "store")
        live.platform.push(SPACE, gradio_files("print('v1')"))
        assert live.platform.wait_idle()
        yield s


def test_a_clone_then_a_push_deploys_the_pushed_commit(site: Site, tmp_path: Path) -> None:
    work = tmp_path / "demo"
    site.git(tmp_path, "clone", "-q", f"{site.live.url}/spaces/{SPACE}", str(work))
    cloned = site.git(work, "rev-parse", "HEAD").stdout.strip()
    assert cloned == site.api(f"/api/spaces/{SPACE}")["sha"]
    assert (work / "app.py").read_text() == "print('v1')"
    (work / "app.py").write_text("print('v2')")
    site.git(work, "commit", "-qam", "v2 by git")
    pushed = site.git(work, "rev-parse", "HEAD").stdout.strip()
    out = site.git(work, "push", "origin", "main")
    assert f"remote: deploying: {site.live.platform.settings.base_url}/spaces/{SPACE}" in out.stderr
    platform = site.live.platform
    assert platform.wait_idle()
    info = site.api(f"/api/spaces/{SPACE}")
    assert info["sha"] == info["servingSha"] == pushed and info["stage"] == "RUNNING"
    assert site.api(f"/api/spaces/{SPACE}/runtime")["sha"] == pushed
    rec = platform.queries.get_space(SPACE)
    assert (platform.queries.revision_path(rec.revision) / "app.py").read_text() == "print('v2')"
    assert platform.queries.git_log(SPACE)[0].sha == pushed  # no second commit composed


def test_bad_front_matter_is_refused_with_the_clis_lines(site: Site, tmp_path: Path) -> None:
    work = tmp_path / "demo"
    site.git(tmp_path, "clone", "-q", f"{site.live.url}/spaces/{SPACE}.git", str(work))
    before = site.git(work, "rev-parse", "HEAD").stdout.strip()
    (work / "README.md").write_bytes(readme(sdk="flask"))
    site.git(work, "commit", "-qam", "bad sdk")
    proc = site.git(work, "push", "origin", "main", check=False)
    assert proc.returncode != 0
    assert 'remote: error: README.md: sdk: "flask" is not a valid sdk' in proc.stderr, proc.stderr
    assert "remote: hint: " in proc.stderr and "pre-receive hook declined" in proc.stderr
    assert site.api(f"/api/spaces/{SPACE}")["sha"] == before
