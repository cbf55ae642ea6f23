"""Router throughput and latency, side by side with nginx, in one run (loopback only).

Run by hand: ``.venv/bin/python bench/router_bench.py [--seconds 10] [--connections 64]``.

1. Small responses: ``wrk`` against a tiny upstream (nginx ``return 200``) directly, through an
   nginx ``proxy_pass`` with a keep-alive upstream, and through the spacehost router (uvloop, a
   subprocess as in production). Target: router >= 0.3 x nginx.
2. Gradio ``/config``: ``wrk`` directly against a Gradio 6 app and through the router (path
   route ``/spaces/bench/gradio/``). Target: >= 0.97 x direct. Then the p50 latency of sequential
   keep-alive requests, direct and through the router. Target: added p50 <= 1 ms.

Needs ``wrk`` and ``nginx`` (Debian ``wrk``, ``nginx-light``) and gradio in the venv. Every
server is a subprocess stopped at the end; nothing listens beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
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
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from spacehost.routetable import RouteEntry, routes_json

HOST = "127.0.0.1"


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


def wrk(url: str, seconds: int, connections: int, host: str | None = None) -> Wrk:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if host:
        cmd[1:1] = ["-H", f"Host: {host}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if rps is None or p50 is None or errors:
        raise RuntimeError(f"wrk failed or saw errors:\n{out}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p50.group(2)]
    return Wrk(float(rps.group(1)), float(p50.group(1)) * scale)


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
    tmp: Path, port: int, entries: list[RouteEntry]
) -> contextlib.AbstractContextManager[object]:
    data = tmp / "data"
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
    return process(cmd, port)


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--seconds", type=int, default=10, help="per wrk measurement")
    ap.add_argument("--connections", type=int, default=64, help="wrk connections (part 1)")
    ap.add_argument("--gradio-connections", type=int, default=16, help="wrk connections (2)")
    ap.add_argument("--samples", type=int, default=500, help="sequential requests for p50")
    ap.add_argument("--only", choices=["small", "gradio"], help="run one part")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
