"""Router throughput and latency, side by side with nginx, in one run (loopback only).

Run by hand: ``.venv/bin/python bench/router_bench.py [--seconds 10] [--connections 64]``.

1. Small responses: ``wrk`` against a tiny upstream (nginx ``return 200``) directly, through an
   nginx ``proxy_pass`` with a keep-alive upstream, and through the spacehost router (uvloop, a
   subprocess as in production). Target: router >= 0.3 x nginx.
2. Gradio ``/config``: ``wrk`` directly against a Gradio 6 app and through the router (path
   route ``/spaces/bench/gradio/``). Target: >= 0.97 x direct. Then the p50 latency of sequential
   keep-alive requests, direct and through the router. Target: added p50 <= 1 ms.
3. Private spaces (``--only private``): the same small response through one router to a public
   space and to a private one, both with the same valid space cookie (the access answer cached;
   a stand-in control plane answers the check), and, with ``--before DIR`` (a
   ``platform/`` folder of older code, e.g. ``git archive 0629134 platform | tar -x -C DIR``),
   to the public space through a router of that code: alternating rounds, req/s and the router
   process's CPU time per request (utime+stime from ``/proc``, steadier than req/s on a shared
   machine). Target: private within 3 % of public; public unchanged from before.
4. Replicas (``--only replicas``): the same small response through one router to a space with
   one upstream and to a space with three replicas (three nginx servers), with the same heads,
   asked as a page is (the affinity cookie names the replica) and as a Gradio event stream is
   (a session hash in the query, remembered): alternating rounds, req/s and router CPU time per
   request, and the in-process cost of the choice (route + session/cookie parse + pick). No
   target: the figure is what affinity costs per request.

Needs ``wrk`` and ``nginx`` (Debian ``wrk``, ``nginx-light``) and gradio in the venv. Every
server is a subprocess stopped at the end; nothing listens beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchkit import ROOT
from spacehost.routetable import RouteEntry, routes_json

# isort: split
# after benchkit, which puts the repository's root on sys.path
from tests.support.access_control import AccessControl, serve_access_control

HOST = "127.0.0.1"
assert str(ROOT) in sys.path  # benchkit put it there, for tests.support


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        time.sleep(0.05)  # polling a port that is not open yet; nothing to wait on
    raise RuntimeError(f"nothing listens on {port} after {timeout} s")


@contextlib.contextmanager
def process(cmd: list[str], port: int, **kw: object) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)  # type: ignore[call-overload]
    try:
        wait_port(port, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


NGINX_CONF = """\
worker_processes 1;
pid {dir}/nginx-{name}.pid;
error_log {dir}/nginx-{name}-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body-{name};
    proxy_temp_path {dir}/proxy-{name};
    fastcgi_temp_path {dir}/fcgi-{name};
    uwsgi_temp_path {dir}/uwsgi-{name};
    scgi_temp_path {dir}/scgi-{name};
    keepalive_requests 1000000;
    {body}
}}
"""
UPSTREAM_BODY = """
    server {{
        listen {host}:{port};
        location / {{ default_type text/plain; return 200 "hello, world\\n"; }}
    }}"""
PROXY_BODY = """
    upstream tiny {{ server {host}:{up}; keepalive 64; }}
    server {{
        listen {host}:{port};
        location / {{
            proxy_pass http://tiny;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
        }}
    }}"""


def nginx(tmp: Path, name: str, body: str, port: int) -> contextlib.AbstractContextManager[object]:
    conf = tmp / f"nginx-{name}.conf"
    conf.write_text(NGINX_CONF.format(dir=tmp, name=name, body=body))
    return process(["nginx", "-c", str(conf), "-p", str(tmp), "-g", "daemon off;"], port)


GRADIO_APP = textwrap.dedent(
    """
    import gradio as gr
    def greet(name):
        return "Hello " + name + "!"
    gr.Interface(fn=greet, inputs="text", outputs="text").launch(
        server_name="127.0.0.1", server_port={port}, ssr_mode=False
    )
    """
)


@dataclass
class Wrk:
    rps: float
    p50_ms: float
    requests: int = 0


def wrk(url: str, seconds: int, connections: int, host: str | None = None, *headers: str) -> Wrk:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for header in (f"Host: {host}" if host else "", *headers):
        if header:
            cmd[1:1] = ["-H", header]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    count = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if rps is None or p50 is None or count is None or errors:
        raise RuntimeError(f"wrk failed or saw errors:\n{out}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p50.group(2)]
    return Wrk(float(rps.group(1)), float(p50.group(1)) * scale, int(count.group(1)))


def sequential_p50(port: int, path: str, n: int, host: str | None = None) -> float:
    """p50 in ms of *n* sequential GETs on one keep-alive connection (after a warm-up)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Host": host} if host else {}
    samples = []
    for i in range(n + 50):
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise RuntimeError(f"GET {path} -> {resp.status}")
        if i >= 50:
            samples.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return statistics.median(samples)


def router(
    tmp: Path,
    port: int,
    entries: list[RouteEntry],
    name: str = "data",
    env: dict[str, str] | None = None,
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    data = tmp / name
    (data / "run").mkdir(parents=True, exist_ok=True)
    (data / "run" / "routes.json").write_text(routes_json(entries))
    cmd = [
        sys.executable,
        "-m",
        "spacehost.router",
        "--data-dir",
        str(data),
        "--host",
        HOST,
        "--port",
        str(port),
        "--domain",
        "localhost",
        "--log-level",
        "WARNING",
    ]
    return process(cmd, port, env=env) if env else process(cmd, port)


def row(name: str, value: str, target: str, ok: bool | None = None) -> None:
    mark = "" if ok is None else ("ok" if ok else "MISSED")
    print(f"  {name:<44} {value:>14}  {target:<12} {mark}")


def bench_small(tmp: Path, seconds: int, connections: int) -> None:
    up, via_nginx, via_router = free_port(), free_port(), free_port()
    entry = RouteEntry("bench/tiny", "docker", "RUNNING", upstream=f"{HOST}:{up}")
    print(f"\n(1) small response, wrk -t1 -c{connections} -d{seconds}s, 1 process each")
    with (
        nginx(tmp, "up", UPSTREAM_BODY.format(host=HOST, port=up), up),
        nginx(tmp, "proxy", PROXY_BODY.format(host=HOST, port=via_nginx, up=up), via_nginx),
        router(tmp, via_router, [entry]),
    ):
        host = "bench-tiny.localhost"
        wrk(f"http://{HOST}:{via_router}/", 2, connections, host)  # warm-up
        direct = wrk(f"http://{HOST}:{up}/", seconds, connections)
        ngx = wrk(f"http://{HOST}:{via_nginx}/", seconds, connections, host)
        rtr = wrk(f"http://{HOST}:{via_router}/", seconds, connections, host)
    row("upstream direct (nginx return 200)", f"{direct.rps:,.0f} req/s", "")
    row("via nginx proxy_pass (keepalive)", f"{ngx.rps:,.0f} req/s", "")
    row("via spacehost router", f"{rtr.rps:,.0f} req/s", "")
    ratio = rtr.rps / ngx.rps
    row("ratio router / nginx", f"{ratio:.2f}", ">= 0.30", ratio >= 0.3)
    row("p50 latency nginx / router (wrk)", f"{ngx.p50_ms:.2f}/{rtr.p50_ms:.2f} ms", "")


def bench_gradio(tmp: Path, seconds: int, connections: int, samples: int) -> None:
    gport, rport = free_port(), free_port()
    entry = RouteEntry("bench/gradio", "gradio", "RUNNING", upstream=f"{HOST}:{gport}")
    app = tmp / "gradio_app.py"
    app.write_text(GRADIO_APP.format(port=gport))
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    print(f"\n(2) Gradio /config, wrk -t1 -c{connections} -d{seconds}s; sequential n={samples}")
    with (
        process([sys.executable, str(app)], gport, env=env, cwd=tmp),
        router(tmp, rport, [entry]),
    ):
        prefix = "/spaces/bench/gradio"
        direct_url = f"http://{HOST}:{gport}/config"
        routed_url = f"http://{HOST}:{rport}{prefix}/config"
        for url in (direct_url, routed_url):  # warm-up
            wrk(url, 3, connections)
        # Two interleaved rounds each, so drift in the machine's load hits both sides alike.
        half = max(1, seconds // 2)
        d1, r1, r2, d2 = (
            wrk(u, half, connections) for u in (direct_url, routed_url, routed_url, direct_url)
        )
        direct = Wrk((d1.rps + d2.rps) / 2, (d1.p50_ms + d2.p50_ms) / 2)
        routed = Wrk((r1.rps + r2.rps) / 2, (r1.p50_ms + r2.p50_ms) / 2)
        p50_direct = sequential_p50(gport, "/config", samples)
        p50_routed = sequential_p50(rport, f"{prefix}/config", samples)
    row("direct", f"{direct.rps:,.0f} req/s", "")
    row("via router (path route)", f"{routed.rps:,.0f} req/s", "")
    ratio = routed.rps / direct.rps
    row("ratio router / direct", f"{ratio:.3f}", ">= 0.97", ratio >= 0.97)
    row("sequential p50 direct / via router", f"{p50_direct:.2f}/{p50_routed:.2f} ms", "")
    added = p50_routed - p50_direct
    row("added p50", f"{added:.2f} ms", "<= 1 ms", added <= 1.0)


PASS_COOKIE = "spacehost_space=bench-pass"


@contextlib.contextmanager
def access_control(socket_path: Path, space: str) -> Iterator[AccessControl]:
    """A stand-in control plane on *socket_path* (a thread of this process) that lets the
    space cookie read *space*."""
    ac = AccessControl(allowed={space: {PASS_COOKIE}})
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def run() -> None:
        try:
            stop = loop.run_until_complete(serve_access_control(str(socket_path), ac))
        finally:
            ready.set()
        loop.run_forever()
        loop.run_until_complete(stop())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if not ready.wait(30) or not socket_path.exists():
        raise RuntimeError("the stand-in control plane did not start")
    try:
        yield ac
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)


def cpu_seconds(pid: int) -> float:
    """utime + stime of process *pid*, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Side:
    name: str
    url: str
    host: str
    headers: tuple[str, ...]
    pid: int


def measure(side: Side, seconds: int, connections: int) -> tuple[float, float]:
    """(req/s, router CPU µs per request) of one wrk run against *side*."""
    before = cpu_seconds(side.pid)
    result = wrk(side.url, seconds, connections, side.host, *side.headers)
    used = cpu_seconds(side.pid) - before
    return result.rps, used / max(1, result.requests) * 1e6


def bench_private(
    tmp: Path, seconds: int, connections: int, rounds: int, before: Path | None
) -> None:
    up, port, old_port = free_port(), free_port(), free_port()
    public = RouteEntry("bench/tiny", "docker", "RUNNING", upstream=f"{HOST}:{up}")
    private = RouteEntry("bench/secret", "docker", "RUNNING", upstream=f"{HOST}:{up}", private=True)
    print(
        f"\n(3) private vs public space, wrk -t1 -c{connections} -d{seconds}s, {rounds} rounds"
        + (f", before = {before}" if before else "")
    )
    with contextlib.ExitStack() as stack:
        stack.enter_context(nginx(tmp, "up", UPSTREAM_BODY.format(host=HOST, port=up), up))
        ac = stack.enter_context(
            access_control(tmp / "after" / "run" / "control.sock", private.space)
        )
        new = stack.enter_context(router(tmp, port, [public, private], "after"))
        url = f"http://{HOST}:{port}/"
        # the same Cookie to both (stripped from both): the difference is the access decision
        sides = [
            Side("public", url, "bench-tiny.localhost", (f"Cookie: {PASS_COOKIE}",), new.pid),
            Side(
                "private (cookie)",
                url,
                "bench-secret.localhost",
                (f"Cookie: {PASS_COOKIE}",),
                new.pid,
            ),
        ]
        if before is not None:
            env = {**os.environ, "PYTHONPATH": str(before)}
            old = stack.enter_context(router(tmp, old_port, [public], "before", env))
            old_url = f"http://{HOST}:{old_port}/"
            old_side = Side(
                "public, before", old_url, "bench-tiny.localhost", sides[0].headers, old.pid
            )
            sides.append(old_side)
        for side in sides:  # warm-up (and the private side's one check call)
            wrk(side.url, 2, connections, side.host, *side.headers)
        results: dict[str, list[tuple[float, float]]] = {s.name: [] for s in sides}
        for r in range(rounds):
            order = sides[r % len(sides) :] + sides[: r % len(sides)]  # drift hits all alike
            for side in order:
                results[side.name].append(measure(side, seconds, connections))
    for name, values in results.items():
        rates = ", ".join(f"{v[0]:,.0f}" for v in values)
        cpus = ", ".join(f"{v[1]:.1f}" for v in values)
        row(name, f"{statistics.median(v[0] for v in values):,.0f} req/s", f"[{rates}]")
        row(
            "  router CPU per request",
            f"{statistics.median(v[1] for v in values):.1f} µs",
            f"[{cpus}]",
        )
    pub, priv = results["public"], results["private (cookie)"]
    rate = statistics.median(v[0] for v in priv) / statistics.median(v[0] for v in pub)
    cpu = statistics.median(v[1] for v in priv) / statistics.median(v[1] for v in pub)
    row("ratio private / public, req/s", f"{rate:.3f}", ">= 0.97", rate >= 0.97)
    row("ratio private / public, CPU per request", f"{cpu:.3f}", "<= 1.03", cpu <= 1.03)
    if before is not None:
        old_values = results["public, before"]
        rate = statistics.median(v[0] for v in pub) / statistics.median(v[0] for v in old_values)
        cpu = statistics.median(v[1] for v in pub) / statistics.median(v[1] for v in old_values)
        row("ratio public after / before, req/s", f"{rate:.3f}", "~1")
        row("ratio public after / before, CPU/request", f"{cpu:.3f}", "~1")
    row("access checks asked of the control plane", str(len(ac.checks)), "")
    cost = decision_cost(tmp)
    steps = ", ".join(f"{k} {v:.2f}" for k, v in cost.items())
    row("route+decide+head, in-process (µs/request)", steps, "")
    floor = min(min(v[1] for v in values) for values in results.values())
    for name in ("public", "private"):
        added = cost[name] - cost["before"]
        share = added / floor
        row(f"added by {name} vs before, of {floor:.1f} µs", f"{added:+.2f} µs ({share:+.1%})", "")


def decision_cost(tmp: Path, n: int = 100_000, repeats: int = 7) -> dict[str, float]:
    """In-process, µs per request (the best of *repeats* runs of *n*): the data-path steps of
    :class:`~spacehost.router.exchange.Exchange` that private spaces touch, as it runs them:
    route, the access decision (cached, allowed), the request head with credentials stripped.
    ``before``: route and head only, credentials kept (what the code before did). The best of
    several short runs is what the code costs, not what the machine's load added."""
    from spacehost.router.access import SpaceAccess, raw_credentials
    from spacehost.router.context import RouterContext
    from spacehost.router.framing import NO_BODY
    from spacehost.router.headers import Forwarding, request_head
    from spacehost.settings import Settings

    data = tmp / "micro"
    (data / "run").mkdir(parents=True, exist_ok=True)
    public = RouteEntry("bench/tiny", "docker", "RUNNING", upstream="127.0.0.1:1")
    private = RouteEntry("bench/secret", "docker", "RUNNING", upstream="127.0.0.1:1", private=True)
    (data / "run" / "routes.json").write_text(routes_json([public, private]))
    loop = asyncio.new_event_loop()

    async def allow(space: str, creds: object) -> bool:
        return True

    try:
        ctx = RouterContext(loop, Settings(data_dir=data, domain="localhost"))
        # a still clock (a call, as loop.time is), so the answer does not expire mid-run
        ctx.access = SpaceAccess(allow, lambda: 0.0)
        cookie = (b"cookie", PASS_COOKIE.encode())
        agent = (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64)")
        accept = (b"accept", b"*/*")
        fwd = Forwarding("127.0.0.1", "h", "http")

        def heads(label: str) -> list[tuple[bytes, bytes]]:
            return [(b"host", f"{label}.localhost".encode()), agent, accept, cookie]

        pub, priv = heads("bench-tiny"), heads("bench-secret")

        async def warm() -> bool:
            return await ctx.access.ask("bench/secret", raw_credentials(priv))

        loop.run_until_complete(warm())

        def step(headers: list[tuple[bytes, bytes]], gate: bool) -> None:
            host = headers[0][1].decode()
            m = ctx.route(host, "/")
            entry = ctx.addressed(m) if gate else None
            if entry is not None and entry.private:
                allowed = ctx.access.decide(entry.space, raw_credentials(headers))
                assert allowed is True
            request_head(
                b"GET",
                b"/",
                headers,
                fwd,
                framing=NO_BODY,
                upgrade=False,
                host=b"h",
                keep_credentials=not gate,
            )

        cases = {"before": (pub, False), "public": (pub, True), "private": (priv, True)}
        best = {name: float("inf") for name in cases}
        for _ in range(repeats):
            for name, (headers, gate) in cases.items():
                t0 = time.perf_counter()
                for _ in range(n):
                    step(headers, gate)
                best[name] = min(best[name], (time.perf_counter() - t0) / n * 1e6)
        return best
    finally:
        loop.close()


def bench_replicas(tmp: Path, seconds: int, connections: int, rounds: int) -> None:
    ports = [free_port() for _ in range(3)]
    port = free_port()
    one = RouteEntry("bench/tiny", "docker", "RUNNING", upstream=f"{HOST}:{ports[0]}")
    three = RouteEntry(
        "bench/three", "gradio", "RUNNING", replicas=tuple(f"{HOST}:{p}" for p in ports)
    )
    print(
        f"\n(4) one upstream vs three replicas, wrk -t1 -c{connections} -d{seconds}s, "
        f"{rounds} rounds"
    )
    body = "".join(UPSTREAM_BODY.format(host=HOST, port=p) for p in ports)
    with contextlib.ExitStack() as stack:
        stack.enter_context(nginx(tmp, "ups", body, ports[0]))
        rtr = stack.enter_context(router(tmp, port, [one, three], "replicas"))
        for p in ports[1:]:
            wait_port(p, rtr)
        token = replica_cookie(port)
        # the same request heads to both spaces (the cookie too: clients send it to every
        # space; only the bench/three one names a replica), so the difference is the choice
        page = f"http://{HOST}:{port}/"
        stream = page + "gradio_api/queue/data?session_hash=bench"
        cookie = (f"Cookie: {token}",)
        sides = [
            Side("one upstream, page", page, "bench-tiny.localhost", cookie, rtr.pid),
            Side("3 replicas, page", page, "bench-three.localhost", cookie, rtr.pid),
            Side("one upstream, event stream", stream, "bench-tiny.localhost", cookie, rtr.pid),
            Side("3 replicas, event stream", stream, "bench-three.localhost", cookie, rtr.pid),
        ]
        for side in sides:
            wrk(side.url, 2, connections, side.host, *side.headers)
        results: dict[str, list[tuple[float, float]]] = {s.name: [] for s in sides}
        for r in range(rounds):
            order = sides[r % len(sides) :] + sides[: r % len(sides)]
            for side in order:
                results[side.name].append(measure(side, seconds, connections))
    for name, values in results.items():
        rates = ", ".join(f"{v[0]:,.0f}" for v in values)
        cpus = ", ".join(f"{v[1]:.1f}" for v in values)
        row(name, f"{statistics.median(v[0] for v in values):,.0f} req/s", f"[{rates}]")
        row("  router CPU per request", f"{statistics.median(v[1] for v in values):.1f} µs", cpus)
    for what in ("page", "event stream"):
        one, three = results[f"one upstream, {what}"], results[f"3 replicas, {what}"]
        cpu = statistics.median(v[1] for v in three) / statistics.median(v[1] for v in one)
        row(f"ratio CPU/request, {what}: 3 / one", f"{cpu:.3f}", "")
    cost = choice_cost(tmp)
    row(
        "route+choose, in-process (µs/request)",
        ", ".join(f"{k} {v:.2f}" for k, v in cost.items()),
        "",
    )


def replica_cookie(port: int) -> str:
    """The affinity cookie the router hands a first visitor of ``bench/three``."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    conn.request("GET", "/", headers={"Host": "bench-three.localhost"})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    cookie = resp.getheader("set-cookie") or ""
    if not cookie.startswith("spacehost_replica="):
        raise RuntimeError(f"no affinity cookie from the router: {cookie!r}")
    return cookie.partition(";")[0]


def choice_cost(tmp: Path, n: int = 100_000, repeats: int = 7) -> dict[str, float]:
    """In-process, µs per request (the best of *repeats* runs of *n*): routing a request, and
    for a space with replicas the choice :class:`~spacehost.router.exchange.Exchange` makes
    (session from the target, the cookie, the pick) on top."""
    from spacehost.router.context import RouterContext
    from spacehost.router.gradiosession import affinity_cookie, target_session
    from spacehost.settings import Settings

    data = tmp / "micro-replicas"
    (data / "run").mkdir(parents=True, exist_ok=True)
    ups = tuple(f"127.0.0.1:{p}" for p in (1, 2, 3))
    entries = [
        RouteEntry("bench/tiny", "docker", "RUNNING", upstream=ups[0]),
        RouteEntry("bench/three", "gradio", "RUNNING", replicas=ups),
    ]
    (data / "run" / "routes.json").write_text(routes_json(entries))
    loop = asyncio.new_event_loop()
    try:
        ctx = RouterContext(loop, Settings(data_dir=data, domain="localhost"))
        ctx.route("bench-three.localhost", "/")  # loads the table
        compiled = ctx.routes.target_for("bench/three")
        token = compiled.tokens[1]
        cookie = [
            (b"host", b"bench-three.localhost"),
            (b"cookie", f"spacehost_replica={token}".encode()),
        ]
        plain = [(b"host", b"bench-three.localhost"), (b"accept", b"*/*")]

        def step(host: str, target: str, headers: list[tuple[bytes, bytes]], choose: bool) -> None:
            m = ctx.route(host, target)
            if choose and m.entry is not None:
                compiled = ctx.routes.target_for(m.entry.space)
                session = target_session(m.target)
                preferred = compiled.named(affinity_cookie(headers))
                ctx.replicas.pick(m.entry.space, compiled.replicas, session, preferred)

        data_target = "/gradio_api/queue/data?session_hash=bench"
        cases = {
            "one upstream": ("bench-tiny.localhost", "/", plain, False),
            "replicas, cookie": ("bench-three.localhost", "/", cookie, True),
            "replicas, session": ("bench-three.localhost", data_target, plain, True),
        }
        best = {name: float("inf") for name in cases}
        for _ in range(repeats):
            for name, (host, target, headers, choose) in cases.items():
                t0 = time.perf_counter()
                for _ in range(n):
                    step(host, target, headers, choose)
                best[name] = min(best[name], (time.perf_counter() - t0) / n * 1e6)
        return best
    finally:
        loop.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--seconds", type=int, default=10, help="per wrk measurement")
    ap.add_argument("--connections", type=int, default=64, help="wrk connections (part 1)")
    ap.add_argument("--gradio-connections", type=int, default=16, help="wrk connections (2)")
    ap.add_argument("--samples", type=int, default=500, help="sequential requests for p50")
    ap.add_argument(
        "--only", choices=["small", "gradio", "private", "replicas"], help="run one part"
    )
    ap.add_argument("--rounds", type=int, default=4, help="alternating rounds (parts 3, 4)")
    ap.add_argument(
        "--before", type=Path, help="a platform/ folder of older code to compare with (part 3)"
    )
    args = ap.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            print(f"error: {tool} is not installed (Debian packages wrk, nginx-light)")
            return 2
    print(f"spacehost router benchmark, {os.cpu_count()} CPUs, loopback")
    with tempfile.TemporaryDirectory(prefix="router-bench-") as d:
        tmp = Path(d)
        if args.only in (None, "small"):
            bench_small(tmp, args.seconds, args.connections)
        if args.only in (None, "gradio"):
            bench_gradio(tmp, args.seconds, args.gradio_connections, args.samples)
        if args.only in (None, "private"):
            bench_private(tmp, args.seconds, args.connections, args.rounds, args.before)
        if args.only in (None, "replicas"):
            bench_replicas(tmp, args.seconds, args.connections, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
