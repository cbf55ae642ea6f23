"""Bucket benchmark (issue 15, trackio's storage): ``batch_bucket_files`` of one large file into a
bucket and ``download_bucket_files`` of it back, with the unchanged huggingface_hub (hf_xet) in
a fresh process against a real platform (`spacehost up`), next to ``cp`` of the same bytes.

Each round writes new random bytes (``--size`` MiB), then times, inside the client process
around the one call (its import excluded):

- cp: ``cp FILE NEW`` then ``sync`` (the baseline);
- upload: ``batch_bucket_files(add=[(FILE, "big.bin")])`` into a new bucket -- the Xet write
  token, xorbs, a shard (the platform rebuilds the file into the blob store), then the batch
  (the file copied into the bucket's folder);
- download: ``download_bucket_files`` of it into a new folder -- resolve, the Xet read token,
  the reconstruction and the xorb ranges.

    .venv/bin/python bench/bucket_bench.py [--size 256] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from benchkit import hf_env, run_json, running_platform, time_cp, write_random

CLIENT = """
import json, sys, time
from huggingface_hub import HfApi
api = HfApi()
src, bucket, dest = sys.argv[1:4]
api.create_bucket(bucket)
start = time.perf_counter()
api.batch_bucket_files(bucket, add=[(src, "big.bin")])
up = time.perf_counter() - start
start = time.perf_counter()
api.download_bucket_files(bucket, [("big.bin", dest)])
print(json.dumps({"up": up, "down": time.perf_counter() - start}))
"""


def time_client(url: str, token: str, src: Path, bucket: str, work: Path) -> tuple[float, float]:
    dest = work / "down.bin"
    out = run_json(CLIENT, [str(src), bucket, str(dest)], hf_env(url, token, work / "home"))
    if dest.read_bytes() != src.read_bytes():
        raise SystemExit("the downloaded file differs from the uploaded one")
    dest.unlink()
    return float(out["up"]), float(out["down"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=256, help="MiB")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.home()) as tmp:
        work = Path(tmp)
        cps, ups, downs = [], [], []
        with running_platform(work / "data", {}) as (url, token, _env):
            src = work / "big.bin"
            for n in range(args.rounds):
                write_random(src, args.size)
                cps.append(time_cp(src, work / "copy.bin"))
                up, down = time_client(url, token, src, f"bench/bucket-{n}", work)
                ups.append(up)
                downs.append(down)
                print(
                    f"round {n + 1}: cp {cps[-1]:.2f} s, upload {up:.2f} s, download {down:.2f} s"
                )
    mib = float(args.size)
    for name, runs in (("cp", cps), ("upload", ups), ("download", downs)):
        s = statistics.median(runs)
        print(f"{name:9s} {s:.2f} s  {mib / s:.0f} MiB/s  ({statistics.median(cps) / s:.2f}x cp)")


if __name__ == "__main__":
    main()
