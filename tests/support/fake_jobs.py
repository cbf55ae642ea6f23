"""A job engine for unit tests of the job runner and the jobs API: containers that run until a
test ends them (``finish``), printing the lines a test gives them (``say``). The e2e tests run
the real one (runtime/jobcontainers.py) on the Docker Engine."""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacehost.builder.jobindex import JobIndex
from spacehost.builder.runtime_images import python_image_tag
from spacehost.errors import NotFound
from spacehost.lifecycle.gpuledger import GpuLedger
from spacehost.lifecycle.jobflavors import GIB, HostResources
from spacehost.lifecycle.jobs import Jobs, JobsConfig, JobTokens
from spacehost.lifecycle.jobschedule import Schedules
from spacehost.lifecycle.volumes import volume_mounts
from spacehost.runtime.jobcontainers import JobContainerSpec, JobContainerState
from spacehost.runtime.nodes import NodeInfo
from spacehost.settings import Settings
from spacehost.store import SecretCipher
from spacehost.store.jobs import JobStore

IMAGE = "spacehost/python:3.11-bookworm"  # what a user asks for
MADE = python_image_tag("3.11", "debian:bookworm")  # what `spacehost prepare` makes: -hf1
ENDPOINT = "http://platform.test"


@dataclass
class _Container:
    spec: JobContainerSpec
    lines: list[str] = field(default_factory=list)
    exit_code: int | None = None
    oom: bool = False


class FakeJobContainers:
    """:class:`spacehost.runtime.jobcontainers.JobContainers` in memory."""

    def __init__(self, images: tuple[str, ...] = (MADE,)):
        self.containers: dict[str, _Container] = {}
        self.stopped: list[str] = []
        self.removed: list[str] = []
        self.closed = False
        self.endpoints = 0  # how often the way to the platform was asked for (made ready)
        self.samples: dict[str, list[dict[str, Any]]] = {}  # stats samples by container id
        self._images = list(images)
        self._ids = itertools.count(1)
        self._cv = threading.Condition()

    # what a test does
    def say(self, cid: str, line: str) -> None:
        with self._cv:
            self.containers[cid].lines.append(line)
            self._cv.notify_all()

    def finish(self, cid: str, code: int = 0, *, oom: bool = False) -> None:
        with self._cv:
            c = self.containers[cid]
            if c.exit_code is None:
                c.exit_code, c.oom = code, oom
            self._cv.notify_all()

    def end_all(self) -> None:
        """A test's teardown: every container exits (their followers end)."""
        for cid in list(self.containers):
            self.finish(cid, 137)

    def running(self) -> list[str]:
        with self._cv:
            return [cid for cid, c in self.containers.items() if c.exit_code is None]

    def of_job(self, job_id: str) -> str:
        return next(cid for cid, c in self.containers.items() if c.spec.job_id == job_id)

    # the protocol
    def has_image(self, image: str) -> bool:
        return image in self._images

    def images(self) -> list[str]:
        return list(self._images)

    def start(self, spec: JobContainerSpec) -> str:
        if spec.image not in self._images:
            raise NotFound(f"image {spec.image} not found", hint="pull it")
        cid = f"c{next(self._ids)}"
        with self._cv:
            self.containers[cid] = _Container(spec)
        return cid

    def state(self, container_id: str) -> JobContainerState | None:
        c = self.containers.get(container_id)
        if c is None or container_id in self.removed:
            return None
        return JobContainerState(
            container_id, c.spec.job_id, c.exit_code is None, c.exit_code, c.oom, c.spec.gpu_ids
        )

    def stats(self, container_id: str) -> Iterator[dict[str, Any]]:
        """The samples a test put in ``samples[container_id]`` (Docker's shape), then none."""
        return iter(self.samples.get(container_id, []))

    def follow_logs(self, container_id: str, since: float | None = None) -> Iterator[str]:
        c = self.containers[container_id]
        sent = 0

        def news(n: int) -> bool:
            return len(c.lines) > n or c.exit_code is not None

        while True:
            with self._cv:
                self._cv.wait_for(functools.partial(news, sent))
                new, done = c.lines[sent:], c.exit_code is not None
            yield from new
            sent += len(new)
            if done and sent == len(c.lines):
                return

    def stop(self, container_id: str, timeout: float = 5) -> None:
        self.stopped.append(container_id)
        self.finish(container_id, 143)

    def remove(self, container_id: str) -> None:
        self.removed.append(container_id)

    def list_jobs(self) -> list[JobContainerState]:
        states = (self.state(cid) for cid in self.containers)
        return [s for s in states if s is not None]

    def endpoint(self) -> str:
        self.endpoints += 1
        return ENDPOINT

    def close(self) -> None:
        self.closed = True


def fake_jobs(
    data: Path,
    engine: FakeJobContainers,
    *,
    max_jobs: int = 1,
    gpus: int = 0,
    tokens: JobTokens | None = None,
    ledger: GpuLedger | None = None,
    package_index: JobIndex | None = None,
    gpu_listing: Callable[[], list[dict[str, Any]]] = list,
    nodes: Callable[[], Sequence[NodeInfo]] | None = None,
) -> tuple[Jobs, Schedules]:
    """A job runner over *engine* with its database in *data* (a 2-core, 8 GiB host); its
    GPUs are *ledger*'s (shared with a platform's spaces) when given, else *gpus* of its own;
    with *nodes*, its jobs run on a swarm's nodes (lifecycle/jobnodes.py)."""
    gpus = len(ledger.gpu_ids) if ledger is not None else gpus
    jobs = Jobs(
        JobStore(data / "jobs.db"),
        engine,
        HostResources(2, 8 * GIB, gpus, "H100" if gpus else ""),
        JobsConfig(max_jobs=max_jobs),
        space_image=lambda space: None,
        box=SecretCipher(data / "secret.key"),
        tokens=tokens,
        gpus=ledger,
        # bucket volumes as the platform mounts them, the buckets beside *data* (api/buckets.py)
        volume_mounts=functools.partial(volume_mounts, Settings(data_dir=data)),
        package_index=package_index,
        gpu_listing=gpu_listing,
        nodes=nodes,
    )
    return jobs, Schedules(jobs)
