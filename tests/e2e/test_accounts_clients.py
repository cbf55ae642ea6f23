"""Accounts through the clients people use, each in a fresh process against a real platform
(`spacehost up` on a free port with its own data dir), issue 14:

- the spacehost CLI: users, a user's first token, login, whoami, pushes into one's own namespace
  (ok), another (exit 13), with a read token (exit 13);
- Hugging Face's own, unchanged: ``hf auth login --token`` + ``hf auth whoami`` and
  ``huggingface_hub.whoami()`` with ``HF_ENDPOINT`` at the platform;
- a private model and dataset: ``snapshot_download``, ``hf_hub_download``, transformers'
  ``from_pretrained`` and ``datasets.load_dataset`` work with a token that may read them, and
  fail as a repo that does not exist (RepoNotFound) without one or with another user's token;
- a private space mounts a private model of its own organization, and builds and runs; a space
  of another namespace gets the CONFIG_ERROR of a repo that does not exist.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import (
    ROOT,
    SPACEHOST,
    Running,
    remove_containers,
    start_platform,
    stop_platform,
)
from tests.e2e.huggingface import hf
from tests.support.ports import free_port

pytestmark = pytest.mark.docker

PASSWORD = "a long passphrase"
MODEL, DATASET = "acme/tiny-bert", "acme/tiny-reviews"
HF = Path(sys.executable).with_name("hf")


@dataclass
class Site:
    platform: Running
    tokens: dict[str, str]  # "alice", "alice-read", "bob"


def spacehost(
    platform: Running, *args: str, stdin: str = "", timeout: float = 900, **env: str
) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh process; *env* on top of the platform's (its data dir: the operator's
    token when no other is given)."""
    return subprocess.run(
        [*SPACEHOST, *args],
        env={**platform.env, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, f"{proc.args}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def first_token(platform: Running, user: str, role: str) -> str:
    made = spacehost(
        platform,
        *("tokens", "create", f"{user}-{role}", "--role", role),
        *("--user", user, "--password-stdin"),
        stdin=PASSWORD,
    )
    return ok(made).strip()


def tiny_model(platform: Running, folder: Path) -> None:
    """A BERT of a few kilobytes, saved as transformers saves one (config + safetensors)."""
    hf(
        platform,
        folder.parent / "maker-home",
        f"""
from transformers import BertConfig, BertModel
config = BertConfig(vocab_size=64, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                    intermediate_size=16, max_position_embeddings=32)
BertModel(config).save_pretrained({str(folder)!r})
print(json.dumps(True))
""",
    )
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# tiny\n")


def tiny_dataset(folder: Path) -> None:
    (folder / "data").mkdir(parents=True)
    (folder / "README.md").write_text("---\nlicense: cc0-1.0\n---\n# Tiny\n")
    rows = "".join(f"review {i},{i % 2}\n" for i in range(6))
    (folder / "data" / "train.csv").write_text("text,label\n" + rows)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A platform with users root (the first admin), alice (admin of the organization acme)
    and bob, their tokens, and acme's private model and dataset."""
    data = tmp_path_factory.mktemp("accounts-platform")
    proc, platform = start_platform(data, free_port(), {"SPACEHOST_BUILTIN_CONTENT": "0"})
    platform.env["SPACEHOST_CONFIG_DIR"] = str(data / "cli-config")  # no login in $HOME
    try:
        ok(
            spacehost(
                platform, "users", "add", "root", "--admin", "--password-stdin", stdin=PASSWORD
            )
        )
        for user in ("alice", "bob"):
            ok(spacehost(platform, "users", "add", user, "--password-stdin", stdin=PASSWORD))
        tokens = {
            "alice": first_token(platform, "alice", "write"),
            "alice-read": first_token(platform, "alice", "read"),
            "bob": first_token(platform, "bob", "write"),
        }
        ok(spacehost(platform, "orgs", "create", "acme", SPACEHOST_TOKEN=tokens["alice"]))
        work = tmp_path_factory.mktemp("accounts-repos")
        tiny_model(platform, work / "model")
        tiny_dataset(work / "dataset")
        for kind, name in (("model", MODEL), ("dataset", DATASET)):
            pushed = spacehost(
                platform,
                *("push", str(work / kind), "--type", kind, "--name", name, "--private"),
                SPACEHOST_TOKEN=tokens["alice"],
            )
            assert "(private)" in ok(pushed)
        yield Site(platform, tokens)
    finally:
        stop_platform(proc, platform, "e2e-accounts")
        remove_containers(data)


def test_cli_users_tokens_login_whoami_and_pushes_by_namespace(site: Site, tmp_path: Path) -> None:
    p, config = site.platform, tmp_path / "config"
    mine = {"SPACEHOST_CONFIG_DIR": str(config), "SPACEHOST_DATA_DIR": str(tmp_path / "none")}
    users = ok(spacehost(p, "users", "ls"))
    assert [ln.split()[0] for ln in users.splitlines()] == ["USER", "alice", "bob", "root"]
    # the platform's token is the first admin's now
    assert ok(spacehost(p, "whoami")).splitlines()[0] == "root (admin)"

    login = spacehost(p, "login", stdin=site.tokens["alice"] + "\n", **mine)  # piped, hidden
    assert "as alice" in ok(login)
    assert oct((config / "tokens.json").stat().st_mode & 0o777) == "0o600"
    me = ok(spacehost(p, "whoami", **mine)).splitlines()
    assert me[:3] == ["alice", "orgs: acme (admin)", "token: alice-write (role write)"]

    static = str(ROOT / "spaces" / "static-page")
    ok(spacehost(p, "push", static, "--name", "alice/page", **mine))
    other = spacehost(p, "push", static, "--name", "bob/page", **mine)
    assert other.returncode == 13 and other.stderr.startswith("error: "), other.stderr
    read = spacehost(
        p, "push", static, "--name", "alice/page", SPACEHOST_TOKEN=site.tokens["alice-read"], **mine
    )
    assert read.returncode == 13, read.stderr
    ok(spacehost(p, "logout", **mine))
    gone = spacehost(p, "whoami", **mine)
    assert gone.returncode == 3 and "hint: " in gone.stderr


def test_hf_auth_login_whoami_and_huggingface_hub_whoami_unchanged(
    site: Site, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "HF_ENDPOINT": site.platform.url,
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    env.pop("HF_TOKEN", None)
    login = subprocess.run(
        [str(HF), "auth", "login", "--token", site.tokens["alice"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert login.returncode == 0, login.stdout + login.stderr
    assert (tmp_path / "hf-home" / "token").read_text().strip() == site.tokens["alice"]
    whoami = subprocess.run(
        [str(HF), "auth", "whoami", "--format", "human"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert whoami.returncode == 0 and "alice" in whoami.stdout, whoami.stdout + whoami.stderr
    assert "acme" in whoami.stdout
    me = hf(
        site.platform,
        tmp_path / "py-home",
        """
from huggingface_hub import whoami
me = whoami()
print(json.dumps([me["name"], [o["name"] for o in me["orgs"]],
                  me["auth"]["accessToken"]["role"]]))
""",
        HF_TOKEN=site.tokens["bob"],
    )
    assert me == ["bob", [], "write"]


LOADS = f"""
def attempt(fn):
    try:
        fn()
        return "ok"
    except Exception as exc:
        chain, e = [], exc
        while e is not None:
            chain.append(type(e).__name__)
            e = e.__cause__ or e.__context__
        return "/".join(chain)
def model():
    from transformers import AutoModel
    AutoModel.from_pretrained({MODEL!r})
def dataset():
    import datasets
    assert datasets.load_dataset({DATASET!r})["train"].num_rows == 6
from huggingface_hub import hf_hub_download, snapshot_download
print(json.dumps({{
    "snapshot_download": attempt(lambda: snapshot_download({MODEL!r})),
    "hf_hub_download": attempt(lambda: hf_hub_download({MODEL!r}, "config.json")),
    "dataset_snapshot": attempt(lambda: snapshot_download({DATASET!r}, repo_type="dataset")),
    "from_pretrained": attempt(model),
    "load_dataset": attempt(dataset),
}}))
"""


@pytest.mark.parametrize("who", ["alice-read", "nobody", "bob"])
def test_private_model_and_dataset_load_only_with_a_token_that_may_read_them(
    site: Site, tmp_path: Path, who: str
) -> None:
    token = {"HF_TOKEN": site.tokens[who]} if who in site.tokens else {}
    got = hf(site.platform, tmp_path, LOADS, **token)
    if who == "alice-read":  # a read token of acme's admin
        assert set(got.values()) == {"ok"}, got
        return
    for call in ("snapshot_download", "hf_hub_download", "dataset_snapshot"):
        assert got[call].startswith("RepositoryNotFoundError"), got
    assert "RepositoryNotFoundError" in got["from_pretrained"], got  # transformers' OSError
    assert got["load_dataset"].startswith("DatasetNotFoundError"), got
    resolve = requests.get(
        f"{site.platform.url}/{MODEL}/resolve/main/config.json",
        headers={"Authorization": f"Bearer {site.tokens[who]}"} if token else {},
        timeout=10,
    )
    assert (resolve.status_code, resolve.headers.get("X-Error-Code")) == (404, "RepoNotFound")


def mount_space(folder: Path) -> Path:
    folder.mkdir()
    (folder / "README.md").write_text(
        f"---\ntitle: Viewer\nsdk: gradio\nsdk_version: 6.31.0\nmodels: [{MODEL}]\n---\n"
    )
    (folder / "app.py").write_text(
        f"""import os

import gradio as gr
from huggingface_hub import snapshot_download

files = sorted(os.listdir(snapshot_download({MODEL!r})))  # offline: the mounted cache
print("mounted {MODEL}:", ",".join(files), flush=True)
demo = gr.Interface(fn=lambda _: ",".join(files), inputs="text", outputs="text")
demo.launch()
"""
    )
    return folder


def test_a_private_space_mounts_a_private_model_of_its_namespace_only(
    site: Site, tmp_path: Path
) -> None:
    p, folder = site.platform, mount_space(tmp_path / "viewer")
    alice = {"SPACEHOST_TOKEN": site.tokens["alice"]}
    ok(spacehost(p, "push", str(folder), "--name", "acme/viewer", "--private", **alice))
    logs = ok(spacehost(p, "logs", "acme/viewer", **alice))
    assert f"mounted {MODEL}: README.md,config.json,model.safetensors" in logs, logs
    assert requests.get(f"{p.url}/api/spaces/acme/viewer", timeout=10).status_code == 404

    stolen = spacehost(
        p, "push", str(folder), "--name", "bob/viewer", SPACEHOST_TOKEN=site.tokens["bob"]
    )
    assert stolen.returncode != 0
    assert f"no model '{MODEL}' on this platform" in stolen.stderr, stolen.stderr
