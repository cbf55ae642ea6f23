"""Wiring the job runner (lifecycle/jobs.py) for the control plane: its database, the engine's
job containers beside the space backend, the host's resources, short-lived tokens from the
identity store, and the scheduled jobs' ticker."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from docker import DockerClient

from spacehost.domain import SpaceId
from spacehost.errors import SpacehostError
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.lifecycle import Platform
from spacehost.lifecycle.jobflavors import host_resources
from spacehost.lifecycle.jobs import Jobs, JobsConfig
from spacehost.lifecycle.jobschedule import Schedules
from spacehost.runtime.docker_backend import DockerBackend
from spacehost.runtime.isolation import Firewall
from spacehost.runtime.jobcontainers import DockerJobContainers
from spacehost.runtime.jobnetwork import ensure_job_network, fence_job_network
from spacehost.runtime.options import HOST_NETWORK
from spacehost.server.jobrelay import JobRelay
from spacehost.settings import Settings
from spacehost.store import SecretCipher
from spacehost.store.jobs import JobStore

log = logging.getLogger(__name__)
RELAY_PORT_FILE = "job-relay-port"


class AccountTokens:
    """Job tokens from the identity store: a write token of the submitting user named after
    the job, expiring with it (revoked when it ends)."""

    def __init__(self, accounts: Accounts):
        self._accounts = accounts

    def issue(self, user: str, job_id: str, ttl_s: int) -> tuple[str, int] | None:
        try:
            made = self._accounts.create_token(user, f"job-{job_id}", Role.WRITE, ttl_s=ttl_s)
        except SpacehostError:  # no account of that name (the operator's own token)
            return None
        return made.value, made.info.id

    def revoke(self, token_id: int) -> None:
        row = self._accounts.db.one("SELECT user FROM tokens WHERE id=?", (token_id,))
        if row is not None:
            self._accounts.revoke_token(row["user"], token_id)


@dataclass(frozen=True)
class JobPath:
    """How job containers reach the platform: their network and ``HF_ENDPOINT``."""

    network: str | None
    endpoint: str
    relay: JobRelay | None = None


async def open_job_path(settings: Settings, client: DockerClient, runtime: object) -> JobPath:
    """The job network, its relay to the router and its firewall rules; with host networking
    (no bridge) jobs share the host's network and reach the platform's own URL.

    Raises:
        SpacehostError: the rules cannot be installed (see SPACEHOST_SPACE_FIREWALL).
        EngineUnavailable: the engine failed or is unreachable.
    """
    if not isinstance(runtime, DockerBackend) or runtime.network_mode == HOST_NETWORK:
        return JobPath(None, settings.base_url)
    network = await asyncio.to_thread(ensure_job_network, client, settings.instance)
    router = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    relay = JobRelay(
        network.gateway, (router, settings.port), settings.data_dir / "run" / RELAY_PORT_FILE
    )
    port = await relay.start()
    if settings.space_firewall:
        try:
            await asyncio.to_thread(fence_job_network, Firewall(), network, port)
        except SpacehostError:
            await relay.close()
            raise
    return JobPath(network.name, f"http://{network.gateway}:{port}", relay)


def build_jobs(
    platform: Platform,
    accounts: Accounts | None,
    client: DockerClient | None = None,
    path: JobPath | None = None,
) -> tuple[Jobs, Schedules]:
    """The job runner and its schedules for *platform*; without *client* (tests of the API
    alone) jobs cannot run and submits answer so."""
    settings = platform.settings
    runtime = platform.runtime
    containers = None
    if client is not None and isinstance(runtime, DockerBackend):
        network = path.network if path is not None else None
        containers = DockerJobContainers(client, runtime, settings.instance, network)

    def space_image(space: str) -> str | None:
        found = platform.queries.find_space(SpaceId.parse(space))
        return found.image if found is not None else None

    gpus = platform.gpus.inventory() if platform.gpus.has_gpu else []
    model = str(gpus[0].get("name", "")) if gpus else ""
    jobs = Jobs(
        JobStore(settings.jobs_db),
        containers,
        host_resources(len(gpus), model),
        JobsConfig(
            max_jobs=settings.max_jobs,
            endpoint=path.endpoint if path is not None else settings.base_url,
        ),
        space_image=space_image,
        box=SecretCipher(settings.data_dir / "secret.key", settings.secret_key),
        tokens=AccountTokens(accounts) if accounts is not None else None,
    )
    return jobs, Schedules(jobs)
