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
import statistics
import tempfile
from pathlib import Path

from benchkit import hf_env, run_json, running_platform, time_cp, write_random

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


def time_upload(url: str, token: str, src: Path, repo: str, home: Path, xet: bool) -> float:
    env = hf_env(url, token, home)
    if not xet:
        env["HF_HUB_DISABLE_XET"] = "1"
    return float(run_json(UPLOAD, [str(src), repo], env)["s"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1024, help="MiB")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--xet", action="store_true", help="upload over Xet (the default client)")
    args = parser.parse_args()
    size = args.size << 20
    with tempfile.TemporaryDirectory(dir=Path.home()) as tmp:
        work = Path(tmp)
        cps, uploads, agains = [], [], []
        with running_platform(work / "data", {"SPACEHOST_MAX_UPLOAD": "5m"}) as (url, token, _):
            src = work / "big.bin"
            for n in range(args.rounds):
                write_random(src, args.size)
                cps.append(time_cp(src, work / "copy.bin"))
                home, xet = work / "home", args.xet
                uploads.append(time_upload(url, token, src, f"bench/up-{n}", home, xet))
                agains.append(time_upload(url, token, src, f"bench/again-{n}", home, xet))
                print(
                    f"round {n + 1}: cp {cps[-1]:.2f} s, upload_file {uploads[-1]:.2f} s, "
                    f"again {agains[-1]:.2f} s"
                )
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
