"""GPU broker benchmark (issue 6): what a ``@spaces.GPU`` lease costs per call.

A broker (spacehost's real transport, ``GpuBrokerServer`` with CPU leases) runs in its own
process, as it does in the control plane; the caller is spacehost's ``spaces`` package, either
in this process or inside a container of the python runtime image with the space's socket
directory bind-mounted read-only at ``/run/spacehost`` (``--docker``), exactly as a space gets it.

- lease overhead: a decorated no-op call minus an undecorated one (acquire + release over the
  Unix socket), p50/p99/mean, sync and async; goal <= 5 ms;
- ratio: a ~20 ms and a ~200 ms CPU-bound function, decorated vs undecorated.

    .venv/bin/python bench/broker_bench.py [--calls 2000] [--docker]
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from spacehost.builder.runtime_images import python_image_tag

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "runtime_images" / "spaces_pkg"
IMAGE = python_image_tag("3.11", "debian:bookworm")  # made by `spacehost prepare`
GOAL_MS = 5.0

BROKER = """
import asyncio, sys
from pathlib import Path
from spacehost.domain import SpaceId
from spacehost.lifecycle.gpubroker import BrokerLimits, GpuBroker
from spacehost.server.broker import GpuBrokerServer

async def main():
    server = GpuBrokerServer(Path(sys.argv[1]), GpuBroker(BrokerLimits(devices=("cpu",))),
                             lease_mode="cpu")
    await server.start()
    loop = asyncio.get_running_loop()
    shared = await loop.run_in_executor(None, server.attach, SpaceId("bench", "zero"))
    print(shared.host_dir, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""

# runs where the space's code runs: here, or in a container
CLIENT = r"""
import asyncio, json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import spaces
from spaces.config import Config
Config.mode = "shared"
Config.socket_path = sys.argv[2]
calls = int(sys.argv[3])

def noop():
    return None

def work():
    n = 0
    end = time.perf_counter() + 0.02
    while time.perf_counter() < end:
        n += 1
    return n

def long_work():
    n = 0
    end = time.perf_counter() + 0.2
    while time.perf_counter() < end:
        n += 1
    return n

gpu_noop, gpu_work, gpu_long = spaces.GPU(noop), spaces.GPU(work), spaces.GPU(long_work)

async def anoop():
    return None

gpu_anoop = spaces.GPU(anoop)

def timed(fn, n):
    out = []
    for _ in range(n):
        t = time.perf_counter(); fn(); out.append(time.perf_counter() - t)
    return out

async def atimed(fn, n):
    out = []
    for _ in range(n):
        t = time.perf_counter(); await fn(); out.append(time.perf_counter() - t)
    return out

def summary(xs):
    xs = sorted(xs)
    return {"p50_ms": xs[len(xs) // 2] * 1e3, "p99_ms": xs[int(len(xs) * 0.99) - 1] * 1e3,
            "mean_ms": statistics.fmean(xs) * 1e3}

timed(gpu_noop, 50)  # warm up
plain, sync = timed(noop, calls), timed(gpu_noop, calls)
asyncs = asyncio.run(atimed(gpu_anoop, calls))
work_n = max(calls // 20, 20)
bare, wrapped = timed(work, work_n), timed(gpu_work, work_n)
long_n = max(calls // 200, 10)
long_bare, long_wrapped = timed(long_work, long_n), timed(gpu_long, long_n)
print(json.dumps({"plain": summary(plain), "sync": summary(sync), "async": summary(asyncs),
                  "work": summary(bare), "gpu_work": summary(wrapped), "calls": calls,
                  "work_calls": work_n, "long": summary(long_bare),
                  "gpu_long": summary(long_wrapped), "long_calls": long_n}))
"""


def run_client(socket_dir: str, calls: int, docker: bool) -> dict[str, dict[str, float]]:
    if docker:
        cmd = [
            "docker",
            "run",
            "--rm",
            "--user",
            "1000:1000",
            "--network",
            "none",
            "-v",
            f"{socket_dir}:/run/spacehost:ro",
            "-v",
            f"{PKG}:/pkg:ro",
            IMAGE,
            "python",
            "-c",
            CLIENT,
            "/pkg",
            "/run/spacehost/gpu.sock",
            str(calls),
        ]
    else:
        cmd = [sys.executable, "-c", CLIENT, str(PKG), f"{socket_dir}/gpu.sock", str(calls)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=900)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument(
        "--docker",
        action="store_true",
        help="call from a container with the socket mounted, as a space does",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="broker-bench-") as tmp:
        os.chmod(tmp, 0o755)
        broker = subprocess.Popen(
            [sys.executable, "-c", BROKER, f"{tmp}/gpu"],
            text=True,
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )
        try:
            assert broker.stdout is not None
            socket_dir = broker.stdout.readline().strip()
            started = time.monotonic()
            r = run_client(socket_dir, args.calls, args.docker)
            took = time.monotonic() - started
        finally:
            broker.terminate()
            broker.communicate(timeout=10)
    overhead = r["sync"]["mean_ms"] - r["plain"]["mean_ms"]
    ratio = r["gpu_work"]["mean_ms"] / r["work"]["mean_ms"]
    where = "a container (socket bind-mounted)" if args.docker else "this process"
    print(
        f"broker bench on {host.node()} ({os.cpu_count()} CPUs), caller in {where}, "
        f"{r['calls']} calls each ({took:.1f} s)"
    )
    for name in ("plain", "sync", "async"):
        s = r[name]
        print(
            f"  {name:6s} call: p50 {s['p50_ms']:.3f} ms  p99 {s['p99_ms']:.3f} ms  "
            f"mean {s['mean_ms']:.3f} ms"
        )
    print(
        f"  lease overhead (sync mean - plain mean): {overhead:.3f} ms "
        f"(goal <= {GOAL_MS} ms: {'met' if overhead <= GOAL_MS else 'MISSED'})"
    )
    print(
        f"  ~20 ms function: {r['work']['mean_ms']:.2f} ms bare, {r['gpu_work']['mean_ms']:.2f} "
        f"ms decorated over {r['work_calls']} calls: ratio {ratio:.3f}"
    )
    long_ratio = r["gpu_long"]["mean_ms"] / r["long"]["mean_ms"]
    print(
        f"  ~200 ms function: {r['long']['mean_ms']:.2f} ms bare, "
        f"{r['gpu_long']['mean_ms']:.2f} ms decorated over {r['long_calls']} calls: "
        f"ratio {long_ratio:.3f}"
    )
    return 0 if overhead <= GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
