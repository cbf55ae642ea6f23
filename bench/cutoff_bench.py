"""What the cut-off (docs/builds.md "Resolving as of the space's date") costs a new space: the
same space (no sdk_version, a small requirements.txt) built with ``SPACEHOST_RESOLVE_AS_OF=off``
and with the default (its push date), cold (no layer cache for the space image) and warm (a
code-only push), side by side; then whether both images hold the same packages, and how long
the cut-off decision takes for an old-gradio space once the release dates are cached.

Runs DockerBuilder against the local Docker Engine with this host's pip configuration; the
runtime images are made first if missing (not timed).

    .venv/bin/python bench/cutoff_bench.py [--requirements "six humanize"] [--rounds 2]
        [--mirror-address 172.31.250.1]

``--mirror-address`` serves the local pip mirror on another address of this host (a bridge of
your own, ``docker network create``) for a host where an older spacehost holds the shared
mirror port: its pages have no upload times, so dated steps would fall back there.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import docker

from spacehost.asof import parse_as_of
from spacehost.builder import DockerBuilder
from spacehost.domain import Sdk, SpaceId
from spacehost.manifest.model import Manifest, SpaceSource
from spacehost.settings import Settings

APP = "import gradio as gr\n\ngr.Interface(lambda s: s[::-1], 'text', 'text').launch()  # {n}\n"
MODES = ("off", "revision")


def source(requirements: list[str], n: int, sdk_version: str | None = None) -> SpaceSource:
    return SpaceSource(
        manifest=Manifest(
            title="Bench", sdk=Sdk.GRADIO, python_version="3.11", sdk_version=sdk_version
        ),
        files={
            "app.py": APP.format(n=n).encode(),
            "requirements.txt": "".join(f"{r}\n" for r in requirements).encode(),
        },
        requirements=tuple(requirements),
    )


class Timed:
    """A build's wall time, the builder's own part of it (until it hands the context to the
    engine: `--> building`), and how many steps came from the cache."""

    def __init__(
        self, builder: DockerBuilder, space: SpaceId, src: SpaceSource, rev: str, nocache: bool
    ):
        self.lines: list[str] = []
        self.planned = 0.0
        started = time.perf_counter()

        def log(line: str) -> None:
            if line.startswith("--> building spacehost-space/"):
                self.planned = time.perf_counter() - started
            self.lines.append(line)

        result = builder.build(src, space, rev, on_log=log, nocache=nocache)
        self.total = time.perf_counter() - started
        self.image = result.image
        self.cached = f"{len(result.cached_steps)}/{len(result.steps)}"


def freeze(client: docker.DockerClient, image: str) -> list[str]:
    out = client.containers.run(image, ["pip", "freeze"], remove=True, network_mode="none")
    return sorted(bytes(out).decode().split())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requirements", default="six humanize")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--mirror-address", default="")
    args = parser.parse_args()
    reqs = args.requirements.split()
    client = docker.from_env(timeout=3600)
    with tempfile.TemporaryDirectory() as tmp:
        builders = {
            mode: DockerBuilder(
                client,
                Settings.from_env({}, data_dir=Path(tmp) / mode, resolve_as_of=parse_as_of(mode)),
            )
            for mode in MODES
        }
        for builder in builders.values():
            if args.mirror_address:
                builder._gateway = args.mirror_address
        builders["off"].ensure_runtime("3.11", on_log=lambda _line: None)
        times: dict[tuple[str, str], list[float]] = {}
        images: dict[str, str] = {}
        try:
            for round_no in range(args.rounds):
                for mode in MODES if round_no % 2 == 0 else MODES[::-1]:
                    space = SpaceId("bench", f"cutoff-{mode.replace('revision', 'on')}")
                    rev = f"{round_no:02d}{mode[:2]}".ljust(64, "0")
                    cold = Timed(builders[mode], space, source(reqs, 0), rev, True)
                    images[mode] = cold.image
                    note = [ln for ln in cold.lines if ln.startswith("--> resolving")]
                    warm = Timed(builders[mode], space, source(reqs, 1), rev[::-1], False)
                    for kind, t in (("cold", cold), ("warm", warm)):
                        print(
                            f"round {round_no + 1} {mode:8} {kind} {t.total:6.1f} s, builder "
                            f"{t.planned:.2f} s, cached steps {t.cached}  {note[0][:70]}"
                        )
                        times.setdefault((mode, kind), []).append(t.total)
                        times.setdefault((mode, kind + " (builder)"), []).append(t.planned)
            report(times)
            same = freeze(client, images["off"]) == freeze(client, images["revision"])
            print(f"same packages in both images (pip freeze): {'yes' if same else 'NO'}")
            decision(builders["revision"])
        finally:
            for builder in builders.values():
                builder.close()
            for image in client.images.list(filters={"label": "spacehost.space=bench/cutoff-on"}):
                with contextlib.suppress(docker.errors.APIError):
                    client.images.remove(image.id, force=True)
            for image in client.images.list(filters={"label": "spacehost.space=bench/cutoff-off"}):
                with contextlib.suppress(docker.errors.APIError):
                    client.images.remove(image.id, force=True)


def report(times: dict[tuple[str, str], list[float]]) -> None:
    print("\n| build | off (today's) | cut-off (push date) | ratio |")
    print("|---|---|---|---|")
    for kind in ("cold", "warm", "cold (builder)", "warm (builder)"):
        off = statistics.median(times[("off", kind)])
        on = statistics.median(times[("revision", kind)])
        print(f"| {kind} | {off:.2f} s | {on:.2f} s | {on / off:.2f} |")


def decision(builder: DockerBuilder) -> None:
    """The cut-off decision of a new space (its dependency date and cut-off, the builder's
    whole added work for it), then of an old-gradio space: the first asks the index, later
    ones read the disk cache."""
    plan = builder._pip_plan()
    new, space = source(["six"], 0), SpaceId("bench", "cutoff-decision")
    started = time.perf_counter()
    for _ in range(100):
        pushed = builder._dependency_date(new, space, None)
        builder._cutoff(new, datetime.fromtimestamp(pushed, UTC), plan)
    print(f"cut-off decision, new space: {(time.perf_counter() - started) * 10:.2f} ms")
    old = source(["six"], 0, sdk_version="5.9.1")
    for label in ("first (index)", "cached"):
        started = time.perf_counter()
        cutoff = builder._cutoff(old, datetime.now(UTC), plan)
        print(
            f"cut-off decision, {label}: {(time.perf_counter() - started) * 1000:.1f} ms -> "
            f"{cutoff.pip_value}"
        )


if __name__ == "__main__":
    main()
