"""`hf jobs uv run` benchmark: the unchanged `hf` CLI against a real platform (`spacehost up`,
its own data dir), timing from starting the command to the job's printed line on its output,
for a command on HF's default uv image (spacehost's own uv image here), a local script (which
the client first uploads to the {ns}/jobs-artifacts bucket, mounted at /data), and a command
with `--with six` (resolved from the platform's package index: the host's local pip sources).
Next to them, `hf jobs run` of the same command on the plain python runtime image.

    .venv/bin/python bench/jobs_uv_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchkit import free_port, launch_platform, platform_env, seconds_to_line, summary, wait_http

LINE = "first line"
HF = str(Path(sys.executable).parent / "hf")
UV_IMAGE = "spacehost/uv:python3.11-bookworm"


def wait_image(image: str, timeout: float = 900) -> None:
    end = time.monotonic() + timeout
    while subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode:
        if time.monotonic() > end:
            raise AssertionError(f"the platform did not make {image}")
        time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="jobs-uv-bench-"))
    port = free_port()
    # slots for more than one job: a run must not wait for the last one's container to go
    env = platform_env(data, port, {"SPACEHOST_BUILTIN_CONTENT": "0", "SPACEHOST_MAX_JOBS": "4"})
    proc = launch_platform(data, port, env)
    try:
        wait_http(f"http://127.0.0.1:{port}/api/health")
        wait_image(UV_IMAGE)
        hf_env = {
            **os.environ,
            "HF_ENDPOINT": f"http://127.0.0.1:{port}",
            "HF_TOKEN": (data / "token").read_text().strip(),
            "HF_HOME": str(data / "hf"),
            "NO_COLOR": "1",
            "HF_HUB_DISABLE_EXPERIMENTAL_WARNING": "1",
        }
        work = data / "work"
        work.mkdir()
        (work / "first.py").write_text(f"print({LINE!r})\n")
        code = f"print({LINE!r})"
        cases = {
            "hf jobs run python:3.11 (no uv)": [
                HF, "jobs", "run", "python:3.11", "python", "-c", code
            ],
            "hf jobs uv run python -c": [HF, "jobs", "uv", "run", "python", "-c", code],
            "hf jobs uv run first.py (bucket upload)": [HF, "jobs", "uv", "run", "first.py"],
            "hf jobs uv run --with six python -c": [
                HF, "jobs", "uv", "run", "--with", "six", "python", "-c", f"import six; {code}"
            ],
        }  # fmt: skip
        for cmd in cases.values():
            # warm: the client's imports (uv's cache is per job)
            seconds_to_line(cmd, hf_env, LINE, work)
        for name, cmd in cases.items():
            times = [seconds_to_line(cmd, hf_env, LINE, work) for _ in range(args.runs)]
            print(summary(name, times))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)


if __name__ == "__main__":
    main()
