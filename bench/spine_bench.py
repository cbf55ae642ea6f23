"""Spine benchmark: push->live, code-only redeploy, rebuild with unchanged dependencies, idle RSS.

Runs a real platform (`spacehost up`) on a free port with a fresh data dir, against the local
Docker Engine, and prints each figure beside its goal and beside the same work done with bare
Docker (`docker build` of the same generated context + `docker run` + first 200), measured in
the same run. The runtime images must exist (the warm-up push makes them if not; not timed).

    .venv/bin/python bench/spine_bench.py [--rounds 3]
"""

from __future__ import annotations

import argparse
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
from pathlib import Path

from benchkit import free_port, wait_http

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "spacehost.cli.main"]


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}")
    return time.perf_counter() - t


def rss_mib(pid: int) -> float:
    """RSS of *pid* and its children, from /proc."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def bare_docker_redeploy(space_dir: Path, tag: str) -> float:
    """The same code-only change done by hand with docker: build (cached deps) + run + 200."""
    import docker

    from spacehost.builder import DockerBuilder
    from spacehost.domain import SpaceId
    from spacehost.manifest import load_space, read_folder
    from spacehost.settings import Settings

    client = docker.from_env()
    builder = DockerBuilder(client, Settings.from_env())
    source = load_space(read_folder(space_dir), default_title="bare")
    t = time.perf_counter()
    result = builder.build(source, SpaceId("bench", "bare"), "b" * 64, on_log=lambda _l: None)
    port = free_port()
    c = client.containers.run(
        result.image,
        detach=True,
        user="1000:1000",
        ports={"7860/tcp": ("127.0.0.1", port)},
        environment={"GRADIO_SERVER_NAME": "0.0.0.0"},
        labels={"spacehost.bench": "1"},
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/", 120)
        return time.perf_counter() - t
    finally:
        c.remove(force=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="spacehost-bench-"))
    port = free_port()
    env = dict(os.environ, SPACEHOST_DATA_DIR=str(data), SPACEHOST_URL=f"http://127.0.0.1:{port}")
    up = subprocess.Popen(
        [*CLI, "up", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    work = Path(tempfile.mkdtemp(prefix="spacehost-bench-src-"))
    try:
        wait_http(f"http://127.0.0.1:{port}/api/health", 60)
        timed([*CLI, "push", str(ROOT / "spaces/hello"), "--name", "bench/warmup"], env)
        new, code, rebuild, bare = [], [], [], []
        for i in range(args.rounds):
            src = work / f"s{i}"
            shutil.copytree(ROOT / "spaces/image-filter", src)
            name = f"bench/space-{i}-{int(time.time())}"
            (src / "app.py").write_text((src / "app.py").read_text() + f"\n# round {i}\n")
            new.append(timed([*CLI, "push", str(src), "--name", name], env))
            (src / "app.py").write_text((src / "app.py").read_text() + "\n# code change\n")
            code.append(timed([*CLI, "push", str(src), "--name", name], env))
            # `restart` waits until the space is live again (it exits non-zero if it is not)
            rebuild.append(timed([*CLI, "restart", name], env))
            assert_running(name, port)
            (src / "app.py").write_text((src / "app.py").read_text() + "\n# bare change\n")
            bare.append(bare_docker_redeploy(src, name))
        for i in range(5 - 1 - args.rounds):
            timed([*CLI, "push", str(ROOT / "spaces/hello"), "--name", f"bench/idle-{i}"], env)
        time.sleep(3)  # let the platform settle to idle before reading RSS
        rss = rss_mib(up.pid)
        spaces = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/spaces").read())
        running = sum(1 for s in spaces if s["stage"] == "RUNNING")
        med = statistics.median
        print(f"{'measure':44} {'median s':>9} {'goal':>7} {'bare docker':>12} {'ratio':>6}")
        print(f"{'push -> live, new gradio space':44} {med(new):9.2f} {'<=15':>7}")
        print(
            f"{'code-only redeploy -> live':44} {med(code):9.2f} {'<=6':>7} "
            f"{med(bare):12.2f} {med(code) / med(bare):6.2f}"
        )
        print(f"{'rebuild, unchanged deps (restart) -> live':44} {med(rebuild):9.2f} {'<=5':>7}")
        print(
            f"platform RSS (control plane + router), idle, {running} spaces running: "
            f"{rss:.1f} MiB (goal <= 150)"
        )
        print(
            f"rounds: {args.rounds}; samples new={[round(x, 2) for x in new]} "
            f"code={[round(x, 2) for x in code]} rebuild={[round(x, 2) for x in rebuild]} "
            f"bare={[round(x, 2) for x in bare]}"
        )
    finally:
        for s in json.loads(
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/spaces").read() or b"[]"
        ):
            subprocess.run([*CLI, "rm", "--yes", s["id"]], env=env, capture_output=True)
        up.send_signal(signal.SIGINT)  # the router too
        up.wait(30)
        shutil.rmtree(work, ignore_errors=True)


def assert_running(name: str, port: int) -> None:
    url = f"http://127.0.0.1:{port}/api/spaces/{name}/runtime"
    stage = json.loads(urllib.request.urlopen(url).read())["stage"]
    if stage != "RUNNING":
        raise RuntimeError(f"{name} is {stage} after its restart")


if __name__ == "__main__":
    main()
