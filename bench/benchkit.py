"""What the benchmarks share: where the repository is, free ports, and a `spacehost up` of
their own (a subprocess on loopback with its own data dir). Imported by the bench scripts,
which run as ``.venv/bin/python bench/NAME.py`` (so this folder is on ``sys.path``); importing
it puts the repository's root there too, so a bench uses the tests' helpers (``tests.support``,
``tests.e2e.chromium``) rather than a copy of them."""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))
CLI = [sys.executable, "-m", "spacehost.cli.main"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0) -> None:
    """Wait until GET *url* answers 200 (polled every 50 ms); TimeoutError after *timeout* s."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(url)


def push_archive(base: str, token: str, space: str, archive: bytes) -> None:
    """POST a space's tar.gz to the platform at *base* (asserts the 202 of an accepted push)."""
    req = urllib.request.Request(
        f"{base}/api/spaces/{space}/push",
        data=archive,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/gzip"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 202, r.status


def platform_env(data: Path, port: int, extra_env: dict[str, str]) -> dict[str, str]:
    """The environment of a platform on *port* with data dir *data*, and of the CLI that talks
    to it: this process's, *extra_env* over it, never an inherited SPACEHOST_TOKEN."""
    env = {
        **os.environ,
        "SPACEHOST_DATA_DIR": str(data),
        "SPACEHOST_URL": f"http://127.0.0.1:{port}",
        **extra_env,
    }
    env.pop("SPACEHOST_TOKEN", None)
    return env


def launch_platform(data: Path, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start `spacehost up` on *port* with *env* (see :func:`platform_env`), its log in
    ``data/platform.log``; the caller waits for it to answer and stops it."""
    with open(data / "platform.log", "ab") as log:
        return subprocess.Popen(
            [*CLI, "up", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )


def hf_env(url: str, token: str, home: Path) -> dict[str, str]:
    """The environment of an unchanged huggingface_hub client talking to the platform at *url*
    as *token*, with its cache in *home* (Xet on unless the caller turns it off)."""
    env = {
        **os.environ,
        "HF_ENDPOINT": url,
        "HF_TOKEN": token,
        "HF_HOME": str(home),
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }
    env.pop("HF_HUB_DISABLE_XET", None)
    return env


def run_json(script: str, args: list[str], env: dict[str, str], stdin: str | None = None) -> Any:
    """Run ``python -c script *args`` in a fresh process; the JSON of its last output line
    (SystemExit with its stderr's end when it fails)."""
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def write_random(path: Path, mib: int) -> None:
    """*mib* MiB of fresh random bytes into *path*."""
    with open(path, "wb") as out:
        for _ in range(mib):
            out.write(os.urandom(1 << 20))


def time_cp(src: Path, dest: Path) -> float:
    """Seconds to ``cp`` *src* to *dest* and ``sync`` it (the copy is removed afterwards)."""
    start = time.perf_counter()
    subprocess.run(["cp", str(src), str(dest)], check=True)
    subprocess.run(["sync", str(dest)], check=True)
    elapsed = time.perf_counter() - start
    dest.unlink()
    return elapsed


@contextmanager
def running_platform(
    data: Path, extra_env: dict[str, str]
) -> Iterator[tuple[str, str, dict[str, str]]]:
    """A `spacehost up` on a free port with data dir *data* (created) for the ``with`` block:
    yields its URL, its admin token and its environment (:func:`platform_env`); stopped
    (SIGINT) at the end."""
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = platform_env(data, port, extra_env)
    proc = launch_platform(data, port, env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/api/health")
        yield url, (data / "token").read_text().strip(), env
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)


def seconds_to_line(
    cmd: list[str], env: dict[str, str], line: str, cwd: Path | None = None
) -> float:
    """Seconds from starting *cmd* to *line* on its output (it is then left to finish)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert proc.stdout is not None
    for raw in proc.stdout:
        if raw.decode().strip() == line:
            took = time.perf_counter() - start
            proc.wait(120)
            return took
    raise AssertionError(f"{' '.join(cmd)} ended without printing {line!r}")


def summary(name: str, times: list[float]) -> str:
    """``name: p50 …, min …, max … (N runs)`` of *times* in seconds."""
    return (
        f"{name}: p50 {statistics.median(times):.2f} s, min {min(times):.2f} s, "
        f"max {max(times):.2f} s ({len(times)} runs)"
    )
