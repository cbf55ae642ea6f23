"""Stand-ins for public base images (issue 13): first-make time and size of each.

For each image reference given, the stand-in spacehost would use for it on a host with no
registry (a ``spacehost/compat-*`` tag) is removed if present and made again without Docker's
layer cache, with the builder's own machinery (the host's pip configuration and CA bundle
included), timed, and its size printed. The Debian base ``spacehost/base:SUITE`` it starts from
is shared with the runtime images and kept; where it is missing, its bootstrap is in the time.

    .venv/bin/python bench/compat_bases_bench.py python:3.11-slim python:3.11 debian:bookworm-slim
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

import docker
import docker.errors

from spacehost.builder.compat_bases import compat_for
from spacehost.builder.docker_builder import DockerBuilder
from spacehost.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("refs", nargs="+", help="base images as a Dockerfile names them")
    args = parser.parse_args()
    client = docker.from_env(timeout=600)
    with tempfile.TemporaryDirectory() as data:
        settings = Settings.from_env(data_dir=Path(data))
        builder = DockerBuilder(client, settings)
        plan = builder._pip_plan()  # the pip configuration of a build now
        try:
            for ref in args.refs:
                compat = compat_for(ref, settings.compat_suites)
                _remove(client, compat.tag)
                started = time.monotonic()
                builder.compat_images.ensure(
                    compat,
                    plan,
                    on_log=lambda line: None,
                    on_progress=lambda line: None,
                    deadline=time.monotonic() + 3600,
                    nocache=True,  # images built FROM it keep its layers in the cache
                )
                took = time.monotonic() - started
                size = client.images.get(compat.tag).attrs["Size"] / 1e6
                print(f"{ref:28} -> {compat.tag:45} made in {took:6.1f} s, {size:5.0f} MB")
        finally:
            builder.close()
            client.close()


def _remove(client: docker.DockerClient, tag: str) -> None:
    with contextlib.suppress(docker.errors.ImageNotFound):
        client.images.remove(tag)


if __name__ == "__main__":
    main()
