"""Fill one node-local hub cache volume with one commit of one hub repo (docs/cluster.md,
"Hub repos on the nodes").

Runs with ``python3 -c`` inside a one-shot Swarm task on the node (the space's own image, as
root), the standard library only. Arguments: the volume's mount point. Environment:
``HUB_URL`` (the platform as the nodes reach it), ``HUB_KIND`` (``model``/``dataset``),
``HUB_REPO`` (``owner/name``), ``HUB_SHA`` (the commit), ``HUB_TOKEN`` (optional: a
short-lived read token, for private repos).

The volume gets huggingface_hub's cache layout of that one commit: ``snapshots/SHA/PATH`` and
``refs/main`` (= SHA). ``refs/main`` is written last and only after every file was verified
(sha256 for LFS files, the git blob sha1 for the others, as the hub's tree API gives them), so
a volume with ``refs/main`` is complete; one without it is wiped and filled again.

Exit codes: 0 filled or already complete, 2 the hub could not be read, 3 a hash mismatch.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import urllib.parse
import urllib.request
from typing import Any

CHUNK = 1 << 20


def _request(url: str, token: str) -> Any:
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    return urllib.request.urlopen(req, timeout=60)


def _prefix(kind: str) -> str:
    return "datasets/" if kind == "dataset" else ""


def _tree(hub: str, kind: str, repo: str, sha: str, token: str) -> list[dict[str, Any]]:
    url = f"{hub}/api/{kind}s/{repo}/tree/{sha}?recursive=true"
    with _request(url, token) as resp:
        entries: list[dict[str, Any]] = json.load(resp)
    return [e for e in entries if e.get("type") == "file"]


def _expected(entry: dict[str, Any]) -> tuple[str, str]:
    """(algorithm, hex digest) the file's bytes must have."""
    lfs = entry.get("lfs")
    if lfs:
        return "sha256", str(lfs["oid"])
    return "git-sha1", str(entry["oid"])


def _hasher(algorithm: str, size: int) -> Any:
    if algorithm == "sha256":
        return hashlib.sha256()
    h = hashlib.sha1()
    h.update(b"blob %d\0" % size)
    return h


def _download(hub: str, kind: str, repo: str, sha: str, entry: dict[str, Any], token: str,
              dest: str) -> None:  # fmt: skip
    path = str(entry["path"])
    if path.startswith("/") or ".." in path.split("/"):
        print(f"refused: the hub named a file outside the repo: {path!r}", flush=True)
        sys.exit(3)
    algorithm, want = _expected(entry)
    hasher = _hasher(algorithm, int(entry.get("size", 0)))
    quoted = urllib.parse.quote(path)
    url = f"{hub}/{_prefix(kind)}{repo}/resolve/{sha}/{quoted}"
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    tmp = dest + ".part"
    with _request(url, token) as resp, open(tmp, "wb") as out:
        while chunk := resp.read(CHUNK):
            hasher.update(chunk)
            out.write(chunk)
    got = hasher.hexdigest()
    if got != want:
        os.unlink(tmp)
        print(f"hash mismatch: {path}: expected {algorithm} {want}, got {got}", flush=True)
        sys.exit(3)
    os.chmod(tmp, 0o644)
    os.replace(tmp, dest)


def _wipe(root: str) -> None:
    for name in os.listdir(root):
        full = os.path.join(root, name)
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full)
        else:
            os.unlink(full)


def _open_up(root: str) -> None:
    for folder, dirs, _files in os.walk(root):
        os.chmod(folder, 0o755)
        for d in dirs:
            os.chmod(os.path.join(folder, d), 0o755)


def fill(root: str, hub: str, kind: str, repo: str, sha: str, token: str) -> int:
    """Fill *root*; the exit code (module docstring)."""
    ref = os.path.join(root, "refs", "main")
    if os.path.exists(ref):
        with open(ref) as f:
            if f.read().strip() == sha:
                print(f"hub cache: {kind} {repo}@{sha[:12]} already complete", flush=True)
                return 0
    _wipe(root)  # a fill that stopped half-way, or another commit's: start over
    try:
        files = _tree(hub, kind, repo, sha, token)
        snap = os.path.join(root, "snapshots", sha)
        os.makedirs(snap, exist_ok=True)
        for entry in files:
            _download(hub, kind, repo, sha, entry, token, os.path.join(snap, str(entry["path"])))
    except OSError as exc:  # urllib's errors are OSErrors
        print(f"hub unreachable or refused: {hub} ({kind} {repo}@{sha[:12]}): {exc}", flush=True)
        return 2
    os.makedirs(os.path.dirname(ref), exist_ok=True)
    with open(ref + ".part", "w") as f:
        f.write(sha)
    os.chmod(ref + ".part", 0o644)
    _open_up(root)
    os.replace(ref + ".part", ref)
    total = sum(int(e.get("size", 0)) for e in files)
    print(f"hub cache: filled {kind} {repo}@{sha[:12]}: {len(files)} files, {total} bytes",
          flush=True)  # fmt: skip
    return 0


def main() -> int:
    env = os.environ
    return fill(sys.argv[1], env["HUB_URL"].rstrip("/"), env["HUB_KIND"], env["HUB_REPO"],
                env["HUB_SHA"], env.get("HUB_TOKEN", ""))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
