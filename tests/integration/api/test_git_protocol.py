"""git's smart HTTP protocol, with the real ``git`` and ``git lfs`` CLIs in fresh processes
against the control plane on a loopback port: clone (public, private with and without a token,
with and without ``.git``), a model pushed with a 100 MB file through git-lfs and cloned back
byte-identical, pushes refused (an LFS object not uploaded, a regular file over 10 MiB, no write
access, no credentials, deleting main) with git's ``remote:`` lines, and the same shas from
``git rev-parse``, the hub and ``HfApi.list_repo_commits``."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from spacehost.appkeys import ACCOUNTS, HUB
from spacehost.domain import RepoKind
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.store import HubStore
from spacehost.store.hubfiles import lfs_pointer
from tests.support.gitcli import git
from tests.support.hf_process import run_hf
from tests.support.live_control import LiveControl, live_control

M, D = RepoKind.MODEL, RepoKind.DATASET


@dataclass
class Site:
    live: LiveControl
    bob: str  # bob's write token
    eve: str  # eve's write token (no rights on bob's repos)
    root: Path

    @property
    def hub(self) -> HubStore:
        store: HubStore = self.live.app[HUB]
        return store

    def url(self, path: str, user: str = "", token: str = "") -> str:
        host = self.live.url.removeprefix("http://")
        creds = f"{user}:{token}@" if token else ""
        return f"http://{creds}{host}/{path}"


def home_with_credentials(tmp: Path, site: Site, user: str, token: str) -> Path:
    """A home whose git keeps *user*'s token in the store helper, as
    ``hf auth login --add-to-git-credential`` leaves it."""
    home = tmp / f"home-{user}"
    home.mkdir(exist_ok=True)
    (home / ".git-credentials").write_text(site.url("", user, token).rstrip("/") + "\n")
    git(home, "config", "--global", "credential.helper", "store", home=home)
    git(home, "lfs", "install", home=home)
    return home


def write(folder: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("gitproto")
    with live_control(root / "platform") as live:
        acc: Accounts = live.app[ACCOUNTS]
        acc.add_user("bob")
        acc.add_user("eve")
        bob = acc.create_token("bob", "git", Role.WRITE).value
        eve = acc.create_token("eve", "git", Role.WRITE).value
        s = Site(live, bob, eve, root)
        weights = b"\0weights" * 4000
        s.hub.push(
            M, "bob/tiny", write(root / "tiny", {"README.md": b"# tiny\n", "w.bin": weights})
        )
        s.hub.push(D, "bob/data", write(root / "data", {"a.csv": b"x,y\n1,2\n"}))
        s.hub.push(M, "bob/secret", write(root / "secret", {"README.md": b"# secret\n"}))
        acc.set_private("model", "bob/secret", True)
        for name in ("big", "refused"):
            s.hub.push(M, f"bob/{name}", write(root / name, {"README.md": b"# x\n"}))
        yield s


def test_clone_with_and_without_dot_git_gives_the_hubs_commit(site: Site, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    head = site.hub.resolve(M, "bob/tiny")
    for i, path in enumerate(("bob/tiny", "bob/tiny.git", "datasets/bob/data")):
        git(tmp_path, "clone", site.url(path), f"c{i}", home=home)
        sha = git(tmp_path / f"c{i}", "rev-parse", "HEAD", home=home).stdout.strip()
        repo = "bob/data" if "data" in path else "bob/tiny"
        kind = D if "data" in path else M
        assert sha == site.hub.resolve(kind, repo).sha
    assert (tmp_path / "c0" / "README.md").read_bytes() == b"# tiny\n"
    pointer = (tmp_path / "c1" / "w.bin").read_bytes()  # no git-lfs in this home: the pointer
    w = head.file("w.bin")
    assert pointer == lfs_pointer(w.sha256, w.size)


def test_a_private_repo_needs_its_owners_token_and_is_invisible_to_others(
    site: Site, tmp_path: Path
) -> None:
    anonymous = tmp_path / "anon"
    anonymous.mkdir()
    proc = git(tmp_path, "clone", site.url("bob/secret"), "a", home=anonymous, check=False)
    assert proc.returncode != 0 and "could not read Username" in proc.stderr
    eve = home_with_credentials(tmp_path, site, "eve", site.eve)
    proc = git(tmp_path, "clone", site.url("bob/secret"), "e", home=eve, check=False)
    assert proc.returncode != 0 and "remote: repository bob/secret not found" in proc.stderr
    missing = git(tmp_path, "clone", site.url("bob/nothing"), "e", home=eve, check=False)
    assert missing.stderr.replace("nothing", "NAME") == proc.stderr.replace("secret", "NAME")
    # bob's token stored for git by `hf auth login --add-to-git-credential`, as a user does
    bob = tmp_path / "home-bob"
    bob.mkdir()
    git(bob, "config", "--global", "credential.helper", "store", home=bob)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(bob),
        "HF_HOME": str(bob / "hf"),
        "HF_ENDPOINT": site.live.url,
    }
    hf_cli = Path(sys.executable).with_name("hf")
    login = subprocess.run(
        [str(hf_cli), "auth", "login", "--token", site.bob, "--add-to-git-credential"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert login.returncode == 0, login.stdout + login.stderr
    assert f"hf_user:{site.bob}@127.0.0.1" in (bob / ".git-credentials").read_text()
    git(tmp_path, "clone", site.url("bob/secret.git"), "b", home=bob)
    assert (tmp_path / "b" / "README.md").read_bytes() == b"# secret\n"


def test_push_of_a_100_mb_file_through_git_lfs_and_clone_back(site: Site, tmp_path: Path) -> None:
    home = home_with_credentials(tmp_path, site, "bob", site.bob)
    work = tmp_path / "big"
    git(tmp_path, "clone", site.url("bob/big"), "big", home=home)
    git(work, "lfs", "track", "*.bin", home=home)
    block = os.urandom(1 << 20)
    digest = hashlib.sha256()
    with open(work / "weights.bin", "wb") as fh:
        for i in range(100):
            chunk = block[i:] + block[:i]
            fh.write(chunk)
            digest.update(chunk)
    write(work, {"config.json": b'{"hidden": 8}\n'})
    git(work, "add", ".", home=home)
    git(work, "commit", "-qm", "weights", home=home)
    pushed = git(work, "push", "origin", "main", home=home)
    sha = git(work, "rev-parse", "HEAD", home=home).stdout.strip()
    assert "remote: spacehost:" in pushed.stderr and sha[:12] in pushed.stderr
    commit = site.hub.resolve(M, "bob/big")
    assert commit.sha == sha and commit.message == "weights"
    weights = commit.file("weights.bin")
    assert weights.lfs and weights.size == 100 << 20 and weights.sha256 == digest.hexdigest()
    listed = run_hf(
        site.live.url,
        tmp_path / "hf",
        "from huggingface_hub import HfApi; import json; "
        "print(json.dumps([c.commit_id for c in HfApi().list_repo_commits('bob/big')]))",
        HF_TOKEN=site.bob,
    )
    assert listed == git(work, "rev-list", "HEAD", home=home).stdout.split()
    git(tmp_path, "clone", site.url("bob/big"), "back", home=home)
    back = tmp_path / "back" / "weights.bin"
    assert back.stat().st_size == 100 << 20
    h = hashlib.sha256()
    with open(back, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    assert h.hexdigest() == digest.hexdigest()


def test_pushes_git_must_not_take_are_refused_with_remote_lines(site: Site, tmp_path: Path) -> None:
    bob = home_with_credentials(tmp_path, site, "bob", site.bob)
    work = tmp_path / "r"
    git(tmp_path, "clone", site.url("bob/refused"), "r", home=bob)
    head = site.hub.resolve(M, "bob/refused")
    # a pointer whose object was never uploaded (committed without git-lfs)
    write(work, {"w.safetensors": lfs_pointer("ab" * 32, 1234)})
    git(work, "-c", "filter.lfs.clean=cat", "add", ".", home=bob)
    git(work, "commit", "-qm", "pointer only", home=bob)
    proc = git(work, "push", "origin", "main", home=bob, check=False)
    assert proc.returncode != 0
    assert "remote: spacehost: the LFS objects of these files were not uploaded: w.safetensors" in (
        proc.stderr
    )
    assert "remote: run git lfs push --all origin, then push again" in proc.stderr
    # a regular file over 10 MiB
    git(work, "reset", "-q", "--hard", "HEAD~1", home=bob)
    write(work, {"huge.txt": b"x" * (11 << 20)})
    git(work, "add", ".", home=bob)
    git(work, "commit", "-qm", "huge", home=bob)
    proc = git(work, "push", "origin", "main", home=bob, check=False)
    assert "remote: Your push was rejected because it contains files larger than 10 MiB." in (
        proc.stderr
    )
    assert "remote: Offending files: huge.txt" in proc.stderr
    # deleting main
    proc = git(work, "push", "origin", ":main", home=bob, check=False)
    assert "remote: spacehost: main cannot be deleted" in proc.stderr
    # eve may not write to bob's repo; nobody may push anonymously
    eve = home_with_credentials(tmp_path, site, "eve", site.eve)
    proc = git(work, "push", site.url("bob/refused"), "main", home=eve, check=False)
    assert proc.returncode != 0 and "remote: eve may not push to bob/refused" in proc.stderr
    anon = tmp_path / "anon"
    anon.mkdir()
    proc = git(work, "push", site.url("bob/refused"), "main", home=anon, check=False)
    assert proc.returncode != 0 and "could not read Username" in proc.stderr
    assert site.hub.resolve(M, "bob/refused") == head
    assert site.hub.git.ref("model", "bob/refused") == head.sha


def test_branches_and_tags_through_hfapi_and_git_are_the_same_refs(
    site: Site, tmp_path: Path
) -> None:
    main = site.hub.resolve(M, "bob/tiny").sha
    made = run_hf(
        site.live.url,
        tmp_path / "hf",
        """
from huggingface_hub import HfApi, hf_hub_download
api = HfApi()
api.create_branch("bob/tiny", branch="dev")
api.create_branch("bob/tiny", branch="dev", exist_ok=True)
api.create_tag("bob/tiny", tag="v1", tag_message="first release")
refs = api.list_repo_refs("bob/tiny")
card = open(hf_hub_download("bob/tiny", "README.md", revision="v1")).read()
dev = [c.commit_id for c in api.list_repo_commits("bob/tiny", revision="dev")]
print(json.dumps({
    "branches": {b.name: b.target_commit for b in refs.branches},
    "tags": {t.name: t.target_commit for t in refs.tags},
    "converts": refs.converts, "card": card, "dev": dev,
}))
""",
        HF_TOKEN=site.bob,
    )
    assert made["branches"] == {"main": main, "dev": main}
    assert made["tags"] == {"v1": main} and made["converts"] == []
    assert made["card"] == "# tiny\n" and made["dev"][0] == main
    home = home_with_credentials(tmp_path, site, "bob", site.bob)
    listed = git(tmp_path, "ls-remote", site.url("bob/tiny"), home=home).stdout
    assert f"{main}\trefs/heads/dev" in listed and f"{main}\trefs/tags/v1^{{}}" in listed
    # a branch pushed with git reads by its name; main stays
    git(tmp_path, "clone", "-q", site.url("bob/tiny"), "t", home=home)
    work = tmp_path / "t"
    git(work, "checkout", "-q", "-b", "exp", home=home)
    write(work, {"notes.md": b"experiment\n"})
    git(work, "add", ".", home=home)
    git(work, "commit", "-qm", "try", home=home)
    git(work, "push", "-q", "origin", "exp", home=home)
    exp = git(work, "rev-parse", "HEAD", home=home).stdout.strip()
    assert site.hub.resolve(M, "bob/tiny", "exp").sha == exp
    assert site.hub.resolve(M, "bob/tiny", "exp").file("notes.md").size == 11
    assert site.hub.resolve(M, "bob/tiny").sha == main
    gone = run_hf(
        site.live.url,
        tmp_path / "hf",
        """
from huggingface_hub import HfApi
api = HfApi()
api.delete_branch("bob/tiny", branch="dev")
api.delete_tag("bob/tiny", tag="v1")
refs = api.list_repo_refs("bob/tiny")
print(json.dumps([b.name for b in refs.branches] + [t.name for t in refs.tags]))
""",
        HF_TOKEN=site.bob,
    )
    assert gone == ["main", "exp"]
