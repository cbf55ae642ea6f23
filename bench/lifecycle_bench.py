"""Lifecycle benchmark: a steady load of concurrent clients through the router while the space
is redeployed, the control plane restarts and the router is killed -9; then memory with 50
registered spaces.

Runs a real platform (`spacehost up`) on a free port with a fresh data dir, loopback only, and
prints one table. Each client is a keep-alive HTTP connection (one thread each) calling
``GET /config`` of the hello example space on its own host (``{owner}-{name}.localhost``)
through the router: a Gradio call + event stream per request is too heavy for 20 clients on a
2-core machine, and /config is answered by the same Gradio server. A failed request (refused,
reset, non-200) is counted, and its client retries after 50 ms, so the count is bounded by the
outage length rather than by how fast a refused connect returns.

    .venv/bin/python bench/lifecycle_bench.py [--clients 20] [--static 40] [--gradio 10]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from benchkit import free_port

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "spacehost.cli.main"]
OWNER = "ldbench"
HELLO = f"{OWNER}/hello"
RETRY_S = 0.05  # a failed client waits this long before its next request
BASELINE_S = 5.0
SLEEP_AFTER_S = 2  # idle seconds before a space is paused, then stopped
STOP_AFTER_S = 15


def wait_http(url: str, timeout: float = 120.0, host: str | None = None) -> float:
    """Poll *url* until it answers 200; return the seconds it took."""
    t0 = time.monotonic()
    while time.monotonic() < t0 + timeout:
        req = urllib.request.Request(url, headers={"Host": host} if host else {})
        try:
            with urllib.request.urlopen(req, timeout=2) as r:
                if r.status == 200:
                    return time.monotonic() - t0
        except OSError:
            pass
        time.sleep(0.01)
    raise TimeoutError(url)


def cli(env: dict[str, str], *args: str) -> None:
    proc = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"spacehost {args} failed:\n{proc.stdout}\n{proc.stderr}")


def rss_mib(pid: int) -> float:
    """RSS of *pid*, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def router_pid(data: Path) -> int:
    """The router of the platform on data dir *data* (it runs in its own session)."""
    return int((data / "run" / "router.pid").read_text().strip())


# load ---------------------------------------------------------------------------------------


@dataclass
class Sample:
    t: float  # monotonic start
    latency: float
    ok: bool
    marker: str  # which version answered ("v1"/"v2"), or the error


class Load:
    """*clients* threads, each a keep-alive connection calling GET /config in a loop."""

    def __init__(self, port: int, host: str, clients: int):
        self.port, self.host, self.clients = port, host, clients
        self.samples: list[Sample] = []
        self._first: dict[int, Sample] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(10)

    def _run(self) -> None:
        conn: http.client.HTTPConnection | None = None
        while not self._stop.is_set():
            t0 = time.monotonic()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                conn.request("GET", "/config", headers={"Host": self.host})
                resp = conn.getresponse()
                body = resp.read()
                ok = resp.status == 200
                marker = ("v2" if b"Hello v2" in body else "v1") if ok else f"HTTP {resp.status}"
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                ok, marker = False, type(exc).__name__
                if conn is not None:
                    conn.close()
                conn = None
            sample = Sample(t0, time.monotonic() - t0, ok, marker)
            with self._lock:
                self.samples.append(sample)
                if ok:
                    self._first.setdefault(threading.get_ident(), sample)
            if not ok:
                self._stop.wait(RETRY_S)

    def first_ok(self) -> list[Sample]:
        """Each client's first successful request."""
        with self._lock:
            return list(self._first.values())

    def window(self, start: float, end: float) -> list[Sample]:
        with self._lock:
            return [s for s in self.samples if start <= s.t < end]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


@dataclass
class EventResult:
    name: str
    before: list[Sample]
    during: list[Sample]
    note: str

    def row(self) -> str:
        def ms(samples: list[Sample], q: float) -> float:
            return pct([s.latency for s in samples if s.ok], q) * 1000

        failed = sum(1 for s in self.during if not s.ok)
        dur = (self.during[-1].t - self.during[0].t) if self.during else 0.0
        return (
            f"{self.name:34} {dur:6.1f} {len(self.during):7d} {failed:7d} "
            f"{ms(self.before, 0.5):7.1f} {ms(self.before, 0.99):7.1f} "
            f"{ms(self.during, 0.5):7.1f} {ms(self.during, 0.99):8.1f}  {self.note}"
        )


def measure(load: Load, name: str, event: Callable[[], str], settle: float = 1.0) -> EventResult:
    """Run *event* under load; the window is from its start until *settle* s after it ends."""
    time.sleep(BASELINE_S)
    t0 = time.monotonic()
    note = event()
    time.sleep(settle)
    t1 = time.monotonic()
    return EventResult(name, load.window(t0 - BASELINE_S, t0), load.window(t0, t1), note)


def failure_span(samples: list[Sample]) -> str:
    failed = [s for s in samples if not s.ok]
    if not failed:
        return "no failures"
    kinds = sorted({s.marker for s in failed})
    return (
        f"failures over {failed[-1].t + failed[-1].latency - failed[0].t:.2f} s "
        f"({', '.join(kinds)})"
    )


# platform -----------------------------------------------------------------------------------


class Up:
    """`spacehost up` as a subprocess, restartable on the same data dir and port."""

    def __init__(self, env: dict[str, str], port: int, data: Path):
        self.env, self.port, self.data, self.log = env, port, data, data / "platform.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [*CLI, "up", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return wait_http(f"http://127.0.0.1:{self.port}/api/health", 60)

    def stop(self, sig: int = signal.SIGINT) -> None:
        """SIGINT stops the router too; SIGTERM leaves it serving for the next start."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(60)


def hello_source(work: Path, version: str) -> Path:
    src = work / f"hello-{version}"
    shutil.copytree(ROOT / "spaces/hello", src, dirs_exist_ok=True)
    app = (src / "app.py").read_text().replace('title="Hello"', f'title="Hello {version}"')
    (src / "app.py").write_text(app)
    return src


def static_source(work: Path, i: int) -> Path:
    src = work / f"static-{i}"
    src.mkdir()
    (src / "README.md").write_text(f"---\ntitle: Static {i}\nsdk: static\n---\n")
    (src / "index.html").write_text(f"<!doctype html><title>s{i}</title><p>static {i}</p>\n")
    return src


def events(load: Load, up: Up, env: dict[str, str], work: Path, host: str) -> list[EventResult]:
    results = []

    def redeploy() -> str:
        cli(env, "push", str(hello_source(work, "v2")), "--name", HELLO)
        return "push of a changed app.py, until the CLI returns"

    r = measure(load, "(a) code-only redeploy", redeploy, settle=2.0)
    v2_from = next((s.t - r.during[0].t for s in r.during if s.marker == "v2"), None)
    r.note += f"; v2 answers from +{v2_from:.1f} s" if v2_from is not None else "; no v2 seen"
    r.note += f"; {failure_span(r.during)}"
    results.append(r)

    def sigterm_restart() -> str:
        t0 = time.monotonic()
        up.stop(signal.SIGTERM)
        stopped = time.monotonic() - t0
        health = up.start()
        serve = wait_http(f"http://127.0.0.1:{up.port}/config", 60, host)
        return (
            f"SIGTERM `up` ({stopped:.1f} s to exit; the router keeps serving), start it "
            f"again (API back {health:.1f} s later, space +{serve:.2f} s)"
        )

    def sighup_restart() -> str:
        assert up.proc is not None
        up.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)  # the old control plane is gone by then; wait for the new one
        health = wait_http(f"http://127.0.0.1:{up.port}/api/health", 60)
        return f"SIGHUP `up` (control plane re-executes in place; API back +{health:.1f} s)"

    def kill9_restart() -> str:
        assert up.proc is not None
        up.proc.kill()
        up.proc.wait(10)
        health = up.start()
        return (
            f"kill -9 `up`, start it again (it adopts the running router; API back "
            f"{health:.1f} s after the start)"
        )

    for name, event in (
        ("(b1) control plane SIGTERM + up", sigterm_restart),
        ("(b2) control plane SIGHUP", sighup_restart),
        ("(b3) control plane kill -9 + up", kill9_restart),
    ):
        r = measure(load, name, event)
        r.note += f"; {failure_span(r.during)}"
        results.append(r)

    def kill_router() -> str:
        os.kill(router_pid(up.data), signal.SIGKILL)
        back = wait_http(f"http://127.0.0.1:{up.port}/config", 30, host)
        return f"router serves again {back:.2f} s after kill -9 (goal <= 2)"

    r = measure(load, "(c) router kill -9", kill_router)
    r.note += f"; {failure_span(r.during)}"
    results.append(r)
    return results


def sleep_level(port: int, space: str) -> str | None:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/spaces/{space}/runtime") as r:
        runtime = json.loads(r.read())
    level = (runtime.get("sleep") or {}).get("level")
    return str(level) if level else None


def wake_event(port: int, host: str, clients: int, level: str) -> str:
    """Wait until the hello space sleeps at *level*, then let *clients* arrive at once."""
    t0 = time.monotonic()
    while sleep_level(port, HELLO) != level:
        if time.monotonic() - t0 > 120:
            raise TimeoutError(f"{HELLO} never reached sleep level {level}")
        time.sleep(0.1)
    load = Load(port, host, clients)
    start = time.monotonic()
    load.start()
    while len(load.first_ok()) < clients and time.monotonic() - start < 60:
        time.sleep(0.01)
    time.sleep(2.0)  # and a little steady load after the wake
    load.stop()
    samples = load.window(start, start + 60)
    failed = sum(1 for s in samples if not s.ok)
    firsts = sorted(s.t + s.latency - start for s in load.first_ok()) or [float("nan")]
    steady = [s.latency for s in samples if s.ok and s.t - start > 1.0]
    return (
        f"(d) wake from {level:7}, {clients} clients at once: {len(samples)} requests, "
        f"{failed} failed; first answers after {pct(firsts, 0.5) * 1000:.0f} ms (median "
        f"client) / {max(firsts) * 1000:.0f} ms (last client); then p50/p99 "
        f"{pct(steady, 0.5) * 1000:.1f}/{pct(steady, 0.99) * 1000:.1f} ms"
    )


def memory(
    up: Up, env: dict[str, str], work: Path, n_static: int, n_gradio: int, max_awake: int
) -> list[str]:
    """Register *n_static* static and *n_gradio* gradio spaces (hello is one of them); report
    the platform's RSS and the containers' memory with *max_awake* of them visited (awake),
    then once every one has gone to sleep (stopped)."""
    with ThreadPoolExecutor(2) as pool:
        list(
            pool.map(
                lambda i: cli(
                    env, "push", str(static_source(work, i)), "--name", f"{OWNER}/static-{i}"
                ),
                range(n_static),
            )
        )
        list(
            pool.map(
                lambda i: cli(
                    env, "push", str(hello_source(work, f"g{i}")), "--name", f"{OWNER}/gradio-{i}"
                ),
                range(1, n_gradio),
            )
        )
    gradio = [HELLO] + [f"{OWNER}/gradio-{i}" for i in range(1, n_gradio)]
    visit = gradio[-max_awake:]
    with ThreadPoolExecutor(len(visit)) as pool:  # a visit wakes a sleeping space
        list(
            pool.map(
                lambda s: wait_http(
                    f"http://127.0.0.1:{up.port}/config",
                    120,
                    f"{s.replace('/', '-')}.localhost:{up.port}",
                ),
                visit,
            )
        )
    lines = [memory_line(up, n_static, n_gradio, f"{len(visit)} just visited")]
    t0 = time.monotonic()
    while any(sleep_level(up.port, s) != "stopped" for s in gradio):
        if time.monotonic() - t0 > 180:
            raise TimeoutError("the gradio spaces never all went to sleep")
        time.sleep(1)
    lines.append(memory_line(up, n_static, n_gradio, "all idle until stopped"))
    return lines


def memory_line(up: Up, n_static: int, n_gradio: int, when: str) -> str:
    import docker

    assert up.proc is not None
    rss = rss_mib(up.proc.pid) + rss_mib(router_pid(up.data))
    spaces = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{up.port}/api/spaces").read())
    mine = [s for s in spaces if s["id"].startswith(f"{OWNER}/")]
    stages = sorted({s["stage"] for s in mine})
    client = docker.from_env()
    ids = [
        c.id
        for c in client.containers.list(filters={"label": "spacehost.managed"})
        if c.labels.get("spacehost.space", "").startswith(f"{OWNER}/")
    ]
    out = (
        subprocess.run(
            ["docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", *ids],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if ids
        else ""
    )
    mib = sum(_to_mib(line.split("/")[0].strip()) for line in out.splitlines() if line.strip())
    return (
        f"{len(mine)} registered ({n_static} static, {n_gradio} gradio), {when}: stages "
        f"{'/'.join(stages)}, {len(ids)} containers up (running or paused); platform RSS "
        f"(control plane + router) {rss:.1f} MiB; containers {mib:.0f} MiB; total "
        f"{rss + mib:.0f} MiB"
    )


def _to_mib(text: str) -> float:
    units = {"KiB": 1 / 1024, "MiB": 1.0, "GiB": 1024.0, "B": 1 / 1024 / 1024}
    for unit, factor in units.items():
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--static", type=int, default=30)
    ap.add_argument("--gradio", type=int, default=20)
    ap.add_argument("--max-awake", type=int, default=10)
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="spacehost-ldbench-"))
    work = Path(tempfile.mkdtemp(prefix="spacehost-ldbench-src-"))
    port = free_port()
    # short idle times so that sleeping and waking happen within the run
    env = dict(
        os.environ,
        SPACEHOST_DATA_DIR=str(data),
        SPACEHOST_URL=f"http://127.0.0.1:{port}",
        SPACEHOST_SLEEP_AFTER=str(SLEEP_AFTER_S),
        SPACEHOST_STOP_AFTER=str(STOP_AFTER_S),
        SPACEHOST_MAX_AWAKE=str(args.max_awake),
    )
    env.pop("SPACEHOST_TOKEN", None)
    up = Up(env, port, data)
    host = f"{OWNER}-hello.localhost:{port}"
    try:
        up.start()
        cli(env, "push", str(hello_source(work, "v1")), "--name", HELLO)
        load = Load(port, host, args.clients)
        load.start()
        try:
            results = events(load, up, env, work, host)
        finally:
            load.stop()
        wakes = [wake_event(port, host, args.clients, level) for level in ("paused", "stopped")]
        mem = memory(up, env, work, args.static, args.gradio, args.max_awake)
        print(
            f"{args.clients} keep-alive clients, GET /config of {HELLO} on its own host, "
            "through the router; latency in ms, before = the 5 s before the event"
        )
        print(
            f"{'event':34} {'win s':>6} {'reqs':>7} {'failed':>7} {'p50 bef':>7} "
            f"{'p99 bef':>7} {'p50 dur':>7} {'p99 dur':>8}  notes"
        )
        for r in results:
            print(r.row())
        print("\n".join(wakes))
        print(
            f"memory, SPACEHOST_MAX_AWAKE={args.max_awake}, sleep after {SLEEP_AFTER_S} s, "
            f"stop after {STOP_AFTER_S} s idle:"
        )
        print("\n".join(mem))
    finally:
        try:
            spaces = json.loads(
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/spaces").read() or b"[]"
            )
            for s in spaces:
                subprocess.run([*CLI, "rm", "--yes", s["id"]], env=env, capture_output=True)
        except OSError:
            pass
        up.stop()
        shutil.rmtree(work, ignore_errors=True)
        print(f"platform log: {up.log}")


if __name__ == "__main__":
    main()
