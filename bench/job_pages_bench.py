"""Jobs pages benchmark: server time of /jobs/{ns}, a job's page (1,000 log lines, a pushed
model whose metrics file has 2 metrics x 500 steps), that model's page with its curves, and the
movie-reviews dataset page with its preview.

The control plane's whole application (server/control.py) over a fresh data dir, served on a
loopback port from a thread of this process (jobs run by the in-memory engine of
tests/support/fake_jobs.py, so no container is involved), 50 jobs in the namespace; sequential
GETs on one keep-alive connection after 20 warm-up requests.

    PYTHONPATH=platform .venv/bin/python bench/job_pages_bench.py [--requests 300]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.fake_jobs import IMAGE, FakeJobContainers, fake_jobs  # noqa: E402
from tests.support.platforms import platform_in  # noqa: E402
from tests.support.served_app import served  # noqa: E402

from spacehost.appkeys import ACCOUNTS, HUB, JOBS  # noqa: E402
from spacehost.domain import RepoKind  # noqa: E402
from spacehost.identity.records import Role  # noqa: E402
from spacehost.lifecycle.jobspec import parse_job_spec  # noqa: E402
from spacehost.server.content import MOVIE_REVIEWS, builtins, import_builtin  # noqa: E402
from spacehost.server.control import make_app  # noqa: E402
from spacehost.store.jobs import JobPush  # noqa: E402


def times(url: str, path: str, token: str, n: int) -> tuple[float, float]:
    host, port = url.split("//", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port))
    out = []
    for i in range(20 + n):
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200, (path, resp.status)
        if i >= 20:
            out.append((time.perf_counter() - t0) * 1000)
    out.sort()
    return statistics.median(out), out[int(len(out) * 0.95)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        engine = FakeJobContainers()
        with platform_in(tmp) as platform:
            app = make_app(platform, "sh_op", jobs=fake_jobs(tmp, engine, max_jobs=60))
            app[ACCOUNTS].add_user("bob")
            token = app[ACCOUNTS].create_token("bob", "bench", Role.WRITE).value
            import_builtin(app[HUB], [b for b in builtins() if b.repo_id == MOVIE_REVIEWS])
            jobs = app[JOBS]
            spec = {"dockerImage": IMAGE, "command": ["python", "train.py"]}
            rows = [jobs.submit("bob", parse_job_spec(spec), {"name": "bob"}) for _ in range(50)]
            job = rows[-1]
            for i in range(1000):
                jobs.store.add_log(job.id, time.time(), f"step {i} loss={1 / (i + 1):.4f}")
            model = tmp / "model"
            model.mkdir()
            (model / "README.md").write_text("---\nlicense: mit\n---\n# curves\n")
            (model / "metrics.jsonl").write_text(
                "".join(
                    json.dumps({"step": s, "train/loss": 1 / (s + 1), "eval/accuracy": s / 500})
                    + "\n"
                    for s in range(500)
                )
            )
            commit = app[HUB].push(RepoKind.MODEL, "bob/curves", model, message="bench")
            jobs.store.add_push(JobPush(job.id, "model", "bob/curves", commit.sha, time.time()))
            with served(app) as url:
                for path in (
                    "/jobs/bob",
                    f"/jobs/bob/{job.id}",
                    "/bob/curves",
                    f"/datasets/{MOVIE_REVIEWS}",
                ):
                    p50, p95 = times(url, path, token, args.requests)
                    print(f"| `GET {path}` | {p50:.2f} ms | {p95:.2f} ms |")
            engine.end_all()


if __name__ == "__main__":
    main()
