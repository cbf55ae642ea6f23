"""The lifecycle of spaces: push, build, start, health, serve, restart, delete, reconcile.

No HTTP here: the API calls these methods (from worker threads: every method may block on the
Docker engine). Deploys run on a small thread pool; one space deploys one revision at a time,
and a deploy whose revision was superseded by a newer push stops before starting a container.

``Platform`` is the facade; the work of each concept is in its own module, as plain functions
taking the platform: deploy.py (build, start, go live), runlogs.py (run logs, crash detection
and restarts), config.py (variables, secrets, duplicate), reconcile.py (start-up), sleep.py
and recovery.py (collaborator objects).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from typing import Any

from spacehost.domain import Sdk, SpaceId, Stage
from spacehost.errors import InvalidRequest, ManifestInvalid, SpacehostError
from spacehost.lifecycle import cleanup, deploy, reconcile, runlogs
from spacehost.lifecycle import config as config_ops
from spacehost.lifecycle.backoff import Backoff, CrashRestarts, Timer, thread_timer
from spacehost.lifecycle.config import ConfigChange, DuplicateResult
from spacehost.lifecycle.contract import data_volume, manifest_summary
from spacehost.lifecycle.datasetprep import datasets_volume
from spacehost.lifecycle.deploy import Builder, GpuCheck
from spacehost.lifecycle.gpushare import GpuSetup, gpu_status
from spacehost.lifecycle.hubmounts import HubLookup, pin_dir, remove_pins
from spacehost.lifecycle.recovery import Recovery
from spacehost.lifecycle.redact import Redactor
from spacehost.lifecycle.routes import RoutePublisher, route_entry
from spacehost.lifecycle.sleep import NEVER, Sleeper
from spacehost.manifest import load_space
from spacehost.runtime.base import DiskUsage, RuntimeBackend
from spacehost.settings import Settings
from spacehost.store import (
    RevisionFiles,
    SecretCipher,
    SpaceConfig,
    SpaceRecord,
    Store,
    revision_hash,
)

# ConfigChange and DuplicateResult are re-exported: their users import them from here
__all__ = ["ConfigChange", "DuplicateResult", "Platform", "PushResult"]


@dataclass(frozen=True)
class PushResult:
    space: SpaceId
    revision: str
    created: bool
    warnings: tuple[str, ...]
    unchanged: bool = False



def _no_gpu_checks(request: Any, hardware: str | None = None) -> list[str]:
    return []

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
    ):
        self.settings = settings
        self.store = store
        self.files = files
        self.builder = builder
        self.runtime = runtime
        self.check_gpu: GpuCheck = check_gpu or _no_gpu_checks
        self.hub = hub  # models and datasets spaces mount (hubmounts.py)
        self.gpus = gpus or GpuSetup()
        self.routes = RoutePublisher(settings.routes_file)
        self._pool = ThreadPoolExecutor(max_parallel_builds, thread_name_prefix="deploy")
        self._space_locks: dict[SpaceId, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._followers: dict[str, threading.Thread] = {}
        self._closed = threading.Event()
        self._pending: set[Future[None]] = set()
        self._builds: dict[SpaceId, tuple[str, threading.Event]] = {}  # cancels, by space
        self.revisions_lock = threading.Lock()  # saving vs deleting revision folders
        self.config = SpaceConfig(store, SecretCipher(settings.data_dir / "secret.key",
                                                      settings.secret_key))
        self._redactors: dict[str, Redactor] = {}  # container id -> its secrets' redactor
        self.crashes = CrashRestarts(
            Backoff(settings.crash_backoff_initial_s, settings.crash_backoff_max_s,
                    settings.crash_backoff_reset_s),
            functools.partial(runlogs.crash_restart, self), clock=clock, timer=timer)
        self.sleeper = Sleeper(self)
        self.recovery = Recovery(self, engine_probe or runtime.list_managed)

    # public operations --------------------------------------------------------------------

    def push(self, space: SpaceId, files: Mapping[str, bytes]) -> PushResult:
        """Store a new revision of *space* and deploy it in the background.

        Raises:
            ManifestInvalid: the files are not a valid space (nothing is stored).
        """
        source = load_space(files, default_title=space.name)
        revision = revision_hash(source.files)
        summary = manifest_summary(source.manifest)
        with self.revisions_lock:  # a delete must not take the folder between the two
            self.files.save(revision, source.files)
            self.store.add_revision(space, revision, summary)
        created = self.store.create_space(space, stage=Stage.BUILDING, manifest=summary)
        rec = self.store.get_space(space)
        # "unchanged" only when exactly these files serve without an error: the same files
        # pushed again after a failed build (say, a network error during pip) must build again
        unchanged = (rec.serving_revision == revision and rec.stage is Stage.RUNNING
                     and not rec.error_message)
        warnings = tuple(str(w) for w in source.warnings)
        if unchanged:
            return PushResult(space, revision, created, warnings, unchanged=True)
        self.crashes.cancel(space)
        stage = Stage.RUNNING_BUILDING if rec.stage.is_serving else Stage.BUILDING
        self.store.update_space(space, revision=revision, desired="running", stage=stage)
        self.cancel_build(space, unless=revision)  # a superseded build stops now
        self.publish_routes()
        self.store.add_event(space, "push", f"revision {revision[:12]} pushed")
        self.submit_deploy(space, revision)
        return PushResult(space, revision, created, warnings)

    def submit_deploy(self, space: SpaceId, revision: str, *, nocache: bool = False,
                      reuse_image: bool = False) -> Future[None]:
        """Deploy *revision* in the background; *reuse_image* starts the image the space last
        ran for that revision without building (restarts for config changes and crashes)."""
        fut = self._pool.submit(deploy.deploy_guarded, self, space, revision, nocache,
                                reuse_image)
        with self._locks_guard:
            self._pending.add(fut)
        fut.add_done_callback(self._forget)
        return fut

    def building(self, space: SpaceId, revision: str) -> threading.Event:
        """Register a build of *revision* of *space*; the event returned is set to cancel
        it (:meth:`cancel_build`). Call :meth:`built` when it ends."""
        cancel = threading.Event()
        with self._locks_guard:
            self._builds[space] = (revision, cancel)
        return cancel

    def built(self, space: SpaceId, cancel: threading.Event) -> None:
        """The build registered with *cancel* ended."""
        with self._locks_guard:
            if self._builds.get(space, ("", None))[1] is cancel:
                del self._builds[space]

    def cancel_build(self, space: SpaceId, unless: str | None = None) -> bool:
        """Stop *space*'s build under way, unless it builds revision *unless*; True when one
        was stopped."""
        with self._locks_guard:
            revision, cancel = self._builds.get(space, ("", None))
        if cancel is None or revision == unless:
            return False
        cancel.set()
        return True

    def submit_task(self, fn: Callable[..., None], *args: Any) -> Future[None]:
        """Run *fn(*args)* on the deploy pool (counted by :meth:`wait_idle`); it takes the
        space's lock itself when it needs it."""
        fut = self._pool.submit(fn, *args)
        with self._locks_guard:
            self._pending.add(fut)
        fut.add_done_callback(self._forget)
        return fut

    def _forget(self, fut: Future[None]) -> None:
        with self._locks_guard:
            self._pending.discard(fut)

    def restart(self, space: SpaceId, *, factory: bool = False) -> None:
        """Restart *space* from its current revision; ``factory`` rebuilds without cache."""
        rec = self.store.get_space(space)
        if not rec.revision:
            raise ManifestInvalid(f"space {space} has no pushed revision", hint="push it first")
        self.crashes.cancel(space)
        stage = Stage.RUNNING_BUILDING if rec.stage.is_serving else Stage.BUILDING
        self.store.update_space(space, desired="running", stage=stage)
        self.publish_routes()
        self.store.add_event(space, "restart", "factory rebuild" if factory else "restart")
        self.submit_deploy(space, rec.revision, nocache=factory)

    def delete(self, space: SpaceId) -> None:
        """Remove *space*: its containers, data volume, images' records and stored rows."""
        self.store.get_space(space)
        self.crashes.cancel(space)
        self.store.update_space(space, stage=Stage.DELETING, desired="deleted")
        self.cancel_build(space)  # not waited for to its end
        self.publish_routes()
        with self._space_lock(space):
            for info in self.runtime.list_managed(space):
                self.runtime.remove(info.id)
            self.runtime.remove_volume(data_volume(space, self.settings))
            self.runtime.remove_volume(datasets_volume(space, self.settings))
            remove_pins(pin_dir(self.settings.data_dir, space))
            if self.gpus.share is not None:
                self.gpus.share.detach(space)
            cleanup.forget_space(self, space)  # its rows, unshared revisions, images
        self.publish_routes()

    def runtime_info(self, space: SpaceId) -> dict[str, Any]:
        """The space's runtime in Hugging Face's JSON shape (``GET .../runtime``)."""
        rec = self.store.get_space(space)
        m = rec.manifest
        hw = m.get("hardware", "cpu-basic")
        return {
            "stage": rec.stage.value,
            "hardware": {"current": hw if rec.stage.is_serving else None, "requested": hw},
            "storage": None,
            "gcTimeout": self._gc_timeout(rec),
            "replicas": {"current": 1 if rec.stage.is_serving else 0, "requested": 1},
            "devMode": False,
            "domains": [{"domain": f"{space.subdomain}.{self.settings.domain}",
                         "stage": "READY" if rec.stage.is_serving else "PENDING"}],
            "sdk": m.get("sdk"),
            "sdkVersion": m.get("sdk_version") or (
                self.settings.gradio_version if m.get("sdk") == "gradio" else None),
            "errorMessage": rec.error_message or None,
            # spacehost's own: the disk limits and how full each disk is (runtime/storage.py)
            "disk": [asdict(u) for u in self.disk_usage(space)],
            "sleep": {
                "level": rec.sleep_level or None if rec.stage is Stage.SLEEPING else None,
                "idleSeconds": round(self.sleeper.idle_seconds(
                    rec, self.sleeper.activity(), self.sleeper.now()), 1)
                if rec.stage is Stage.RUNNING else None,
            },
        }

    def disk_usage(self, space: SpaceId) -> list[DiskUsage]:
        """How full *space*'s size-limited disks are (its container's writable layer and
        /data), measured now; none when it has no container or the engine does not answer."""
        rec = self.store.get_space(space)
        if not rec.container_id:
            return []
        try:
            return self.runtime.disk_usage(rec.container_id)
        except SpacehostError:
            return []

    def gpu_status(self, space: SpaceId | None = None) -> dict[str, Any]:
        """This host's GPUs, the spaces that use them, and the broker's leases and queue; only
        *space*'s part of the spaces, leases and queue when given (see gpushare.gpu_status)."""
        return gpu_status(self.gpus, self.store.list_spaces(), space)

    def _gc_timeout(self, rec: SpaceRecord) -> int | None:
        """Seconds idle before the space sleeps (HF's ``gcTimeout``); None: never."""
        if rec.sleep_time == NEVER:
            return None
        return int(self.sleeper.sleep_time(rec))

    # sleep, wake and pause ----------------------------------------------------------------

    def set_sleep_time(self, space: SpaceId, seconds: object) -> int | None:
        """Set how long *space* may be idle before it sleeps (-1: never); returns the
        ``gcTimeout`` now in force.

        Raises:
            SpaceNotFound: no such space. InvalidRequest: not an integer >= 1 or -1.
        """
        self.store.get_space(space)
        if (isinstance(seconds, bool) or not isinstance(seconds, int)
                or not (seconds == NEVER or seconds >= 1)):
            raise InvalidRequest(f"invalid sleep time {seconds!r}",
                                 hint="give whole seconds >= 1, or -1 to never sleep")
        rec = self.store.update_space(space, sleep_time=seconds)
        self.store.add_event(space, "sleeptime",
                             "never sleeps" if seconds == NEVER else f"sleeps after {seconds} s")
        return self._gc_timeout(rec)

    def wake(self, space: SpaceId) -> bool:
        """Wake *space* if it sleeps (in the background); True when a wake is under way."""
        self.store.get_space(space)
        return self.sleeper.wake(space) is not None

    def pause(self, space: SpaceId) -> None:
        """Stop *space* until an explicit restart (stage PAUSED; visits do not wake it)."""
        rec = self.store.get_space(space)
        self.crashes.cancel(space)
        with self._space_lock(space):
            self.store.update_space(space, stage=Stage.PAUSED, desired="paused", upstream=None,
                                    sleep_level="")
            self.publish_routes()
            for info in self.runtime.list_managed(space):
                if info.status == "paused":
                    self.runtime.unpause(info.id)  # a frozen process would ignore the SIGTERM
                self.runtime.stop(info.id)
        self.store.add_event(space, "pause", f"paused (was {rec.stage.value})")

    # hooks for the sleeper ----------------------------------------------------------------

    def space_lock(self, space: SpaceId) -> threading.Lock:
        """The lock that serialises what happens to one space's containers."""
        return self._space_lock(space)

    def go_live(self, space: SpaceId, **fields: Any) -> None:
        """Publish *space*'s route with *fields*, then record them (see :meth:`_go_live`)."""
        self._go_live(space, **fields)

    def follow_logs(self, space: SpaceId, container_id: str) -> None:
        """Store the run log of *container_id* again (a stopped container started again, a
        running one adopted), from where the stored log ends: no line is stored twice."""
        if container_id not in self._followers:
            runlogs.follow(self, space, container_id, runlogs.redactor_for(self, space),
                           resume=True)

    def fail(self, space: SpaceId, message: str) -> None:
        """Record a runtime error of *space* (nothing serves it)."""
        self._set_error(space, Stage.RUNTIME_ERROR, message)

    def set_error(self, space: SpaceId, stage: Stage, message: str, *,
                  keep_serving: bool = False) -> None:
        """Record an error of *space* (see :meth:`_set_error`)."""
        self._set_error(space, stage, message, keep_serving=keep_serving)

    def publish_routes(self, pending: SpaceRecord | None = None) -> None:
        """Write the route table from the store; *pending* stands in for its space's record."""
        records = self.store.list_spaces()
        if pending is not None:
            records = [pending if r.id == pending.id else r for r in records]
        self.routes.publish([route_entry(r, self.files, self.served_manifest(r))
                             for r in records])

    def served_manifest(self, rec: SpaceRecord) -> dict[str, Any]:
        """The manifest summary of the revision that answers *rec*'s visitors: while a newer
        revision deploys (or after it failed) that is the serving one, not ``rec.manifest``."""
        if (rec.serving_revision and rec.serving_revision != rec.revision
                and (rec.stage.is_serving or rec.stage is Stage.SLEEPING)):
            found = self.store.revision_manifest(rec.id, rec.serving_revision)
            if found is not None:
                return found
        return rec.manifest

    def _serving(self, rec: SpaceRecord) -> bool:
        """True when a revision of *rec* answers visitors now: its container, or the files of a
        static revision (which keep serving while a successor deploys, as a container does)."""
        return rec.stage.is_serving and (rec.container_id is not None
                                         or self.serves_static(rec))

    def serves_static(self, rec: SpaceRecord) -> bool:
        """True when the files of a static revision answer *rec*'s visitors now."""
        return (rec.stage.is_serving and rec.container_id is None
                and rec.serving_revision is not None
                and self.served_manifest(rec).get("sdk") == Sdk.STATIC.value)

    def _go_live(self, space: SpaceId, **fields: Any) -> None:
        """Route first, then record: whoever reads RUNNING from the store (the CLI, a test)
        can already reach the space through the router."""
        pending = replace(self.store.get_space(space), **fields)
        self.publish_routes(pending)
        self.store.update_space(space, **fields)

    def close(self) -> None:
        self._closed.set()
        self.sleeper.close()
        self.recovery.close()
        self.crashes.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # variables, secrets, duplicate --------------------------------------------------------

    def set_config(self, space: SpaceId, kind: str, key: object, value: object,
                   description: object = None) -> ConfigChange:
        """Set a variable (*kind* ``VARIABLE``) or secret (``SECRET``) of *space* and restart
        it if it runs, so the app sees the new value.

        Raises:
            SpaceNotFound: no such space.
            InvalidRequest, UploadTooLarge: a bad key, value or description.
        """
        return config_ops.set_config(self, space, kind, key, value, description)

    def delete_config(self, space: SpaceId, kind: str, key: object) -> ConfigChange:
        """Remove a variable or secret of *space* (restarting it if it runs).

        Raises:
            SpaceNotFound: no such space. NotFound: no such key.
        """
        return config_ops.delete_config(self, space, kind, key)

    def duplicate(self, source: SpaceId, target: SpaceId) -> DuplicateResult:
        """Copy *source*'s current revision and variables to a new space *target* and deploy
        it. Secrets are not copied: their names come back as needing values.

        Raises:
            SpaceNotFound: no *source*. Conflict: *target* exists.
            ManifestInvalid: *source* has no revision.
        """
        return config_ops.duplicate(self, source, target)

    # locks and stages (used by deploy.py, runlogs.py and the sleeper) ----------------------

    def _space_lock(self, space: SpaceId) -> threading.Lock:
        with self._locks_guard:
            return self._space_locks.setdefault(space, threading.Lock())

    def _set_stage(self, space: SpaceId, stage: Stage) -> None:
        self.store.update_space(space, stage=stage)
        self.publish_routes()

    def _set_error(self, space: SpaceId, stage: Stage, message: str, *,
                   keep_serving: bool = False) -> None:
        """Record an error. With *keep_serving* the old container keeps answering (stage
        RUNNING) and the error is shown alongside."""
        rec = self.store.find_space(space)
        if rec is None:
            return
        # the old revision serves on only while something of it answers: not a container the
        # engine took down meanwhile
        if keep_serving and (rec.upstream or self.serves_static(rec)):
            self.store.update_space(space, stage=Stage.RUNNING, error_message=message)
        else:
            self.store.update_space(space, stage=stage, error_message=message, upstream=None)
        self.publish_routes()

    # start-up -----------------------------------------------------------------------------

    def reconcile(self) -> None:
        """Bring the engine in line with the store after a (re)start of the platform.

        Running containers of serving revisions are adopted; stray managed containers are
        removed; builds left half-done are marked failed and their spaces redeployed.
        """
        reconcile.reconcile(self)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Wait until no deploy is queued or running (for tests and benchmarks)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._locks_guard:
                if not self._pending:
                    return True
            time.sleep(0.05)
        return False
