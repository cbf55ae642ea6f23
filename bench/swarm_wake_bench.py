"""Swarm wake benchmark (issue 17): a wake from zero replicas on a Swarm node vs the Docker
backend's wake from a stopped container, side by side in one run.

Two real platforms (`spacehost up`) at once, each with the `spaces/hello` Gradio space and
idle times of 1 s: one on the machine's engine (``SPACEHOST_RUNTIME=docker``), one on a live
swarm of Docker Engines in network namespaces (tests/support/swarm_cluster.py) with
``SPACEHOST_RUNTIME=swarm``. Rounds alternate between them: wait until the space sleeps
(stopped / scaled to zero), then time ``GET /`` through the router from sending it to its
200 (the request is held while the platform wakes the space and its health check passes).

    .venv/bin/python bench/swarm_wake_bench.py [--rounds 5] [--nodes 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchkit import free_port
from wake_bench import SPACE, Platform, first_byte_ms, remove_instance, until

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.swarm_cluster import SwarmCluster  # noqa: E402  (the repository root)

IDLE = {"SPACEHOST_SLEEP_AFTER": "1", "SPACEHOST_STOP_AFTER": "1"}
SMALL = {"SPACEHOST_CPUS": "1", "SPACEHOST_MEMORY_LIMIT": "1g", "SPACEHOST_BUILTIN_CONTENT": "0"}


def wake_ms(p: Platform) -> float:
    """Wait until the space sleeps, then the milliseconds a held ``GET /`` takes to its 200."""
    until(lambda: p.level() == "stopped", 120, "the space to sleep")
    start = time.perf_counter()
    _, status = first_byte_ms(p.port, f"bench-sleepy.localhost:{p.port}", "/")
    assert status == 200, status
    return (time.perf_counter() - start) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--nodes", type=int, default=3)
    args = ap.parse_args()
    docker_data = Path(tempfile.mkdtemp(prefix="wake-docker-"))
    swarm_data = Path(tempfile.mkdtemp(prefix="wake-swarm-"))
    on_docker: list[float] = []
    on_swarm: list[float] = []
    with SwarmCluster(nodes=args.nodes) as cluster:
        local = Platform(docker_data, free_port(), {**IDLE, **SMALL})
        swarm = Platform(swarm_data, free_port(), cluster.platform_env(**IDLE, **SMALL))
        try:
            for p in (local, swarm):
                p.cli("push", str(ROOT / "spaces" / "hello"), "--name", SPACE)
            for _ in range(args.rounds):
                on_docker.append(wake_ms(local))
                on_swarm.append(wake_ms(swarm))
        finally:
            local.stop()
            swarm.stop()
            remove_instance(docker_data)
    d50, s50 = statistics.median(on_docker), statistics.median(on_swarm)
    print(
        f"docker backend, wake from stopped, first 200: p50 {d50:.0f} ms "
        f"({', '.join(f'{x:.0f}' for x in on_docker)})"
    )
    print(
        f"swarm backend ({args.nodes} nodes), wake from zero replicas, first 200: p50 "
        f"{s50:.0f} ms ({', '.join(f'{x:.0f}' for x in on_swarm)})"
    )
    print(f"ratio swarm / docker: {s50 / d50:.2f}")


if __name__ == "__main__":
    main()
