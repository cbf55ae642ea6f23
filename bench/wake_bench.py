"""Wake benchmark: how long a request to a sleeping space waits (issue 4).

Runs a real platform (`spacehost up`) with the `spaces/hello` Gradio space and short idle times.

- wake from paused: time to first byte of ``GET /config`` to a paused space (goal <= 100 ms,
  p50 over ``--paused`` wakes), next to the same request to the awake space;
- wake from stopped: time to the first 200 of ``GET /`` through the platform (the request is
  held while the same container starts again and passes its health check), side by side with
  a bare ``docker start`` + first 200 of a copy of that container (same image, env, command);
  goal <= 1.2x.

    .venv/bin/python bench/wake_bench.py [--paused 10] [--stopped 5]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import docker

from benchkit import free_port

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "spacehost.cli.main"]
SPACE = "bench/sleepy"
PAUSED_GOAL_MS = 100.0
STOPPED_GOAL_RATIO = 1.2


class Platform:
    def __init__(self, data: Path, port: int, env: dict[str, str]):
        self.data, self.port = data, port
        self.env = {
            **os.environ,
            "SPACEHOST_DATA_DIR": str(data),
            "SPACEHOST_URL": f"http://127.0.0.1:{port}",
            **env,
        }
        self.env.pop("SPACEHOST_TOKEN", None)
        with open(data / "platform.log", "ab") as log:
            self.proc = subprocess.Popen(
                [*CLI, "up", "--port", str(port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        until(lambda: self.get_json("/api/health") is not None, 60, "the platform")

    def get_json(self, path: str) -> Any:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                return json.loads(r.read())
        except OSError:
            return None

    def cli(self, *args: str) -> None:
        subprocess.run([*CLI, *args], env=self.env, check=True, cwd=ROOT, capture_output=True)

    def level(self) -> str | None:
        rt = self.get_json(f"/api/spaces/{SPACE}/runtime") or {}
        return (rt.get("sleep") or {}).get("level")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)  # the router too
        self.proc.wait(30)


def until(cond: Any, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


def first_byte_ms(port: int, host: str, path: str) -> tuple[float, int]:
    """Milliseconds from sending ``GET path`` to its response head, and the status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.connect()
    start = time.perf_counter()
    conn.request("GET", path, headers={"Host": host})
    resp = conn.getresponse()
    took = (time.perf_counter() - start) * 1000
    resp.read()
    conn.close()
    return took, resp.status


def first_200_ms(port: int, host: str, start: float) -> float:
    """Poll ``GET /`` until 200; milliseconds since *start* (perf_counter)."""
    while True:
        try:
            if first_byte_ms(port, host, "/")[1] == 200:
                return (time.perf_counter() - start) * 1000
        except OSError:
            pass
        time.sleep(0.05)


def bench_paused(p: Platform, n: int) -> list[float]:
    host = f"bench-sleepy.localhost:{p.port}"
    awake = [first_byte_ms(p.port, host, "/config")[0] for _ in range(5)]
    print(f"awake space, GET /config first byte: p50 {statistics.median(awake):.1f} ms")
    samples = []
    for _ in range(n):
        until(lambda: p.level() == "paused", 30, "the space to pause")
        ms, status = first_byte_ms(p.port, host, "/config")
        assert status == 200, status
        samples.append(ms)
    return samples


def bare_copy(client: Any) -> Any:
    """A container like the space's (image, env, command, user), publishing its port."""
    (space_c,) = client.containers.list(all=True, filters={"label": f"spacehost.space={SPACE}"})
    cfg = space_c.attrs["Config"]
    port = space_c.labels.get("spacehost.port", "7860")
    return client.containers.create(
        cfg["Image"],
        command=cfg.get("Cmd"),
        environment=cfg.get("Env"),
        user=cfg.get("User") or None,
        working_dir=cfg.get("WorkingDir") or None,
        ports={f"{port}/tcp": ("127.0.0.1", None)},
        labels={"spacehost.bench": "wake"},
        detach=True,
    )


def bench_stopped(p: Platform, n: int) -> tuple[list[float], list[float]]:
    client = docker.from_env()
    bare = bare_copy(client)
    host = f"bench-sleepy.localhost:{p.port}"
    platform_ms, bare_ms = [], []
    try:
        for _ in range(n):
            until(lambda: p.level() == "stopped", 60, "the space to stop")
            start = time.perf_counter()
            _, status = first_byte_ms(p.port, host, "/")
            assert status == 200, status
            platform_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            bare.start()
            bare.reload()
            port = int(next(iter(bare.ports.values()))[0]["HostPort"])
            bare_ms.append(first_200_ms(port, "localhost", start))
            bare.stop(timeout=5)
    finally:
        bare.remove(force=True)
    return platform_ms, bare_ms


def remove_instance(data: Path) -> None:
    sys.path.insert(0, str(ROOT / "platform"))
    from spacehost.runtime.storage import DISKS_DIR, release_all
    from spacehost.settings import Settings

    instance = Settings(data_dir=data).instance
    client = docker.from_env()
    for c in client.containers.list(all=True, filters={"label": f"spacehost.instance={instance}"}):
        c.remove(force=True)
    for v in client.volumes.list(filters={"label": f"spacehost.instance={instance}"}):
        v.remove(force=True)
    release_all(data / DISKS_DIR)  # the spaces' disk limits (runtime/storage.py)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--paused", type=int, default=10)
    ap.add_argument("--stopped", type=int, default=5)
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="wake-bench-"))
    port = free_port()
    try:
        p = Platform(data, port, {"SPACEHOST_SLEEP_AFTER": "1", "SPACEHOST_STOP_AFTER": "100000"})
        try:
            p.cli("push", str(ROOT / "spaces" / "hello"), "--name", SPACE)
            paused = bench_paused(p, args.paused)
        finally:
            p.stop()
        # the same data dir: the platform adopts the space as it is, now with a short stop time
        p = Platform(data, port, {"SPACEHOST_SLEEP_AFTER": "1", "SPACEHOST_STOP_AFTER": "1"})
        try:
            platform_ms, bare_ms = bench_stopped(p, args.stopped)
        finally:
            p.stop()
    finally:
        remove_instance(data)
    p50 = statistics.median(paused)
    print(
        f"wake from paused, first byte: p50 {p50:.1f} ms, max {max(paused):.1f} ms over "
        f"{len(paused)} wakes (goal <= {PAUSED_GOAL_MS:.0f} ms): "
        f"{'PASS' if p50 <= PAUSED_GOAL_MS else 'FAIL'}"
    )
    pm, bm = statistics.median(platform_ms), statistics.median(bare_ms)
    print(
        f"wake from stopped, first 200: platform p50 {pm:.0f} ms "
        f"({', '.join(f'{x:.0f}' for x in platform_ms)}), bare docker start p50 {bm:.0f} ms "
        f"({', '.join(f'{x:.0f}' for x in bare_ms)}): ratio {pm / bm:.2f} "
        f"(goal <= {STOPPED_GOAL_RATIO}): {'PASS' if pm / bm <= STOPPED_GOAL_RATIO else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
