"""The hub-cache fill script of Swarm nodes (runtime/hubfill_script.py), run as the fill task runs
it (``python3 -c SCRIPT DIR``), against a real HTTP server answering the hub's tree and resolve
requests; the filled folder is then read by huggingface_hub, offline, in a fresh process."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from spacehost.runtime.swarm_hubcache import SCRIPT

SHA = "a" * 40
REPO = "alice/tiny"
WEIGHTS = bytes(range(256)) * 64
CONFIG = b'{"hidden": 4}\n'


def git_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class FakeHub:
    """What the hub serves: files (path -> bytes), the tree it claims, the requests it saw."""

    files: dict[str, bytes]
    tree: list[dict[str, object]]
    seen: list[str] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)


def honest_tree(files: dict[str, bytes]) -> list[dict[str, object]]:
    weights = files["weights.bin"]
    return [
        {"type": "file", "path": "weights.bin", "size": len(weights), "oid": git_oid(b"pointer"),
         "lfs": {"oid": hashlib.sha256(weights).hexdigest(), "size": len(weights)}},
        {"type": "file", "path": "sub/config.json", "size": len(files["sub/config.json"]),
         "oid": git_oid(files["sub/config.json"])},
        {"type": "directory", "path": "sub", "oid": "x", "size": 0},
    ]  # fmt: skip


@pytest.fixture
def hub() -> Iterator[tuple[FakeHub, str]]:
    files = {"weights.bin": WEIGHTS, "sub/config.json": CONFIG}
    state = FakeHub(files, honest_tree(files))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append(self.path)
            state.auth.append(self.headers.get("Authorization", ""))
            if self.path == f"/api/models/{REPO}/tree/{SHA}?recursive=true":
                body = json.dumps(state.tree).encode()
            else:
                prefix = f"/{REPO}/resolve/{SHA}/"
                name = self.path.removeprefix(prefix)
                if not self.path.startswith(prefix) or name not in state.files:
                    self.send_error(404)
                    return
                body = state.files[name]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_fill(root: Path, url: str, token: str = "") -> subprocess.CompletedProcess[str]:
    env = {"HUB_URL": url, "HUB_KIND": "model", "HUB_REPO": REPO, "HUB_SHA": SHA,
           "HUB_TOKEN": token, "PATH": "/usr/bin:/bin"}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-I", "-c", SCRIPT, str(root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_fill_gives_huggingface_hub_an_offline_cache_of_the_commit(
    hub: tuple[FakeHub, str], tmp_path: Path
) -> None:
    state, url = hub
    cache = tmp_path / "hub"
    root = cache / "models--alice--tiny"
    root.mkdir(parents=True)
    done = run_fill(root, url, token="hf_short")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "filled model alice/tiny@aaaaaaaaaaaa: 2 files" in done.stdout
    assert (root / "refs" / "main").read_text() == SHA
    assert set(state.auth) == {"Bearer hf_short"}
    read = (
        "from huggingface_hub import hf_hub_download; import sys; "
        "print(open(hf_hub_download('alice/tiny', 'sub/config.json'), encoding='utf-8').read())"
    )
    env = {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", read], env=env, capture_output=True, text=True,
                         timeout=60, check=True)  # fmt: skip
    assert out.stdout.strip() == CONFIG.decode().strip()
    assert (root / "snapshots" / SHA / "weights.bin").read_bytes() == WEIGHTS


def test_a_complete_cache_is_left_as_it_is(hub: tuple[FakeHub, str], tmp_path: Path) -> None:
    state, url = hub
    assert run_fill(tmp_path, url).returncode == 0
    state.seen.clear()
    again = run_fill(tmp_path, url)
    assert again.returncode == 0 and "already complete" in again.stdout
    assert state.seen == []  # not one request: nothing is downloaded twice


def test_a_hash_mismatch_fails_leaves_no_complete_cache_and_a_retry_refills(
    hub: tuple[FakeHub, str], tmp_path: Path
) -> None:
    state, url = hub
    state.files["weights.bin"] = WEIGHTS[:-1] + b"X"  # corrupted on the way
    failed = run_fill(tmp_path, url)
    assert failed.returncode == 3
    assert "hash mismatch: weights.bin: expected sha256" in failed.stdout
    assert not (tmp_path / "refs" / "main").exists()  # never used half-filled

    state.files["weights.bin"] = WEIGHTS
    retried = run_fill(tmp_path, url)
    assert retried.returncode == 0, retried.stdout
    assert (tmp_path / "snapshots" / SHA / "weights.bin").read_bytes() == WEIGHTS
    assert not list(tmp_path.rglob("*.part"))


def test_a_git_blob_mismatch_is_caught_too(hub: tuple[FakeHub, str], tmp_path: Path) -> None:
    state, url = hub
    state.files["sub/config.json"] = b'{"hidden": 5}\n'
    failed = run_fill(tmp_path, url)
    assert failed.returncode == 3 and "sub/config.json: expected git-sha1" in failed.stdout


def test_an_unreachable_hub_says_where_it_tried(tmp_path: Path) -> None:
    failed = run_fill(tmp_path, "http://127.0.0.1:9")
    assert failed.returncode == 2
    assert "hub unreachable or refused: http://127.0.0.1:9" in failed.stdout
    assert not (tmp_path / "refs").exists()


def test_a_path_outside_the_repo_is_refused(hub: tuple[FakeHub, str], tmp_path: Path) -> None:
    state, url = hub
    state.tree = [{"type": "file", "path": "../../etc/evil", "size": 1, "oid": git_oid(b"x")}]
    failed = run_fill(tmp_path, url)
    assert failed.returncode == 3
    assert "outside the repo" in failed.stdout
