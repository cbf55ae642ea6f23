"""Jobs benchmark: `hf jobs run` to its first log line on a warm image (issue 16; goal <= 2 s).

Runs a real platform (`spacehost up`, its own data dir) and the unchanged `hf` CLI against it
(HF_ENDPOINT), timing from starting `hf jobs run IMAGE python -c "print('first line')"` to that
line on its output. Next to it: the same through HfApi in one warm process (``run_job`` then the
first line of ``fetch_job_logs(follow=True)``: the platform's part without the CLI's start-up),
`hf jobs --help` (the CLI's start-up alone) and `docker run --rm` of the same command (the
engine's own floor).

    .venv/bin/python bench/jobs_bench.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchkit import free_port, launch_platform, platform_env, seconds_to_line, summary, wait_http

IMAGE = "spacehost/python:3.11-bookworm"
LINE = "first line"
GOAL_S = 2.0
HF = str(Path(sys.executable).parent / "hf")


def api_first_line_s(env: dict[str, str], runs: int) -> list[float]:
    """HfApi.run_job + the first followed log line, *runs* times in one warm process."""
    code = f"""
import time
from huggingface_hub import HfApi
api = HfApi()
api.whoami()
for _ in range({runs} + 1):
    start = time.perf_counter()
    job = api.run_job(image={IMAGE!r}, command=["python", "-c", "print({LINE!r})"])
    line = next(iter(api.fetch_job_logs(job_id=job.id, follow=True)))
    assert line == {LINE!r}, line
    print(time.perf_counter() - start, flush=True)
    api.wait_for_job(job.id)
"""
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return [float(x) for x in out.stdout.split()][1:]  # the first one warms


def startup_s(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([HF, "jobs", "--help"], env=env, capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="jobs-bench-"))
    port = free_port()
    env = platform_env(data, port, {"SPACEHOST_BUILTIN_CONTENT": "0"})
    proc = launch_platform(data, port, env)
    try:
        wait_http(f"http://127.0.0.1:{port}/api/health")
        hf_env = {
            **os.environ,
            "HF_ENDPOINT": f"http://127.0.0.1:{port}",
            "HF_TOKEN": (data / "token").read_text().strip(),
            "HF_HOME": str(data / "hf"),
            "NO_COLOR": "1",
        }
        code = f"print({LINE!r})"
        run = [HF, "jobs", "run", IMAGE, "python", "-c", code]
        seconds_to_line(run, hf_env, LINE)  # warm: the client's imports, the engine's caches
        jobs = [seconds_to_line(run, hf_env, LINE) for _ in range(args.runs)]
        api = api_first_line_s(hf_env, args.runs)
        startup = [startup_s(hf_env) for _ in range(args.runs)]
        bare = ["docker", "run", "--rm", IMAGE, "python", "-c", code]
        docker = [seconds_to_line(bare, dict(os.environ), LINE) for _ in range(args.runs)]
        print(summary("hf jobs run -> first log line", jobs))
        print(summary("HfApi.run_job -> first followed line (warm process)", api))
        print(summary("hf jobs --help (the CLI's start-up alone)", startup))
        print(summary("docker run --rm -> first line", docker))
        p50 = statistics.median(jobs)
        print(f"goal <= {GOAL_S:.1f} s: {'met' if p50 <= GOAL_S else 'NOT met'} (p50 {p50:.2f} s)")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)


if __name__ == "__main__":
    main()
