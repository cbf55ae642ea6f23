"""Jobs: a queue with a bounded number running at once, one container a job, logs into the
store, time limits, cancel, and adoption of running jobs when the platform starts again
(docs/jobs.md). No HTTP here: api/jobs.py calls these methods from worker threads.

Stages as Hugging Face's: SCHEDULING (waiting for capacity) → RUNNING → COMPLETED | ERROR |
CANCELED. The first end wins (store.finish): a cancel or a time limit is not overwritten by the
container's exit that it causes.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Protocol

from spacehost.builder.contract import CONTRACT
from spacehost.builder.jobindex import JobIndex
from spacehost.errors import EngineUnavailable, NotFound, NotSupported, SpacehostError
from spacehost.lifecycle.gpuledger import GpuLedger
from spacehost.lifecycle.jobflavors import (
    HostResources,
    Limits,
    gpus_of_flavor,
    limits_for,
    offered,
)
from spacehost.lifecycle.jobmetrics import MetricsReader, gpu_figures, stopped
from spacehost.lifecycle.jobnodes import host_for_flavor, offered_on_nodes
from spacehost.lifecycle.jobspec import DEFAULT_FLAVOR, JobSpec, parse_job_spec
from spacehost.lifecycle.uvimages import is_uv_image, local_uv_image
from spacehost.lifecycle.volumes import SpaceVolume
from spacehost.nodelabels import NodeLabels
from spacehost.runtime.base import Mount
from spacehost.runtime.jobcontainers import JobContainers, JobContainerSpec, JobContainerState
from spacehost.runtime.nodes import NodeInfo
from spacehost.runtime.nvml import list_gpus
from spacehost.store.jobs import JobRow, JobStore

log = logging.getLogger(__name__)

TERMINAL = frozenset({"COMPLETED", "CANCELED", "ERROR", "DELETED"})
ERROR_TAIL_LINES = 10
STOP_GRACE_S = 5
TOKEN_MARGIN_S = 600
DEFAULT_TOKEN_TTL_S = 24 * 3600
# how often a GPU job that waits looks again: a space frees its GPU by going to sleep, which
# the job runner is not told of
GPU_RECHECK_S = 1.0
# a GPU a job on the swarm reserves on its node (not one of this host's)
NODE_GPU = "node"
NO_INDEX_NOTE = (
    "spacehost: jobs reach this platform and nothing else, and it offers them no package index "
    "(its host has no local pip source): `--with` packages and a script's dependencies cannot "
    "be installed. Use packages the image has, or ask the operator to add a local index or "
    "wheel folder to the host's pip configuration (docs/jobs.md, 'uv scripts')"
)
_PYTHON_TAG = re.compile(r"^(?:spacehost/)?python:(\d+\.\d+)(?:[-.].*)?$")


class JobTokens(Protocol):
    """Short-lived tokens a job reaches the hub with, as the user who submitted it."""

    def issue(self, user: str, job_id: str, ttl_s: int) -> tuple[str, int] | None:
        """A token ``(value, id)`` for *user* valid *ttl_s* seconds; None when *user* has no
        account (the platform's operator token)."""
        ...

    def revoke(self, token_id: int) -> None: ...


class SecretBox(Protocol):
    def encrypt(self, value: str) -> str: ...

    def decrypt(self, token: str, *, name: str = ...) -> str: ...


@dataclass(frozen=True)
class JobsConfig:
    """How jobs run: at most *max_jobs* at once."""

    max_jobs: int


def new_job_id() -> str:
    """A 24-hex id, the shape of HF's job ids."""
    return secrets.token_hex(12)


def resolve_image(
    spec: JobSpec, containers: JobContainers, space_image: Callable[[str], str | None]
) -> str:
    """The engine image a job runs: a space's current image, the image named, a runtime image
    by its short name (``python:3.11-bookworm`` → ``spacehost/python:3.11-bookworm``;
    ``python:3.11`` → a ``spacehost/python:3.11-…`` image present).

    Raises:
        NotFound: no such space image, or the image is not in the engine.
    """
    if spec.space_id is not None:
        image = space_image(spec.space_id)
        if image is None or not containers.has_image(image):
            raise NotFound(
                f"space {spec.space_id} has no built image to run",
                hint=f"push the space first (`spacehost push DIR --name {spec.space_id}`)",
            )
        return image
    assert spec.image is not None
    if is_uv_image(spec.image):  # `hf jobs uv run`: spacehost's own uv image (uvimages.py)
        return local_uv_image(spec.image, containers.images()).image
    ours = spec.image if spec.image.startswith("spacehost/") else f"spacehost/{spec.image}"
    # the runtime images' tags end in the contract's version (spacehost/python:3.11-bookworm-hf1)
    for candidate in (spec.image, ours, f"{ours}-{CONTRACT}"):
        if containers.has_image(candidate):
            return candidate
    match = _PYTHON_TAG.match(spec.image)
    if match:
        prefix = f"spacehost/python:{match.group(1)}-"
        found = sorted(i for i in containers.images() if i.startswith(prefix))
        plain = [i for i in found if not i.endswith(f"-{CONTRACT}")]
        if plain or found:
            return (plain or found)[0]
    raise NotFound(
        f"image {spec.image!r} is not in this platform's Docker Engine (jobs use no registry)",
        hint="pull or build it on the platform's host (`docker pull IMAGE`), or run a runtime "
        "image such as spacehost/python:3.11-bookworm, or a space's image "
        "(hf.co/spaces/OWNER/NAME)",
    )


class Jobs:
    """The job runner.

    Args:
        store: the jobs database.
        containers: the engine's job containers; None: jobs cannot run (submits are refused).
        host: this host's resources (flavors → limits).
        config: capacity and the endpoint containers are given.
        space_image: a space's current image tag, or None.
        tokens: issues and revokes job tokens; None: jobs get none.
        box: encrypts stored secrets.
        clock: wall time.
        gpus: who holds each GPU, shared with the platform's GPU spaces (gpuledger.py);
            default: a ledger of the host's GPUs that only jobs use.
        volume_mounts: the bind mounts of a job's bucket volumes (lifecycle/volumes.py);
            None: a job with volumes ends in ERROR saying so.
        package_index: the host's local pip sources, offered to jobs through the platform
            (builder/jobindex.py); None: none.
        gpu_listing: the host's GPUs now (runtime/nvml.py), for a GPU job's live figures.
        nodes: the swarm's nodes now, when jobs run there (``SPACEHOST_SWARM_JOBS=swarm``):
            they, not *host*, say which flavors there are and a job's limits (jobnodes.py).
        node_labels: the labels a node needs to run a job (of a flavor) there (nodelabels.py):
            nodes without them count for nothing.
    """

    def __init__(
        self,
        store: JobStore,
        containers: JobContainers | None,
        host: HostResources,
        config: JobsConfig,
        *,
        space_image: Callable[[str], str | None],
        box: SecretBox,
        tokens: JobTokens | None = None,
        clock: Callable[[], float] = time.time,
        gpus: GpuLedger | None = None,
        volume_mounts: Callable[[Sequence[SpaceVolume]], tuple[Mount, ...]] | None = None,
        package_index: JobIndex | None = None,
        gpu_listing: Callable[[], list[dict[str, Any]]] = list_gpus,
        nodes: Callable[[], Sequence[NodeInfo]] | None = None,
        node_labels: NodeLabels | None = None,
    ):
        self.store, self.host, self.config = store, host, config
        self._gpu_listing = gpu_listing
        self._nodes = nodes
        self._node_labels = node_labels
        self._containers = containers
        self._space_image, self._tokens, self.box, self._clock = space_image, tokens, box, clock
        self._pump_lock = threading.Lock()
        self._timers: dict[str, threading.Timer] = {}
        self.gpus = gpus or GpuLedger(tuple(str(i) for i in range(host.gpus)))
        self._recheck: threading.Timer | None = None
        self._volume_mounts = volume_mounts
        self.package_index = package_index or JobIndex()
        self._watchers: dict[str, threading.Thread] = {}
        self._closed = False

    # -- hardware ---------------------------------------------------------------------------

    def offered(self) -> list[dict[str, Any]]:
        """``GET /api/jobs/hardware``: the flavors this host (or the swarm's nodes) can run."""
        return (
            offered(self.host)
            if self._nodes is None
            else offered_on_nodes(self._nodes(), self._node_labels)
        )

    def relays_figures(self) -> bool:
        """Whether a running job's live figures can be read: not on the swarm's nodes, whose
        containers' samples stay on each node's engine (the manager relays none)."""
        return self._nodes is None

    def limits(self, flavor: str) -> Limits:
        """What a job of *flavor* runs with: on this host, or on the swarm's nodes.

        Raises:
            InvalidRequest: no such flavor.
            HardwareUnavailable: no GPU (no node) for it.
        """
        if self._nodes is None:
            return limits_for(flavor, self.host)
        return limits_for(flavor, host_for_flavor(self._nodes(), flavor, self._node_labels))

    # -- commands ---------------------------------------------------------------------------

    def submit(
        self,
        namespace: str,
        spec: JobSpec,
        initiator: dict[str, Any],
        *,
        owner_type: str = "user",
        scheduled_id: str | None = None,
    ) -> JobRow:
        """Queue a job and start it at once when there is capacity.

        Raises:
            InvalidRequest: unknown flavor. HardwareUnavailable: a GPU flavor this host lacks.
            NotFound: the image is not in the engine. EngineUnavailable: no engine.
        """
        self.limits(spec.flavor)
        resolve_image(spec, self._engine(), self._space_image)
        job_id = new_job_id()
        self.store.add_job(
            JobRow(
                id=job_id, namespace=namespace, owner_type=owner_type, initiator=initiator,
                spec=spec.to_json(), secrets=self.box.encrypt(json.dumps(dict(spec.secrets))),
                stage="SCHEDULING", message="Waiting for capacity", created_at=self._clock(),
                started_at=None, finished_at=None, container_id=None, token_id=None,
                scheduled_id=scheduled_id,
            )
        )  # fmt: skip
        self.pump()
        found = self.store.find_job(job_id)
        assert found is not None
        return found

    def cancel(self, namespace: str, job_id: str) -> JobRow:
        """Cancel a job: a waiting one never starts, a running one's container is stopped (its
        logs are kept). A job that already ended is left as it is."""
        row = self.store.get_job(namespace, job_id)
        if self.store.finish(job_id, "CANCELED", "Canceled", self._clock()):
            if row.container_id:
                self._stop(row.container_id)
            self.pump()
        return self.store.get_job(namespace, job_id)

    def metrics(self, row: JobRow) -> Generator[dict[str, Any], None, None]:
        """A running job's live figures in HF's shape (lifecycle/jobmetrics.py), one a second,
        until its container stops; nothing for a job without a container.

        Raises:
            EngineUnavailable: the engine failed.
        """
        if row.container_id is None:
            return
        limits = limits_for(str(row.spec.get("flavor") or DEFAULT_FLAVOR), self.host)
        reader = MetricsReader(limits.cpus, limits.memory, row.container_id[:12])
        gpu_ids = self.gpus.job_gpus(row.id)
        for sample in self._engine().stats(row.container_id):
            if stopped(sample):
                return
            figures = reader.feed(sample)
            if figures is not None:
                if gpu_ids:
                    figures["gpus"] = gpu_figures(self._gpu_listing(), gpu_ids)
                yield figures

    def start(self) -> None:
        """Adopt the jobs that ran when the platform stopped, then start waiting ones."""
        if self._containers is None:
            return
        by_job = {s.job_id: s for s in self._containers.list_jobs()}
        running = self.store.list_jobs(stages=["RUNNING"])
        if any(by_job.get(r.id) is not None for r in running):
            self._containers.endpoint()  # the adopted jobs' way to the platform, back up
        for row in running:
            self._adopt(row, by_job.pop(row.id, None))
        for state in by_job.values():  # ended (cancelled, timed out) while nobody watched
            found = self.store.find_job(state.job_id)
            if found is None or found.stage in TERMINAL:
                self._stop(state.id)
                self._containers.remove(state.id)
        self.pump()

    def close(self) -> None:
        """Stop watching (containers keep running: the next start adopts them)."""
        self._closed = True
        if self._recheck is not None:
            self._recheck.cancel()
        for timer in list(self._timers.values()):
            timer.cancel()
        if self._containers is not None:
            self._containers.close()

    def pump(self) -> None:
        """Start waiting jobs, oldest first, while fewer than ``max_jobs`` run. A GPU job
        waits until as many GPUs as its flavor names are held by nobody (no space, no job:
        gpuledger.py); CPU jobs go on meanwhile."""
        if self._containers is None:
            return
        with self._pump_lock:
            while not self._closed and self.store.count_running() < self.config.max_jobs:
                picked = self._pick()
                if picked is None:
                    return
                self._launch(*picked)

    def _pick(self) -> tuple[JobRow, list[str]] | None:
        """The oldest waiting job that can start now, with the GPUs it now holds."""
        blocked = False
        for row in self.store.queued():
            wanted = _gpus_of(row)
            if self._nodes is not None:  # the nodes' GPUs: the manager places it (jobnodes.py)
                return row, [NODE_GPU] * wanted
            ids = self.gpus.take_for_job(row.id, wanted)
            if ids is not None:
                return row, list(ids)
            blocked = True
            message = self.gpus.waiting_message(wanted)
            if message != row.message:  # looked at every second: write only a change
                self.store.set_waiting(row.id, message)
        if blocked:
            self._recheck_later()
        return None

    def _recheck_later(self) -> None:
        if self._closed or self._recheck is not None:
            return  # one look is due already
        self._recheck = threading.Timer(GPU_RECHECK_S, self._recheck_now)
        self._recheck.daemon = True
        self._recheck.start()

    def _recheck_now(self) -> None:
        self._recheck = None  # before the pump: a job still waiting schedules the next look
        self.pump()

    # -- running ----------------------------------------------------------------------------

    def _engine(self) -> JobContainers:
        if self._containers is None:
            raise EngineUnavailable(
                "jobs need the platform's Docker Engine, which this control plane has not got",
                hint="run jobs on a platform started with `spacehost up`",
            )
        return self._containers

    def _launch(self, row: JobRow, gpu_ids: list[str]) -> None:
        engine = self._engine()
        spec = stored_spec(row, self.box)
        token: tuple[str, int] | None = None
        try:
            limits = self.limits(spec.flavor)
            image = resolve_image(spec, engine, self._space_image)
            self._note_image(row.id, spec, engine)
            token = self._issue(row, spec)
            env = self._env(row, spec, token[0] if token else None, limits)
            cid = engine.start(
                JobContainerSpec(row.id, image, tuple(spec.argv), env, limits.cpus,
                                 limits.memory, tuple(gpu_ids), mounts=self._mounts(spec),
                                 flavor=spec.flavor)
            )  # fmt: skip
        except SpacehostError as exc:
            self.gpus.release_job(row.id)
            if token is not None and self._tokens is not None:
                self._tokens.revoke(token[1])
            self.store.finish(row.id, "ERROR", f"the job could not start: {exc}", self._clock())
            return
        if token is not None:
            self.store.set_token(row.id, token[1])
        if not self.store.set_running(row.id, cid, self._clock()):
            self._stop(cid)  # cancelled while it started
            self._end(row.id, cid)
            return
        self._watch(row.id, cid, since=None, deadline=self._deadline(spec, self._clock()))

    def _mounts(self, spec: JobSpec) -> tuple[Mount, ...]:
        if not spec.volumes:
            return ()
        if self._volume_mounts is None:
            raise NotSupported(
                "this job runner mounts no volumes", hint="run the job on `spacehost up`"
            )
        return self._volume_mounts(spec.volumes)

    def _note_image(self, job_id: str, spec: JobSpec, engine: JobContainers) -> None:
        """Say first in the job's log when its uv image has another Python than it named, and
        when it runs ``uv run`` with no package index to install from."""
        notes = []
        if spec.image is not None and is_uv_image(spec.image):
            notes.append(local_uv_image(spec.image, engine.images()).note)
        if spec.argv[:2] == ["uv", "run"] and not self.package_index.offered:
            notes.append(NO_INDEX_NOTE)
        for note in filter(None, notes):
            self.store.add_log(job_id, self._clock(), note)

    def _issue(self, row: JobRow, spec: JobSpec) -> tuple[str, int] | None:
        user = row.initiator.get("name") or row.initiator.get("id")
        if self._tokens is None or not user:
            return None
        ttl = (spec.timeout_s or DEFAULT_TOKEN_TTL_S) + TOKEN_MARGIN_S
        return self._tokens.issue(str(user), row.id, ttl)

    def _env(self, row: JobRow, spec: JobSpec, token: str | None, limits: Limits) -> dict[str, str]:
        endpoint = self._engine().endpoint()
        env = {
            "PYTHONUNBUFFERED": "1",  # lines reach the log as printed, not at exit
            "HF_HUB_DISABLE_TELEMETRY": "1",
            # the only package index a job can reach: the host's local sources, through the
            # platform (builder/jobindex.py); the job's own variables may say otherwise
            **self.package_index.env(endpoint),
            # a job reaches the hub through HF_ENDPOINT (a space's image says offline: its
            # repos are read-only mounts); the job's own environment may still say otherwise
            "HF_HUB_OFFLINE": "0",
            **spec.environment,
            **spec.secrets,
            "HF_ENDPOINT": endpoint,
            "JOB_ID": row.id,
            "CPU_CORES": f"{limits.cpus:g}",
        }
        if token is not None and "HF_TOKEN" not in spec.secrets:
            env["HF_TOKEN"] = token
        return env

    @staticmethod
    def _deadline(spec: JobSpec, started: float) -> float | None:
        return started + spec.timeout_s if spec.timeout_s else None

    def _watch(self, job_id: str, cid: str, since: float | None, deadline: float | None) -> None:
        if deadline is not None:
            timer = threading.Timer(max(0.0, deadline - self._clock()), self._expire, (job_id,))
            timer.daemon = True
            self._timers[job_id] = timer
            timer.start()
        thread = threading.Thread(
            target=self._follow, args=(job_id, cid, since), name=f"job-{job_id}", daemon=True
        )
        self._watchers[job_id] = thread
        thread.start()

    def _follow(self, job_id: str, cid: str, since: float | None) -> None:
        engine = self._engine()
        try:
            for line in engine.follow_logs(cid, since):
                self.store.add_log(job_id, self._clock(), line)
        except SpacehostError as exc:
            log.warning("job %s: following its logs: %s", job_id, exc)
        if self._closed:
            return  # the platform stops: the next start adopts the job
        try:
            state = engine.state(cid)
        except SpacehostError as exc:
            log.warning("job %s: reading its end: %s", job_id, exc)
            return  # the engine went away: adopted (or marked) when the platform starts again
        self._settle(job_id, state)
        self._end(job_id, cid)
        self.pump()

    def _settle(self, job_id: str, state: JobContainerState | None) -> None:
        now = self._clock()
        if state is None:
            self.store.finish(job_id, "ERROR", "the job's container disappeared", now)
        elif state.exit_code == 0 and not state.oom_killed:
            self.store.finish(job_id, "COMPLETED", "Job completed", now)
        else:
            tail = [ln.line for ln in self.store.logs(job_id, tail=ERROR_TAIL_LINES)]
            why = (
                "it ran out of memory (its flavor's limit)"
                if state.oom_killed
                else f"the command exited with code {state.exit_code}"
            )
            message = why + (":\n" + "\n".join(tail) if tail else " (no output)")
            self.store.finish(job_id, "ERROR", message, now)

    def _expire(self, job_id: str) -> None:
        row = self.store.find_job(job_id)
        if row is None:
            return
        timeout = row.spec.get("timeoutSeconds")
        ended = self.store.finish(
            job_id, "ERROR", f"Job timed out after {timeout} s", self._clock()
        )
        if ended and row.container_id:
            self._stop(row.container_id)

    def _end(self, job_id: str, cid: str) -> None:
        timer = self._timers.pop(job_id, None)
        if timer is not None:
            timer.cancel()
        self._watchers.pop(job_id, None)
        self.gpus.release_job(job_id)
        row = self.store.find_job(job_id)
        if row is not None and row.token_id is not None and self._tokens is not None:
            self._tokens.revoke(row.token_id)
        try:
            self._engine().remove(cid)
        except SpacehostError as exc:
            log.warning("job %s: removing its container: %s", job_id, exc)

    def _stop(self, cid: str) -> None:
        try:
            self._engine().stop(cid, STOP_GRACE_S)
        except NotFound:
            pass
        except SpacehostError as exc:
            log.warning("stopping job container %s: %s", cid, exc)

    def _adopt(self, row: JobRow, state: JobContainerState | None) -> None:
        if state is None or row.container_id is None:
            self.store.finish(
                row.id, "ERROR",
                "the job's container was gone when the platform started again (the Docker "
                "Engine or the host restarted); run the job again",
                self._clock(),
            )  # fmt: skip
            if row.token_id is not None and self._tokens is not None:
                self._tokens.revoke(row.token_id)
            return
        self.gpus.adopt_job(row.id, state.gpu_ids)
        last = self.store.logs(row.id, tail=1)
        since = last[0].at if last else None
        spec = stored_spec(row, self.box)
        deadline = self._deadline(spec, row.started_at or row.created_at)
        log.info("adopting job %s (container %s)", row.id, row.container_id[:12])
        self._watch(row.id, row.container_id, since, deadline)


def _gpus_of(row: JobRow) -> int:
    return gpus_of_flavor(str(row.spec.get("flavor", "")))


def stored_spec(row: JobRow, box: SecretBox) -> JobSpec:
    """The stored job's spec with its secrets decrypted."""
    spec = parse_job_spec(row.spec)
    values = json.loads(box.decrypt(row.secrets, name="a job's secrets")) if row.secrets else {}
    return replace(spec, secrets=MappingProxyType(values))
