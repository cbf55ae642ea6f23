"""Wiring the job runner (lifecycle/jobs.py) for the control plane: its database, the engine's
job containers beside the space backend, the host's resources, short-lived tokens from the
identity store, and the scheduled jobs' ticker."""

from __future__ import annotations

import functools
import logging

from docker import DockerClient

from spacehost.builder.jobindex import job_index
from spacehost.dockerengine import connect
from spacehost.domain import SpaceId
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.lifecycle import Platform
from spacehost.lifecycle.jobflavors import host_resources
from spacehost.lifecycle.jobs import Jobs, JobsConfig
from spacehost.lifecycle.jobschedule import Schedules
from spacehost.lifecycle.volumes import volume_mounts
from spacehost.runtime.docker_backend import DockerBackend
from spacehost.runtime.imagepush import ImagePusher
from spacehost.runtime.isolation import Firewall
from spacehost.runtime.jobcontainers import DockerJobContainers, JobContainers
from spacehost.runtime.jobnetwork import JobNetworkPath
from spacehost.runtime.options import HOST_NETWORK
from spacehost.runtime.swarm_backend import SwarmBackend
from spacehost.runtime.swarm_jobs import SwarmJobContainers
from spacehost.server.shorttokens import ShortTokens
from spacehost.settings import Settings
from spacehost.store import SecretCipher
from spacehost.store.jobs import JobStore

log = logging.getLogger(__name__)
RELAY_PORT_FILE = "job-relay-port"


class AccountTokens(ShortTokens):
    """Job tokens from the identity store: a write token of the submitting user named after
    the job, expiring with it (revoked when it ends)."""

    def __init__(self, accounts: Accounts):
        super().__init__(accounts, Role.WRITE)

    def issue(self, user: str, purpose: str, ttl_s: int) -> tuple[str, int] | None:
        """*purpose* is the job's id: the token is named ``job-ID`` (api/jobpushes.py)."""
        return super().issue(user, f"job-{purpose}", ttl_s)


def job_containers(
    settings: Settings, client: DockerClient, runtime: DockerBackend
) -> DockerJobContainers:
    """Job containers beside *runtime*: on their own network with a relay to the router (made
    when the first job needs them), or with host networking on the host's network."""
    path = None
    if runtime.network_mode != HOST_NETWORK:
        router = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
        path = JobNetworkPath(
            client,
            settings.instance,
            (router, settings.port),
            settings.data_dir / "run" / RELAY_PORT_FILE,
            Firewall() if settings.space_firewall else None,
        )
    return DockerJobContainers(client, runtime, settings.instance, path, settings.base_url)


def swarm_job_containers(
    settings: Settings, client: DockerClient, swarm: SwarmBackend
) -> SwarmJobContainers:
    """Jobs as one-shot services on the swarm (``SPACEHOST_SWARM_JOBS=swarm``), reaching the
    platform at ``SPACEHOST_SWARM_HUB_URL`` (the address and port each node's set-up admits
    jobs to: docs/cluster.md)."""
    manager = connect(settings.with_(docker_url=settings.swarm_url))
    engine = DockerJobContainers(client, swarm.local, settings.instance, None, settings.base_url)
    return SwarmJobContainers(
        manager.api,
        engine,
        ImagePusher(client, settings.push_registry, settings.pull_registry),
        settings.instance,
        settings.swarm_hub_url or settings.base_url,
        settings.node_labels,
    )


def build_jobs(
    platform: Platform,
    accounts: Accounts | None,
    client: DockerClient | None = None,
) -> tuple[Jobs, Schedules]:
    """The job runner and its schedules for *platform*; without *client* (tests of the API
    alone) jobs cannot run and submits answer so."""
    settings = platform.settings
    runtime = platform.runtime
    containers: JobContainers | None = None
    if isinstance(runtime, SwarmBackend):
        if client is not None and settings.swarm_jobs == "swarm":
            containers = swarm_job_containers(settings, client, runtime)
        runtime = runtime.local  # else jobs run on the build engine (docs/cluster.md)
    if containers is None and client is not None and isinstance(runtime, DockerBackend):
        containers = job_containers(settings, client, runtime)

    def space_image(space: str) -> str | None:
        found = platform.queries.find_space(SpaceId.parse(space))
        return found.image if found is not None else None

    gpus = platform.gpus.inventory() if platform.gpus.has_gpu else []
    model = str(gpus[0].get("name", "")) if gpus else ""
    ledger = platform.gpus.ledger  # the GPUs spaces hold too: one answer for both
    jobs = Jobs(
        JobStore(settings.jobs_db),
        containers,
        host_resources(len(ledger.gpu_ids), model),
        JobsConfig(max_jobs=settings.max_jobs),
        space_image=space_image,
        box=SecretCipher(settings.data_dir / "secret.key", settings.secret_key),
        tokens=AccountTokens(accounts) if accounts is not None else None,
        gpus=ledger,
        volume_mounts=functools.partial(volume_mounts, settings),
        package_index=job_index(settings.pip) if containers is not None else None,
        nodes=containers.nodes if isinstance(containers, SwarmJobContainers) else None,
        node_labels=settings.node_labels,
    )
    return jobs, Schedules(jobs)
