"""A space through plain git against a real platform (`spacehost up`, its router, the real Docker
Engine), as a Hugging Face user deploys one: ``git clone`` of the space, a commit, ``git push`` →
the pushed commit is built, deployed and served (called with gradio_client), its sha the one the
API answers; a push with bad front matter is refused by git with the CLI's messages as
``remote:`` lines, and the space keeps serving what it served."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest
import requests
from gradio_client import Client

from tests.e2e.conftest import Running
from tests.support.gitcli import git
from tests.support.polling import wait_for

pytestmark = pytest.mark.docker

APP = """import gradio as gr

def echo(text):
    return "{marker}:" + text

gr.Interface(echo, "text", "text", api_name="echo").launch()
"""
README = "---\ntitle: git demo\nsdk: gradio\n---\n"


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return git(cwd, *args, home=cwd.parent, check=check, timeout=300)


def _space(platform: Running, space: str) -> dict[str, object]:
    info: dict[str, object] = requests.get(f"{platform.url}/api/spaces/{space}", timeout=10).json()
    return info


def _commit_and_push(
    work: Path, marker: str, readme: str = README
) -> subprocess.CompletedProcess[str]:
    (work / "README.md").write_text(readme)
    (work / "app.py").write_text(APP.format(marker=marker))
    _git(work, "add", "-A")
    _git(work, "commit", "-qm", f"echo {marker}")
    return _git(work, "push", "origin", "main", check=False)


def test_git_clone_commit_push_deploys_and_a_bad_push_is_refused(
    platform: Running, tmp_path: Path
) -> None:
    space = f"e2e/git-{uuid.uuid4().hex[:8]}"
    token = (platform.data_dir / "token").read_text().strip()
    made = requests.post(
        f"{platform.url}/api/repos/create",
        json={"name": space.split("/")[1], "organization": "e2e", "type": "space", "sdk": "gradio"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert made.status_code in (200, 409), made.text
    host = platform.url.removeprefix("http://")
    work = tmp_path / "work"
    _git(tmp_path, "clone", f"http://e2e:{token}@{host}/spaces/{space}", str(work))

    marker = uuid.uuid4().hex[:10]
    pushed = _commit_and_push(work, marker)
    assert pushed.returncode == 0, pushed.stderr
    assert "remote: deploying" in pushed.stderr
    sha = _git(work, "rev-parse", "HEAD").stdout.strip()
    assert _space(platform, space)["sha"] == sha
    wait_for(
        lambda: _space(platform, space).get("servingSha") == sha,
        timeout=600,
        what="the pushed commit to be built and served",
    )
    client = Client(platform.space_url(space, "path"), verbose=False)
    assert client.predict("hi", api_name="/echo") == f"{marker}:hi"

    refused = _commit_and_push(work, "never", readme="---\ntitle: bad\nsdk: nonsense\n---\n")
    assert refused.returncode != 0
    remote = [line for line in refused.stderr.splitlines() if line.startswith("remote:")]
    assert any("sdk" in line for line in remote), refused.stderr
    assert "pre-receive hook declined" in refused.stderr
    listed = _git(work, "ls-remote", "origin", "refs/heads/main").stdout.split()[0]
    assert listed == sha  # main did not move
    assert _space(platform, space)["servingSha"] == sha
    assert client.predict("again", api_name="/echo") == f"{marker}:again"
