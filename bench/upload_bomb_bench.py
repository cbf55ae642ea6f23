"""Upload bombs (issue 11, A3): what a small hostile upload costs the control plane.

For each bomb and each upload endpoint (a space push, a model push) a fresh ``spacehost up``
(its own data dir and port) gets one POST through the router; printed: the answer's status, the
bytes the upload left stored (revisions and hub folders), and how far the control plane's peak
memory (VmHWM of the ``spacehost up`` process) rose over its peak before the upload.

    .venv/bin/python bench/upload_bomb_bench.py [--pax-mib 256]

Run it with ``PYTHONPATH=<an older checkout>/platform`` to measure that code (the figures in
docs/benchmarks.md compare the code before and after the fix).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from benchkit import free_port, launch_platform, platform_env

# isort: split
# after benchkit, which puts the repository's root on sys.path
from tests.support.tarballs import make_tar

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "spacehost.cli.main"]
MiB = 1 << 20
ENDPOINTS = {"space": "/api/spaces/bench/bomb/push", "model": "/api/models/bench/bomb/push"}


def _readme() -> tuple[str, bytes]:
    return ("README.md", b"---\ntitle: Bomb\nsdk: static\n---\n")


def link_bomb(kind: bytes) -> bytes:
    """4 MiB of zeros and 256 links to it: 1 GiB when every link is written as a copy."""
    links = []
    for i in range(256):
        info = tarfile.TarInfo(f"copy{i}.html")
        info.type, info.linkname = kind, "index.html"
        links.append(info)
    return make_tar([_readme(), ("index.html", bytes(4 * MiB)), *links])


def pax_bomb(mib: int) -> bytes:
    info = tarfile.TarInfo("index.html")
    info.pax_headers = {"comment": "a" * (mib * MiB)}
    return make_tar([_readme(), info])


def _peak(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def _stored(data: Path) -> int:
    return sum(p.lstat().st_size for top in ("revisions", "hub") if (data / top).exists()
               for p in (data / top).rglob("*") if p.is_file())  # fmt: skip


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the platform did not answer")


def _post(url: str, token: str, body: bytes) -> int:
    req = urllib.request.Request(
        url, data=body, method="POST", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(req, timeout=600) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def one(bomb: bytes, endpoint: str) -> dict[str, int]:
    """POST *bomb* to *endpoint* of a fresh platform; its status, stored bytes, peak growth."""
    with tempfile.TemporaryDirectory(prefix="spacehost-bomb-") as tmp:
        data, port = Path(tmp), free_port()
        env = platform_env(
            data,
            port,
            {
                "SPACEHOST_MAX_UPLOAD": "8m",
                "SPACEHOST_MAX_HUB_UPLOAD_BYTES": "8m",
                "SPACEHOST_BUILTIN_CONTENT": "0",
                "SPACEHOST_OWNER": "bench",
            },
        )
        proc = launch_platform(data, port, env)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, proc)
            token = (data / "token").read_text().strip()
            before, stored = _peak(proc.pid), _stored(data)
            status = _post(f"{url}{endpoint}", token, bomb)
            return {
                "status": status,
                "stored_bytes": _stored(data) - stored,
                "peak_before": before,
                "peak_growth": _peak(proc.pid) - before,
            }
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pax-mib", type=int, default=256)
    args = parser.parse_args()
    bombs = {
        "hardlinks": link_bomb(tarfile.LNKTYPE),
        "symlinks": link_bomb(tarfile.SYMTYPE),
        f"pax-{args.pax_mib}MiB": pax_bomb(args.pax_mib),
    }
    rows = []
    for name, body in bombs.items():
        for target, endpoint in ENDPOINTS.items():
            row = {"bomb": name, "upload_bytes": len(body), "target": target, **one(body, endpoint)}
            rows.append(row)
            print(
                f"{name:>14} {len(body):>8} B -> {target:<5} {row['status']}  stored "
                f"{row['stored_bytes'] / MiB:8.1f} MiB  peak {row['peak_before'] / MiB:6.0f} "
                f"-> +{row['peak_growth'] / MiB:.0f} MiB",
                flush=True,
            )
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
