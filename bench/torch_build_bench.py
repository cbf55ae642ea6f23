"""Build time of a CPU space with ``torch`` + ``transformers`` requirements: cold (no layer
cache for the space image), then a code-only push, with the local pip mirror and the CPU torch
pin (docs/builds.md). Runs DockerBuilder against the local Docker Engine with this host's pip
configuration; the runtime images are made first if missing (not timed).

    .venv/bin/python bench/torch_build_bench.py [--requirements "torch transformers"] [--off]

``--off`` builds the same space a third time, cold, with ``SPACEHOST_CPU_TORCH=off`` (pip's own
torch choice: the CUDA build and its nvidia-* wheels, several GB) for comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import tempfile
import time
from pathlib import Path

import docker

from spacehost.builder import DockerBuilder
from spacehost.domain import Sdk, SpaceId
from spacehost.manifest.model import Manifest, SpaceSource
from spacehost.settings import Settings

APP = "import gradio as gr\n\ngr.Interface(lambda s: s[::-1], 'text', 'text').launch()  # {n}\n"


def source(requirements: list[str], n: int) -> SpaceSource:
    return SpaceSource(
        manifest=Manifest(title="Bench", sdk=Sdk.GRADIO, python_version="3.11"),
        files={
            "app.py": APP.format(n=n).encode(),
            "requirements.txt": "".join(f"{r}\n" for r in requirements).encode(),
        },
        requirements=tuple(requirements),
    )


def build(
    builder: DockerBuilder, space: SpaceId, src: SpaceSource, rev: str, nocache: bool
) -> tuple[float, int, int, list[str]]:
    lines: list[str] = []
    started = time.perf_counter()
    result = builder.build(src, space, rev * 40, on_log=lines.append, nocache=nocache)
    elapsed = time.perf_counter() - started
    size = int(builder._client.images.get(result.image).attrs["Size"])
    return elapsed, size, len(result.cached_steps), lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requirements", default="torch transformers")
    parser.add_argument("--off", action="store_true")
    args = parser.parse_args()
    reqs = args.requirements.split()
    client = docker.from_env(timeout=3600)
    space = SpaceId("bench", "torch-build")
    with tempfile.TemporaryDirectory() as data:
        builder = DockerBuilder(client, Settings.from_env(data_dir=Path(data)))
        try:
            builder.ensure_runtime("3.11", on_log=lambda _line: None)
            cold, size, _, lines = build(builder, space, source(reqs, 1), "a", nocache=True)
            torch_line = next((ln for ln in lines if ln.startswith("--> torch:")), "")
            wheel = next((ln.strip() for ln in lines if re.match(r"\s*Downloading torch-", ln)), "")
            print(f"requirements: {' '.join(reqs)}")
            print(f"{torch_line}\n{wheel}")
            print(f"cold build: {cold:.1f} s, image {size / 1e9:.2f} GB")
            code, _, cached, _ = build(builder, space, source(reqs, 2), "b", nocache=False)
            print(f"code-only push: {code:.1f} s ({cached} steps from the cache)")
            if args.off:
                off = DockerBuilder(
                    client, Settings.from_env({"SPACEHOST_CPU_TORCH": "off"}, data_dir=Path(data))
                )
                t, s, _, _ = build(off, space, source(reqs, 3), "c", nocache=True)
                print(f"cold build with SPACEHOST_CPU_TORCH=off: {t:.1f} s, image {s / 1e9:.2f} GB")
        finally:
            for image in client.images.list(name="spacehost-space/bench--torch-build"):
                for tag in image.tags:
                    with contextlib.suppress(docker.errors.APIError):
                        client.images.remove(tag, force=True)
            builder.close()


if __name__ == "__main__":
    main()
