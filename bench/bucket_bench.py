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


def time_cp(src: Path, dest: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["cp", str(src), str(dest)], check=True)
    subprocess.run(["sync", str(dest)], check=True)
    elapsed = time.perf_counter() - start
    dest.unlink()
    return elapsed


def time_client(url: str, token: str, src: Path, bucket: str, work: Path) -> tuple[float, float]:
    env = {
        **os.environ,
        "HF_ENDPOINT": url,
        "HF_TOKEN": token,
        "HF_HOME": str(work / "home"),
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }
    env.pop("HF_HUB_DISABLE_XET", None)
    dest = work / "down.bin"
    proc = subprocess.run(
        [sys.executable, "-c", CLIENT, str(src), bucket, str(dest)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    if dest.read_bytes() != src.read_bytes():
        raise SystemExit("the downloaded file differs from the uploaded one")
    dest.unlink()
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return float(out["up"]), float(out["down"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=256, help="MiB")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.home()) as tmp:
        work = Path(tmp)
        data = work / "data"
        data.mkdir()
        port = free_port()
        proc = launch_platform(data, port, platform_env(data, port, {}))
        try:
            url = f"http://127.0.0.1:{port}"
            wait_http(f"{url}/api/health")
            token = (data / "token").read_text().strip()
            src = work / "big.bin"
            cps, ups, downs = [], [], []
            for n in range(args.rounds):
                with open(src, "wb") as out:
                    for _ in range(args.size):
                        out.write(os.urandom(1 << 20))
                cps.append(time_cp(src, work / "copy.bin"))
                up, down = time_client(url, token, src, f"bench/bucket-{n}", work)
                ups.append(up)
                downs.append(down)
                print(
                    f"round {n + 1}: cp {cps[-1]:.2f} s, upload {up:.2f} s, download {down:.2f} s"
                )
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(60)
    mib = float(args.size)
    for name, runs in (("cp", cps), ("upload", ups), ("download", downs)):
        s = statistics.median(runs)
        print(f"{name:9s} {s:.2f} s  {mib / s:.0f} MiB/s  ({statistics.median(cps) / s:.2f}x cp)")


if __name__ == "__main__":
    main()
