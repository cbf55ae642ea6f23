"""Hub upload benchmark (issue 15): ``HfApi.upload_file`` of one large file to spacehost, through
the router, with the unchanged huggingface_hub in a fresh process, next to ``cp`` of the same
bytes on the same disk.

Runs a real platform (`spacehost up`) on a fresh data dir, writes a file of random bytes
(``--size`` MiB), then alternates, ``--rounds`` times (the file is in the page cache for all):

- cp: ``cp FILE NEW`` then ``sync`` of the new file (the baseline);
- upload_file: into a new model repo each round, ``HF_HUB_DISABLE_XET=1`` (the file is over
  ``SPACEHOST_MAX_REGULAR_FILE``, so it goes over LFS: the client hashes it, the batch call,
  the PUT streamed to disk while hashed, verify, then the commit). Timed inside the client
  process around the one call (its import excluded). Each round writes new random bytes first
  (the store keeps every blob once: the same bytes again are not sent);
- the same file again into another repo: the batch call finds the blob stored, so only the
  hashing and the commit are left (dedup).

With ``--xet`` the uploads take huggingface_hub's default path instead (hf_xet installed,
``HF_HUB_DISABLE_XET`` unset): the write token, xorbs and a shard, the platform rebuilding the
file from the xorbs into the blob store (docs/hub.md, "Xet uploads"); "again" is then hf_xet
finding every chunk in its own cache and sending only a shard.

Goal: upload_file's throughput >= 0.5x cp's (medians of the rounds).

    .venv/bin/python bench/hub_upload_bench.py [--size 1024] [--rounds 3] [--xet]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchkit import free_port, launch_platform, platform_env, wait_http

GOAL = 0.5
UPLOAD = """
import json, sys, time
from huggingface_hub import HfApi
api = HfApi()
api.create_repo(sys.argv[2])
start = time.perf_counter()
api.upload_file(path_or_fileobj=sys.argv[1], path_in_repo="big.bin", repo_id=sys.argv[2])
print(json.dumps({"s": time.perf_counter() - start}))
"""


def time_cp(src: Path, dest: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["cp", str(src), str(dest)], check=True)
    subprocess.run(["sync", str(dest)], check=True)
    elapsed = time.perf_counter() - start
    dest.unlink()
    return elapsed


def time_upload(url: str, token: str, src: Path, repo: str, home: Path, xet: bool) -> float:
    env = {
        **os.environ,
        "HF_ENDPOINT": url,
        "HF_TOKEN": token,
        "HF_HOME": str(home),
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }
    env.pop("HF_HUB_DISABLE_XET", None)
    if not xet:
        env["HF_HUB_DISABLE_XET"] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", UPLOAD, str(src), repo],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    seconds: float = json.loads(proc.stdout.strip().splitlines()[-1])["s"]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1024, help="MiB")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--xet", action="store_true", help="upload over Xet (the default client)")
    args = parser.parse_args()
    size = args.size << 20
    with tempfile.TemporaryDirectory(dir=Path.home()) as tmp:
        work = Path(tmp)
        data = work / "data"
        data.mkdir()
        port = free_port()
        env = platform_env(data, port, {"SPACEHOST_MAX_UPLOAD": "5m"})
        proc = launch_platform(data, port, env)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_http(f"{url}/api/health")
            token = (data / "token").read_text().strip()
            src = work / "big.bin"
            cps, uploads, agains = [], [], []
            for n in range(args.rounds):
                with open(src, "wb") as out:
                    for _ in range(args.size):
                        out.write(os.urandom(1 << 20))
                cps.append(time_cp(src, work / "copy.bin"))
                home, xet = work / "home", args.xet
                uploads.append(time_upload(url, token, src, f"bench/up-{n}", home, xet))
                agains.append(time_upload(url, token, src, f"bench/again-{n}", home, xet))
                print(
                    f"round {n + 1}: cp {cps[-1]:.2f} s, upload_file {uploads[-1]:.2f} s, "
                    f"again {agains[-1]:.2f} s"
                )
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(60)
    cp_s, up_s = statistics.median(cps), statistics.median(uploads)
    again_s = statistics.median(agains)
    mib = size / (1 << 20)
    ratio = cp_s / up_s
    print(f"cp:          {cp_s:.2f} s  {mib / cp_s:.0f} MiB/s")
    print(f"upload_file ({'Xet' if args.xet else 'LFS'}): {up_s:.2f} s  {mib / up_s:.0f} MiB/s")
    print(f"again (stored bytes, another repo): {again_s:.2f} s")
    print(f"upload_file / cp throughput: {ratio:.2f}x (goal >= {GOAL}x)")


if __name__ == "__main__":
    main()
