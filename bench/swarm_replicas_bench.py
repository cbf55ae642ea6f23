"""Swarm replicas benchmark (issue 17): throughput of a CPU-bound space with 1, 2 and 3
replicas on a live three-node swarm, side by side in one run.

One real platform (`spacehost up`, ``SPACEHOST_RUNTIME=swarm``, every task limited to 1 CPU)
on the test cluster (tests/support/swarm_cluster.py) with three copies of the space of
tests/support/replica_space.py asking for 1, 2 and 3 replicas; its ``burn`` function spends
``--ms`` of CPU per call. For each space in turn (rounds alternate), ``--clients`` concurrent
clients call it through the router for ``--seconds`` as Gradio's REST API does (``POST
.../call/burn``, then its result stream), each client keeping its affinity cookie, so the
router spreads the clients over the replicas. Prints completed calls per second and which
replicas answered.

    .venv/bin/python bench/swarm_replicas_bench.py [--rounds 2] [--clients 12] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

from benchkit import free_port
from spacehost.routetable import parse_routes
from wake_bench import Platform, until

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.replica_space import write_replica_space  # noqa: E402  (the repository root)
from tests.support.swarm_cluster import SwarmCluster  # noqa: E402

COUNTS = (1, 2, 3)
WARM_UP_S = 3.0


def space(replicas: int) -> str:
    return f"bench/burn{replicas}"


def routed(p: Platform, name: str, replicas: int) -> bool:
    """True once the route table lists *replicas* endpoints of *name* (their apps answer)."""
    try:
        entries = parse_routes((p.data / "run" / "routes.json").read_text())
    except (OSError, ValueError):
        return False
    found = [e for e in entries if e.space == name and e.upstream]
    return bool(found) and max(1, len(found[0].replicas)) == replicas


async def client(base: str, ms: float, until_t: float, start_t: float, seen: Counter[str],
                 done: list[int]) -> None:  # fmt: skip
    """Calls ``burn`` in turn until *until_t*; counts the calls completed after *start_t*."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        async with http.get(f"{base}config") as resp:  # the affinity cookie: one replica
            await resp.read()
        while time.monotonic() < until_t:
            async with http.post(f"{base}gradio_api/call/burn", json={"data": [ms]}) as resp:
                event = (await resp.json())["event_id"]
            async with http.get(f"{base}gradio_api/call/burn/{event}") as resp:
                stream = await resp.text()
            if "event: complete" not in stream:
                done[1] += 1
                continue
            if time.monotonic() >= start_t:
                done[0] += 1
                data = stream.split("data:", 2)[-1].strip()
                seen[json.loads(data)[0]] += 1


async def throughput(p: Platform, name: str, args: argparse.Namespace) -> tuple[float, str]:
    """Completed calls per second of *name* under ``args.clients`` clients, and per replica."""
    base = f"http://127.0.0.1:{p.port}/spaces/{name}/"
    start_t = time.monotonic() + WARM_UP_S
    until_t = start_t + args.seconds
    seen: Counter[str] = Counter()
    done = [0, 0]
    await asyncio.gather(
        *(client(base, args.ms, until_t, start_t, seen, done) for _ in range(args.clients))
    )
    assert done[1] == 0, f"{done[1]} calls failed"
    spread = "/".join(str(n) for _, n in seen.most_common())
    return done[0] / args.seconds, spread


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--clients", type=int, default=12)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--ms", type=float, default=50.0, help="CPU milliseconds per call")
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="replicas-swarm-"))
    results: dict[int, list[float]] = {n: [] for n in COUNTS}
    spreads: dict[int, list[str]] = {n: [] for n in COUNTS}
    with SwarmCluster(nodes=3) as cluster:
        env = cluster.platform_env(SPACEHOST_CPUS="1")  # one CPU per task: a replica is one CPU
        p = Platform(data, free_port(), env)
        try:
            for n in COUNTS:
                src = write_replica_space(data / f"src{n}", n)
                p.cli("push", str(src), "--name", space(n))
            for n in COUNTS:
                until(functools.partial(routed, p, space(n), n), 300, f"{n} replicas routed")
            for _ in range(args.rounds):
                for n in COUNTS:
                    rate, spread = asyncio.run(throughput(p, space(n), args))
                    results[n].append(rate)
                    spreads[n].append(spread)
        finally:
            p.stop()
    print(f"host CPUs: {os.cpu_count()}; {args.clients} clients, {args.ms:.0f} ms CPU per call, "
          f"{args.seconds:.0f} s per measurement, {args.rounds} rounds")  # fmt: skip
    one = statistics.median(results[1])
    for n in COUNTS:
        med = statistics.median(results[n])
        print(
            f"{n} replica(s): {med:.1f} calls/s (x{med / one:.2f}); rounds "
            f"{', '.join(f'{r:.1f}' for r in results[n])}; calls per replica {spreads[n]}"
        )


if __name__ == "__main__":
    main()
