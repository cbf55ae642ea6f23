"""Hub pages benchmark: server time of /models, a model's page and its tabs, a file page, and
/docs, through the router.

Runs a real platform (`spacehost up`, with its built-in MiniLM model and movie-reviews
dataset) on a free port with a fresh data dir, pushes 30 more small model repos, and 50
``sdk: static`` spaces of which half name MiniLM in ``models:`` (so "Spaces using this" has
something to scan), then times sequential GETs on one keep-alive connection (after 20 warm-up
requests). Goal: p50 <= 50 ms, the gallery's.

    .venv/bin/python bench/hub_pages_bench.py [--requests 400]
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import free_port, launch_platform, platform_env, push_archive, wait_http
from gallery_bench import (  # a sibling script, not a package
    CLI,
    row,
    timings,
    wait_all_running,
)

# isort: split
# after benchkit, which puts the repository's root on sys.path
from tests.support.tarballs import make_tar

MODELS = 30
SPACES = 50
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
GOAL_MS = 50.0


def space_archive(i: int) -> bytes:
    models = f"models: [{MINILM}]\n" if i % 2 == 0 else ""
    readme = f"---\ntitle: Demo {i}\nsdk: static\napp_file: index.html\n{models}---\n\n# Demo {i}\n"
    return make_tar([("README.md", readme.encode()), ("index.html", b"<h1>x</h1>")])


def push_spaces(base: str, token: str) -> None:
    for i in range(SPACES):
        push_archive(base, token, f"bench/demo-{i:02d}", space_archive(i))


def push_models(env: dict[str, str], work: Path) -> None:
    for i in range(MODELS):
        folder = work / f"model-{i:02d}"
        folder.mkdir()
        (folder / "README.md").write_text(
            f"---\nlicense: mit\npipeline_tag: text-classification\ntags: [bench, t{i % 5}]\n"
            f"---\n\n# Model {i}\n\nA small repo for the benchmark.\n"
        )
        (folder / "config.json").write_text('{"model_type": "bert"}')
        (folder / "model.safetensors").write_bytes(os.urandom(4096) * (i + 1))
        subprocess.run(
            [*CLI, "push", str(folder), "--type", "model", "--name", f"bench/model-{i:02d}"],
            env=env,
            check=True,
            capture_output=True,
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=400)
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="hub-pages-bench-"))
    port = free_port()
    env = platform_env(data, port, {})
    proc = launch_platform(data, port, env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/api/health")
        push_models(env, data)
        push_spaces(base, (data / "token").read_text().strip())
        wait_all_running(base)
        n = args.requests
        print(
            f"{MODELS + 1} models, {SPACES} spaces ({SPACES // 2} naming {MINILM}); "
            f"{n} sequential keep-alive GETs each, through the router"
        )
        for path in (
            "/models",
            "/models?q=model-1&tag=bench",
            "/datasets",
            f"/{MINILM}",
            f"/{MINILM}?tab=files",
            f"/{MINILM}?tab=revisions",
            f"/{MINILM}/blob/main/config.json",
            "/datasets/spacehost/movie-reviews",
            "/docs",
            "/docs/hub",
        ):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            row(f"GET {path}", timings(conn, path, n), GOAL_MS)
    finally:
        proc.send_signal(signal.SIGINT)  # the router too
        proc.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
