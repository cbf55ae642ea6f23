"""What making a git commit of every space push costs (issue 15, docs/git.md): the time of
``SpaceCommits.compose`` -- blobs, trees, the commit, the ref moved -- for a push, next to
writing the same bytes to disk (the revision folder each push writes already).

Three pushes, ``--rounds`` times, on a fresh data dir in /tmp, each way:

- a first push of spaces/hello with a ``--size`` MiB file of random bytes (a new blob: the
  worst case, nothing to compress);
- a code-only push on top of it (every blob already stored);
- a push of spaces/hello alone (a typical small space).

Ways: the loose objects as spacehost stores them (uncompressed, ``core.looseCompression = 0``)
and as dulwich does by default (zlib level 6). The baseline: writing the large file and
fsyncing it. Medians (range).

    .venv/bin/python bench/space_commit_bench.py [--size 50] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import benchkit
from spacehost.domain import SpaceId
from spacehost.manifest import read_folder
from spacehost.store import Store, revision_hash, spacecommits
from spacehost.store.gitrepos import GitRepos

HELLO = read_folder(benchkit.ROOT / "spaces" / "hello")


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _commit(sc: spacecommits.SpaceCommits, space: SpaceId, files: dict[str, bytes]) -> float:
    revision = revision_hash(files)
    return _timed(lambda: sc.compose(space, revision, files))


def _round(sc: spacecommits.SpaceCommits, n: int, size: int) -> tuple[float, float, float]:
    space = SpaceId("bench", f"big{n}")
    big = {**HELLO, "weights.bin": os.urandom(size << 20)}
    first = _commit(sc, space, big)
    code = _commit(sc, space, {**big, "app.py": HELLO["app.py"] + f"\n# {n}\n".encode()})
    small = _commit(sc, SpaceId("bench", "hello"), {**HELLO, "app.py": HELLO["app.py"] + b"#"})
    return first, code, small


def _disk(size: int, root: Path) -> float:
    data = os.urandom(size << 20)

    def write() -> None:
        path = root / f"copy-{time.monotonic_ns()}"
        with path.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    return _timed(write)


def _show(label: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{label} {statistics.median(ms):.0f} ms ({min(ms):.0f}-{max(ms):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=50, help="the large file, MiB")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    keep_default = spacecommits._fast_loose_objects
    for way, setup in (("uncompressed", keep_default), ("zlib 6", lambda repo: None)):
        spacecommits._fast_loose_objects = setup
        root = Path(tempfile.mkdtemp(prefix="space-commit-bench-"))
        sc = spacecommits.SpaceCommits(Store(root / "db.sqlite"), GitRepos(root / "git"))
        rows = [_round(sc, n, args.size) for n in range(args.rounds)]
        print(
            f"{way}: "
            + ", ".join(
                _show(label, [r[i] for r in rows])
                for i, label in enumerate(
                    (f"first push with {args.size} MiB", "code-only push on top", "spaces/hello")
                )
            )
        )
    root = Path(tempfile.mkdtemp(prefix="space-commit-bench-"))
    print(
        _show(
            f"baseline: write+fsync {args.size} MiB",
            [_disk(args.size, root) for _ in range(args.rounds)],
        )
    )
    spacecommits._fast_loose_objects = keep_default


if __name__ == "__main__":
    main()
