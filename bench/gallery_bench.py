"""Gallery benchmark: the server time of ``/`` with 50 spaces, and of a space page.

Runs a real platform (`spacehost up`) on a free port with a fresh data dir, registers 50 small
``sdk: static`` spaces through the push API (no containers), then times sequential GETs on one
keep-alive connection, directly against the control plane's Unix socket and through the router.
Goal (issue 3): gallery p50 <= 50 ms.

    .venv/bin/python bench/gallery_bench.py [--requests 400]
"""

from __future__ import annotations

import argparse
import http.client
import json
import signal
import socket
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchkit import free_port, launch_platform, platform_env, push_archive, wait_http

# isort: split
# after benchkit, which puts the repository's root on sys.path
from tests.support.tarballs import make_tar

from spacehost.web.gallery import PER_PAGE

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "spacehost.cli.main"]
SPACES = 50
GOAL_MS = 50.0
COLORS = ["red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"]


class UnixConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket (the control plane listens on one behind the router)."""

    def __init__(self, path: Path):
        super().__init__("localhost", timeout=30)
        self.path = str(path)

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def space_archive(i: int) -> bytes:
    """A small static space, tar.gz, with a README like a real one."""
    readme = (
        f"---\ntitle: Demo number {i}\nemoji: 🧪\ncolorFrom: {COLORS[i % 8]}\n"
        f"colorTo: {COLORS[(i + 3) % 8]}\nsdk: static\napp_file: index.html\n"
        f"pinned: {'true' if i % 10 == 0 else 'false'}\n"
        f"short_description: Benchmark space {i} with a description of usual length\n"
        f"tags: [bench, tag{i % 5}, text]\n---\n\n# Demo {i}\n"
    )
    return make_tar([("README.md", readme.encode()), ("index.html", f"<h1>demo {i}</h1>".encode())])


def push_all(base: str, token: str) -> None:
    for i in range(SPACES):
        push_archive(base, token, f"bench/demo-{i:02d}", space_archive(i))


def wait_all_running(base: str, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with urllib.request.urlopen(f"{base}/api/spaces", timeout=10) as r:
            stages = [s["stage"] for s in json.load(r) if s["id"].startswith("bench/")]
        if len(stages) == SPACES and all(s == "RUNNING" for s in stages):
            return
        time.sleep(0.2)
    raise TimeoutError("spaces did not all reach RUNNING")


def timings(
    conn: http.client.HTTPConnection,
    path: str,
    n: int,
    host: str | None = None,
    cookie: str = "",
) -> list[float]:
    """Milliseconds of *n* sequential GETs of *path* on one keep-alive connection (after 20
    warm-up requests), with a sign-in session's *cookie* if given."""
    headers = {"Host": host} if host else {}
    if cookie:
        headers["Cookie"] = cookie
    samples = []
    for i in range(n + 20):
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"GET {path} -> {resp.status}")
        if i >= 20:
            samples.append((time.perf_counter() - t0) * 1000)
    cards = min(SPACES, PER_PAGE)  # the gallery's first page
    assert body.count(b"class=card") >= cards or path != "/", "gallery misses cards"
    conn.close()
    return samples


def session_cookie(base: str, token: str) -> str:
    """A signed-in browser's cookies: an admin user made with *token*, then signed in."""
    password = "bench password 1"
    body = json.dumps({"name": "benchadmin", "password": password, "admin": True}).encode()
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    urllib.request.urlopen(urllib.request.Request(f"{base}/api/users", body, auth), timeout=30)
    body = json.dumps({"name": "benchadmin", "password": password}).encode()
    req = urllib.request.Request(
        f"{base}/api/auth/sign-in", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return "; ".join(c.split(";", 1)[0] for c in resp.headers.get_all("Set-Cookie"))


def pct(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q) - 1]


def row(name: str, samples: list[float], goal: float | None) -> None:
    p50, p95 = statistics.median(samples), pct(samples, 95)
    verdict = "" if goal is None else ("  OK" if p50 <= goal else "  OVER GOAL")
    target = f"goal p50 <= {goal:.0f} ms" if goal else ""
    print(f"{name:<48} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  {target}{verdict}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=400)
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="gallery-bench-"))
    port = free_port()
    env = platform_env(data, port, {})
    proc = launch_platform(data, port, env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/api/health")
        token = (data / "token").read_text().strip()
        push_all(base, token)
        wait_all_running(base)
        cookie = session_cookie(base, token)
        sock = data / "run" / "control.sock"
        n = args.requests
        print(f"gallery with {SPACES} spaces, {n} sequential keep-alive GETs each")
        row("GET / (control plane, Unix socket)", timings(UnixConnection(sock), "/", n), GOAL_MS)
        row(
            "GET / (through the router)",
            timings(http.client.HTTPConnection("127.0.0.1", port, timeout=30), "/", n),
            GOAL_MS,
        )
        row(
            "GET / (router, signed in: user menu)",
            timings(
                http.client.HTTPConnection("127.0.0.1", port, timeout=30), "/", n, None, cookie
            ),
            GOAL_MS,
        )
        row(
            "GET /?q=demo+1&tag=tag1 (router)",
            timings(
                http.client.HTTPConnection("127.0.0.1", port, timeout=30), "/?q=demo+1&tag=tag1", n
            ),
            GOAL_MS,
        )
        page = "/spaces/bench/demo-07"
        row(f"GET {page} (control plane)", timings(UnixConnection(sock), page, n), None)
        row(
            f"GET {page} (through the router)",
            timings(http.client.HTTPConnection("127.0.0.1", port, timeout=30), page, n),
            None,
        )
        row(
            f"GET {page}?tab=files (router)",
            timings(
                http.client.HTTPConnection("127.0.0.1", port, timeout=30), page + "?tab=files", n
            ),
            None,
        )
    finally:
        proc.send_signal(signal.SIGINT)  # the router too
        proc.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
