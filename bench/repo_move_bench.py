"""Moving a model (``POST /api/repos/move``, ``HubStore.move``): its cost next to what the only
way before it cost, copying the repo's bytes to a new one (``hf upload`` to the new id, then
deleting the old one).

Builds, in a fresh hub under a temporary folder: a "many files" model (``--files`` small files
changed over ``--commits`` commits: many rows, many snapshot links) and a "large file" model
(one ``--mib`` MiB file). Each is moved back and forth ``--rounds`` times; the baseline is
``shutil.copytree`` of the repo's bytes (one snapshot's files, links followed), the least a copy
to a new repo costs. Prints medians and ranges in milliseconds.

    .venv/bin/python bench/repo_move_bench.py [--files 2000] [--commits 20] [--mib 512]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from spacehost.domain import RepoKind
from spacehost.store import HubStore

M = RepoKind.MODEL


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def many_files(hub: HubStore, root: Path, files: int, commits: int) -> None:
    folder = root / "many"
    for c in range(commits):
        for i in range(files):
            path = folder / f"d{i % 50}" / f"f{i}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{i} {c if i % commits == c else 0}\n")
        hub.push(M, "bench/many", folder, f"commit {c}")


def large_file(hub: HubStore, root: Path, mib: int) -> None:
    folder = root / "large"
    folder.mkdir()
    with open(folder / "model.safetensors", "wb") as fh:
        for _ in range(mib):
            fh.write(os.urandom(1 << 20))
    hub.push(M, "bench/large", folder, "weights", move=True)


def back_and_forth(hub: HubStore, repo_id: str) -> Callable[[], None]:
    names = [repo_id, repo_id + "-moved"]

    def move() -> None:
        hub.move(M, names[0], names[1])
        names.reverse()

    return move


def copy_of(hub: HubStore, repo_id: str, dest: Path) -> Callable[[], None]:
    def copy() -> None:
        for name in (repo_id, repo_id + "-moved"):
            if hub.exists(M, name):
                snap = hub.cache_dir(M, name) / "snapshots" / hub.resolve(M, name).sha
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(snap, dest)  # links followed: the bytes
        os.sync()

    return copy


def report(label: str, values: list[float]) -> None:
    print(f"{label:<44} {statistics.median(values):9.1f} ms ({min(values):.1f}-{max(values):.1f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--commits", type=int, default=20)
    ap.add_argument("--mib", type=int, default=512)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        root = Path(tmp)
        hub = HubStore(root / "hub")
        try:
            many_files(hub, root, args.files, args.commits)
            large_file(hub, root, args.mib)
            rows = args.files * args.commits
            report(
                f"move: {args.files} files x {args.commits} commits ({rows} rows)",
                timed(back_and_forth(hub, "bench/many"), args.rounds),
            )
            report(
                f"copy: those {args.files} files",
                timed(copy_of(hub, "bench/many", root / "c1"), args.rounds),
            )
            report(
                f"move: one {args.mib} MiB file",
                timed(back_and_forth(hub, "bench/large"), args.rounds),
            )
            report(
                f"copy: that {args.mib} MiB file (+ sync)",
                timed(copy_of(hub, "bench/large", root / "c2"), args.rounds),
            )
        finally:
            hub.close()


if __name__ == "__main__":
    main()
