"""CPU share benchmark: the gallery's latency while a space runs four busy loops (issue 11, A6).

Runs a real platform (`spacehost up`) on a free port with a fresh data dir, times sequential
GETs of the gallery through the router, then pushes an ``sdk: docker`` space whose container
runs four busy loops beside its web server and times the gallery again: once with the space's
container at spacehost's default limits (host cores - 1, weight 512), once after
``docker update`` gives it the limits spacehost used to set (every core, the engine's weight of
1024), in the same run. Each phase is bounded in requests and time.

    .venv/bin/python bench/cpu_share_bench.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker
from docker.models.containers import Container

from benchkit import free_port, wait_http
from spacehost.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "spacehost.cli.main"]
PHASE_LIMIT_S = 90.0
WARM_UP = 10
MAX_REQUESTS = 20_000
README = "---\ntitle: Busy\nsdk: docker\napp_port: 8080\n---\n"
DOCKERFILE = """\
FROM spacehost/base:bookworm
CMD ["sh", "-c", "for i in 1 2 3 4; do python3 -c 'while True: pass' & done; \
exec python3 -m http.server 8080"]
"""


def gallery_times(port: int, count: int, seconds: float = PHASE_LIMIT_S) -> list[float]:
    """Seconds per sequential GET / on one keep-alive connection, for *count* requests or
    *seconds*, whichever ends first."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times: list[float] = []
    end = time.monotonic() + min(seconds, PHASE_LIMIT_S)
    try:
        while len(times) < count and time.monotonic() < end:
            start = time.perf_counter()
            conn.request("GET", "/")
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status
            times.append(time.perf_counter() - start)
    finally:
        conn.close()
    return times


def cpu_ns(box: Container) -> int:
    """The container's CPU time so far, in nanoseconds (cgroup accounting via the engine)."""
    stats = box.stats(stream=False)
    return int(stats["cpu_stats"]["cpu_usage"]["total_usage"])


def measured(port: int, seconds: float, box: Container | None) -> tuple[list[float], float]:
    """Gallery times for *seconds*, and the cores the container used meanwhile (0 without)."""
    gallery_times(port, WARM_UP)
    before, start = (cpu_ns(box) if box else 0), time.monotonic()
    times = gallery_times(port, MAX_REQUESTS, seconds)
    if box is None:
        return times, 0.0
    return times, (cpu_ns(box) - before) / 1e9 / (time.monotonic() - start)


def row(name: str, times: list[float], cores: float) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    used = f"{cores:.2f}" if cores else "-"
    return (f"| {name} | {statistics.median(times) * 1000:.1f} ms | {p95 * 1000:.1f} ms | "
            f"{len(times)} | {used} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="cpu-bench-") as tmp:
        data, space = Path(tmp) / "data", Path(tmp) / "busy"
        space.mkdir()
        (space / "README.md").write_text(README)
        (space / "Dockerfile").write_text(DOCKERFILE)
        port = free_port()
        env = {**os.environ, "SPACEHOST_DATA_DIR": str(data), "SPACEHOST_OWNER": "bench",
               "SPACEHOST_URL": f"http://127.0.0.1:{port}", "SPACEHOST_SPACE_DISK": "0",
               "SPACEHOST_DATA_DISK": "0"}  # fmt: skip
        env.pop("SPACEHOST_TOKEN", None)
        with open(Path(tmp) / "platform.log", "wb") as log:
            up = subprocess.Popen([*CLI, "up", "--port", str(port)], env=env, stdout=log,
                                  stderr=subprocess.STDOUT, cwd=ROOT)  # fmt: skip
        client = docker.from_env()
        mine = [f"spacehost.instance={Settings(data_dir=data).instance}", "spacehost.role=app"]
        try:
            wait_http(f"http://127.0.0.1:{port}/api/health")
            idle = measured(port, args.seconds, None)
            subprocess.run([*CLI, "push", str(space), "--name", "bench/busy"], env=env,
                           check=True, capture_output=True, cwd=ROOT)  # fmt: skip
            (box,) = client.containers.list(filters={"label": mine})
            host = box.attrs["HostConfig"]
            fenced = measured(port, args.seconds, box)
            # the SDK's update has no nano_cpus; the CLI's --cpus sets them
            subprocess.run(["docker", "update", "--cpus", str(cores), "--cpu-shares", "1024",
                            box.id], check=True, capture_output=True)  # fmt: skip
            old = measured(port, args.seconds, box)
        finally:
            up.send_signal(signal.SIGINT)
            up.wait(60)
            for c in client.containers.list(all=True, filters={"label": mine}):
                c.remove(force=True)
    print(f"host cores {cores}; the busy space ran with NanoCpus {host['NanoCpus']} "
          f"CpuShares {host['CpuShares']} (spacehost's defaults)\n")  # fmt: skip
    print("| gallery GET / through the router | p50 | p95 | requests | cores the space used |")
    print("|---|---|---|---|---|")
    print(row("idle (no space running)", *idle))
    print(row(f"busy space, defaults ({host['NanoCpus'] / 1e9:g} cpus, weight 512)", *fenced))
    print(row(f"busy space, old limits ({cores} cpus, weight 1024)", *old))
    ratio = statistics.median(fenced[0]) / statistics.median(old[0])
    print(f"\nratio p50 defaults / old limits: {ratio:.2f}")


if __name__ == "__main__":
    main()
