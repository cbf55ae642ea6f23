"""The lifecycle of spaces: push, build, start, health, serve, restart, delete, reconcile.

No HTTP here: the API calls these methods (from worker threads: every method may block on the
Docker engine). Deploys run on a small thread pool; one space deploys one revision at a time,
and a deploy whose revision was superseded by a newer push stops before starting a container.

``Platform`` is the facade, and builds the lifecycle's parts (assembly.py); the work is in
one module per concept, over the shared context (context.py, stages.py): actions.py (push,
restart, pause, delete, sleep time), deploy.py (build, start, go live), runlogs.py (run logs,
crash detection and restarts), config.py (variables, secrets, duplicate), reconcile.py
(start-up), info.py (runtime info), sleep.py and recovery.py (collaborator objects). None of
them imports this module.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from spacehost.activityfile import Activity
from spacehost.domain import SpaceId
from spacehost.identity import Accounts
from spacehost.lifecycle import actions, info, reconcile, stages, volume_changes
from spacehost.lifecycle import config_changes as config_ops
from spacehost.lifecycle.actions import PLATFORM_PUSH, PushOrigin, PushResult
from spacehost.lifecycle.assembly import assemble
from spacehost.lifecycle.backoff import Timer, thread_timer
from spacehost.lifecycle.config_changes import ConfigChange, ConfigItem, DuplicateResult
from spacehost.lifecycle.context import Builder, Context, GpuCheck, no_gpu_checks
from spacehost.lifecycle.gpuholds import SpaceGpuHolds
from spacehost.lifecycle.gpushare import GpuSetup, gpu_status
from spacehost.lifecycle.hardware_offer import Flavor, offered_flavors, request_hardware
from spacehost.lifecycle.hubmounts import HubLookup
from spacehost.lifecycle.node_loss import NodeLossWatch
from spacehost.lifecycle.queries import SpaceQueries
from spacehost.lifecycle.replica_routes import ReplicaRoutes
from spacehost.lifecycle.routes import RoutePublisher
from spacehost.lifecycle.visibility import SPACE, Visibility
from spacehost.lifecycle.volumes import SpaceVolume
from spacehost.runtime.base import DiskUsage, RuntimeBackend
from spacehost.settings import Settings
from spacehost.store import RevisionFiles, SecretCipher, SpaceConfig, Store
from spacehost.store.spacemigration import migrate_spaces

# ConfigChange, DuplicateResult and PushResult are re-exported: their users import them here
__all__ = ["ConfigChange", "DuplicateResult", "Platform", "PushOrigin", "PushResult"]


class Platform:
    """Everything that happens to spaces, behind the API.

    Args:
        settings: platform settings.
        store: the database.
        files: stored revisions.
        builder: builds space images (``DockerBuilder``).
        runtime: runs containers (``DockerBackend``).
        check_gpu: raises HardwareUnavailable when the host cannot give what a manifest asks;
            returns warnings (e.g. CPU fallback); called with the GPU request and how the space
            asked (``suggested_hardware: t4-small``). Default: no GPU checks.
        hub: the platform's models and datasets (``HubStore``), which spaces' ``models:``,
            ``datasets:`` and ``preload_from_hub:`` resolve against; None: no hub.
        gpus: this host's GPUs, their inventory and the broker of shared-GPU spaces
            (lifecycle/gpushare.py). Default: none.
        clock, timer: monotonic time and a one-shot scheduler for crash restarts (injected by
            tests).
        engine_probe: a cheap engine call that raises when the engine does not answer (a
            ping), for noticing engine restarts (recovery.py). Default: listing containers.
        wall_clock, activity: the sleeper's wall clock and the router's activity by space
            (sleep.py; injected by tests). Default: the time and the router's activity file.
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        files: RevisionFiles,
        builder: Builder,
        runtime: RuntimeBackend,
        *,
        check_gpu: GpuCheck | None = None,
        hub: HubLookup | None = None,
        gpus: GpuSetup | None = None,
        max_parallel_builds: int = 2,
        clock: Callable[[], float] = time.monotonic,
        timer: Timer = thread_timer,
        engine_probe: Callable[[], object] | None = None,
        wall_clock: Callable[[], float] = time.time,
        activity: Callable[[], Mapping[str, Activity]] | None = None,
        visibility: Visibility | None = None,
    ):
        self._accounts: Accounts | None = None  # the identity store, when opened here
        cipher = SecretCipher(settings.data_dir / "secret.key", settings.secret_key)
        self.ctx = Context(
            settings,
            store,
            files,
            builder,
            runtime,
            SpaceConfig(store, cipher),
            RoutePublisher(settings.routes_file),
            check_gpu=check_gpu or no_gpu_checks,
            hub=hub,
            gpus=gpus or GpuSetup(),
            # which spaces are private: the identity store in the data dir unless given
            visibility=visibility if visibility is not None else self._own_accounts(settings),
        )
        parts = assemble(
            self.ctx,
            engine_probe or runtime.list_managed,
            max_parallel_builds=max_parallel_builds,
            clock=clock,
            timer=timer,
            wall_clock=wall_clock,
            activity=activity,
        )
        self.settings, self.store, self.files = settings, store, files
        self.builder, self.runtime, self.config = builder, runtime, self.ctx.config
        self.hub, self.gpus = hub, self.ctx.gpus
        # the GPUs spaces hold, read from the store: jobs are given only the others
        holds = SpaceGpuHolds(store, runtime, self.gpus.ledger.gpu_ids, self.gpus.share)
        self.gpus.ledger.follow_spaces(holds)
        self.tasks, self.logs, self.crashes = parts.tasks, parts.logs, parts.crashes
        self.sleeper, self.recovery = parts.sleeper, parts.recovery
        self._deployer = parts.deployer
        # started with the sleeper (api/sleep.py)
        self.replica_routes = ReplicaRoutes(
            self.ctx, NodeLossWatch(self.ctx, self._deployer.submit)
        )
        self.queries = SpaceQueries(settings, store, files, self.ctx.config, self.ctx.git)
        # a data dir from before spaces were git repositories: each space gets its history
        migrate_spaces(store, files, self.ctx.git)

    # spaces -------------------------------------------------------------------------------

    def push(
        self,
        space: SpaceId,
        files: Mapping[str, bytes],
        origin: PushOrigin = PLATFORM_PUSH,
        *,
        hot_reload: bool = False,
    ) -> PushResult:
        """Store a new revision of *space* -- a git commit too, made from *origin*'s author
        and message, or *origin*'s commit that ``git push`` made -- and deploy it in the
        background (actions.py); *hot_reload*: in place in the running Gradio app when it may
        be (hotreload.py).

        Raises:
            ManifestInvalid: the files are not a valid space (nothing is stored).
        """
        return actions.push(self._deployer, space, files, origin, hot=hot_reload)

    def restart(self, space: SpaceId, *, factory: bool = False) -> None:
        """Restart *space* from its current revision; ``factory`` rebuilds without cache."""
        actions.restart(self._deployer, space, factory=factory)

    def delete(self, space: SpaceId) -> None:
        """Remove *space*: its containers, data volume, images' records and stored rows."""
        actions.delete(self._deployer, space)

    def set_private(self, space: SpaceId, private: bool) -> None:
        """Make *space* private (only readers see it, anywhere) or public."""
        actions.set_private(self._deployer, space, private)

    def is_private(self, space: SpaceId) -> bool:
        return str(space) in self.ctx.visibility.private_repos(SPACE)

    def pause(self, space: SpaceId) -> None:
        """Stop *space* until an explicit restart (stage PAUSED; visits do not wake it)."""
        actions.pause(self._deployer, space)

    def set_sleep_time(self, space: SpaceId, seconds: object) -> int | None:
        """Set how long *space* may be idle before it sleeps (-1: never); returns the
        ``gcTimeout`` now in force (see actions.set_sleep_time for the errors)."""
        return actions.set_sleep_time(self._deployer, space, seconds)

    def wake(self, space: SpaceId) -> bool:
        """Wake *space* if it sleeps (in the background); True when a wake is under way."""
        self.store.get_space(space)
        return self.sleeper.wake(space) is not None

    def runtime_info(self, space: SpaceId) -> dict[str, Any]:
        """The space's runtime in Hugging Face's JSON shape (``GET .../runtime``)."""
        return info.runtime_info(self.ctx, self.sleeper, space)

    def disk_usage(self, space: SpaceId) -> list[DiskUsage]:
        """How full *space*'s size-limited disks are, measured now (info.py)."""
        return info.disk_usage(self.ctx, space)

    def gpu_status(self, space: SpaceId | None = None) -> dict[str, Any]:
        """This host's GPUs, the spaces that use them, and the broker's leases and queue; only
        *space*'s part of the spaces, leases and queue when given (see gpushare.gpu_status)."""
        return gpu_status(self.gpus, self.store.list_spaces(), space)

    def hardware_flavors(self) -> list[Flavor]:
        """The Hugging Face hardware flavors this host gives (hardware_offer.py)."""
        return offered_flavors(self.ctx.check_gpu)

    def request_hardware(self, space: SpaceId, flavor: object) -> None:
        """Grant *space* the hardware *flavor* names, or say why not (see
        hardware_offer.request_hardware for the errors)."""
        request_hardware(self.ctx, space, flavor)

    # variables, secrets, duplicate (config.py) --------------------------------------------

    def set_config(
        self, space: SpaceId, kind: str, key: object, value: object, description: object = None
    ) -> ConfigChange:
        """Set a variable (*kind* ``VARIABLE``) or secret (``SECRET``) of *space*, restarting
        it if it runs (see config.set_config for the errors)."""
        return config_ops.set_config(self._deployer, space, kind, key, value, description)

    def delete_config(self, space: SpaceId, kind: str, key: object) -> ConfigChange:
        """Remove a variable or secret of *space*, restarting it if it runs (see
        config.delete_config for the errors)."""
        return config_ops.delete_config(self._deployer, space, kind, key)

    def volumes(self, space: SpaceId) -> list[SpaceVolume]:
        """The buckets mounted into *space* (lifecycle/volumes.py)."""
        return volume_changes.stored_volumes(self._deployer, space)

    def set_volumes(self, space: SpaceId, volumes: Sequence[SpaceVolume]) -> bool:
        """Replace *space*'s volumes, restarting it if it runs (True then)."""
        return volume_changes.set_volumes(self._deployer, space, volumes)

    def duplicate(
        self, source: SpaceId, target: SpaceId, config: Sequence[ConfigItem] = ()
    ) -> DuplicateResult:
        """Copy *source*'s current revision and variables to a new space *target*, with the
        variables and secrets of *config*, and deploy it; other secrets' names come back as
        needing values (see config_changes.duplicate)."""
        return config_ops.duplicate(self._deployer, source, target, config)

    # routes, start-up and shut-down -------------------------------------------------------

    def publish_routes(self) -> None:
        """Write the route table from the store."""
        stages.publish_routes(self.ctx)

    def space_lock(self, space: SpaceId) -> threading.Lock:
        """The lock that serialises what happens to one space's containers."""
        return self.ctx.locks.lock(space)

    def reconcile(self) -> None:
        """Bring the engine in line with the store after a (re)start of the platform
        (reconcile.py): adopt, restart, remove or redeploy each space's container."""
        reconcile.reconcile(self._deployer)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Wait until no deploy is queued or running (for tests and benchmarks)."""
        return self.tasks.wait_idle(timeout)

    def _own_accounts(self, settings: Settings) -> Accounts:
        """The identity store in the data dir, opened here (so closed by :meth:`close`)."""
        self._accounts = Accounts(settings.identity_db)
        return self._accounts

    def close(self) -> None:
        self.ctx.closed.set()
        self.sleeper.close()
        self.replica_routes.close()
        self.recovery.close()
        self.crashes.close()
        self.tasks.close()
        if self._accounts is not None:
            self._accounts.close()
