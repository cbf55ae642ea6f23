"""The lifecycle of spaces: push, build, start, health, serve, restart, delete, reconcile.

No HTTP here: the API calls these methods (from worker threads: every method may block on the
Docker engine). Deploys run on a small thread pool; one space deploys one revision at a time,
and a deploy whose revision was superseded by a newer push stops before starting a container.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Protocol

from spacehost.domain import Sdk, SpaceId, Stage
from spacehost.errors import (
    BuildFailed,
    Conflict,
    EngineUnavailable,
    HardwareUnavailable,
    InvalidRequest,
    ManifestInvalid,
    NotFound,
    SpacehostError,
)
from spacehost.lifecycle.backoff import Backoff, CrashRestarts, Timer, thread_timer
from spacehost.lifecycle.contract import (
    container_env,
    container_port,
    data_volume,
    hardware_of,
    manifest_summary,
)
from spacehost.lifecycle.datasetprep import (
    PREP_TIMEOUT_S,
    dataset_repos,
    datasets_mount,
    datasets_volume,
    prep_command,
)
from spacehost.lifecycle.envkeys import check_description, check_key, check_value
from spacehost.lifecycle.gpushare import GpuSetup, gpu_env, gpu_status
from spacehost.lifecycle.health import wait_healthy
from spacehost.lifecycle.hubmounts import (
    HubLookup,
    MountedRepo,
    hub_mounts,
    hub_refs,
    mount_error,
    pin_dir,
    remove_pins,
    resolve_refs,
    write_pins,
)
from spacehost.lifecycle.recovery import Recovery
from spacehost.lifecycle.redact import Redactor
from spacehost.lifecycle.routes import RoutePublisher, route_entry
from spacehost.lifecycle.sleep import NEVER, PAUSED, STOPPED, Sleeper
from spacehost.manifest import gpu_request, load_space
from spacehost.manifest.model import SpaceSource
from spacehost.runtime.base import (
    LABEL_HARDWARE,
    ContainerInfo,
    ContainerSpec,
    Mount,
    RuntimeBackend,
    TaskResult,
)
from spacehost.settings import Settings
from spacehost.store import (
    SECRET,
    VARIABLE,
    ConfigEntry,
    RevisionFiles,
    SecretCipher,
    SpaceConfig,
    SpaceRecord,
    Store,
    revision_hash,
)

log = logging.getLogger(__name__)

LOG_TAIL = 30
TRIM_EVERY = 500  # run-log lines between two trims of a space's run log
SWITCH_GRACE_S = 1.0  # > the router's route-table reload interval (0.1 s), with margin
# a change of variables or secrets restarts a space in these stages; in BUILDING and
# RUNNING_BUILDING the deploy under way reads them when it starts the container
RESTART_ON_CONFIG = (Stage.RUNNING, Stage.RUNNING_APP_STARTING, Stage.APP_STARTING,
                     Stage.RUNTIME_ERROR)
# a new revision was on its way while an older one served
DEPLOYING = (Stage.RUNNING_BUILDING, Stage.RUNNING_APP_STARTING)


class BuildOutcome(Protocol):
    @property
    def image(self) -> str: ...


class Builder(Protocol):
    def build(self, source: SpaceSource, space: SpaceId, revision: str, *,
              on_log: Callable[[str], None], nocache: bool = False) -> BuildOutcome: ...


class GpuCheck(Protocol):
    def __call__(self, manifest_hardware: Any) -> list[str]: ...


@dataclass(frozen=True)
class PushResult:
    space: SpaceId
    revision: str
    created: bool
    warnings: tuple[str, ...]
    unchanged: bool = False


@dataclass(frozen=True)
class ConfigChange:
    """What setting or deleting a variable or secret did."""

    entry: ConfigEntry | None  # None after a delete
    restarting: bool


@dataclass(frozen=True)
class DuplicateResult:
    push: PushResult
    variables: tuple[str, ...]
    secrets_needing_values: tuple[str, ...]


def _tail(lines: list[str], n: int = LOG_TAIL) -> str:
    return "\n".join(lines[-n:])


def _tail_text(log_tail: object, lines: list[str]) -> str:
    """A build error's log tail as text: the builder gives a list of lines (or a string)."""
    if isinstance(log_tail, str):
        return log_tail
    if isinstance(log_tail, (list, tuple)) and log_tail:
        return _tail([str(line) for line in log_tail])
    return _tail(lines)


class Platform:
    """Everything that happens to spaces, behind the API.

    Args:
        settings: platform settings.
        store: the database.
        files: stored revisions.
        builder: builds space images (``DockerBuilder``).
        runtime: runs containers (``DockerBackend``).
        check_gpu: raises HardwareUnavailable when the host cannot give what a manifest asks;
            returns warnings (e.g. CPU fallback). Default: no GPU checks.
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
        check_gpu: Callable[[Any], list[str]] | None = None,
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
        self.check_gpu = check_gpu or (lambda _req: [])
        self.hub = hub  # models and datasets spaces mount (hubmounts.py)
        self.gpus = gpus or GpuSetup()
        self.routes = RoutePublisher(settings.routes_file)
        self._pool = ThreadPoolExecutor(max_parallel_builds, thread_name_prefix="deploy")
        self._space_locks: dict[SpaceId, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._followers: dict[str, threading.Thread] = {}
        self._closed = threading.Event()
        self._pending: set[Future[None]] = set()
        self.config = SpaceConfig(store, SecretCipher(settings.data_dir / "secret.key",
                                                      settings.secret_key))
        self._redactors: dict[str, Redactor] = {}  # container id -> its secrets' redactor
        self.crashes = CrashRestarts(
            Backoff(settings.crash_backoff_initial_s, settings.crash_backoff_max_s,
                    settings.crash_backoff_reset_s),
            self._crash_restart, clock=clock, timer=timer)
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
        self.publish_routes()
        self.store.add_event(space, "push", f"revision {revision[:12]} pushed")
        self.submit_deploy(space, revision)
        return PushResult(space, revision, created, warnings)

    def submit_deploy(self, space: SpaceId, revision: str, *, nocache: bool = False,
                      reuse_image: bool = False) -> Future[None]:
        """Deploy *revision* in the background; *reuse_image* starts the image the space last
        ran for that revision without building (restarts for config changes and crashes)."""
        fut = self._pool.submit(self._deploy_guarded, space, revision, nocache, reuse_image)
        with self._locks_guard:
            self._pending.add(fut)
        fut.add_done_callback(self._forget)
        return fut

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
        self.publish_routes()
        with self._space_lock(space):
            for info in self.runtime.list_managed(space):
                self.runtime.remove(info.id)
            self.runtime.remove_volume(data_volume(space, self.settings))
            self.runtime.remove_volume(datasets_volume(space, self.settings))
            remove_pins(pin_dir(self.settings.data_dir, space))
            if self.gpus.share is not None:
                self.gpus.share.detach(space)
            self.store.delete_space(space)
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
            "sleep": {
                "level": rec.sleep_level or None if rec.stage is Stage.SLEEPING else None,
                "idleSeconds": round(self.sleeper.idle_seconds(
                    rec, self.sleeper.activity(), self.sleeper.now()), 1)
                if rec.stage is Stage.RUNNING else None,
            },
        }

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
            self._follow_logs(space, container_id, self._redactor_for(space), resume=True)

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
        if kind not in (VARIABLE, SECRET):
            raise ValueError(f"unknown config kind {kind!r}")
        self.store.get_space(space)
        k = check_key(key)
        v, d = check_value(k, value), check_description(description)
        setter = self.config.set_secret if kind == SECRET else self.config.set_variable
        entry = setter(space, k, v, d)
        restarting = self._restart_for_config(space, f"{kind} {k} set")
        return ConfigChange(entry, restarting)

    def delete_config(self, space: SpaceId, kind: str, key: object) -> ConfigChange:
        """Remove a variable or secret of *space* (restarting it if it runs).

        Raises:
            SpaceNotFound: no such space. NotFound: no such key.
        """
        self.store.get_space(space)
        if not isinstance(key, str) or not self.config.delete(space, kind, key):
            raise NotFound(f"{space} has no {kind} {key!r}",
                           hint=f"list them with `spacehost {kind}s ls {space}`")
        return ConfigChange(None, self._restart_for_config(space, f"{kind} {key} deleted"))

    def _restart_for_config(self, space: SpaceId, what: str) -> bool:
        rec = self.store.get_space(space)
        if (not rec.revision or rec.desired != "running" or rec.stage not in RESTART_ON_CONFIG
                or rec.manifest.get("sdk") == Sdk.STATIC.value):
            self.store.add_event(space, "config", what)
            return False
        self.crashes.cancel(space)
        self.store.add_event(space, "config", f"{what}; restarting")
        self.submit_deploy(space, rec.revision, reuse_image=True)
        return True

    def duplicate(self, source: SpaceId, target: SpaceId) -> DuplicateResult:
        """Copy *source*'s current revision and variables to a new space *target* and deploy
        it. Secrets are not copied: their names come back as needing values.

        Raises:
            SpaceNotFound: no *source*. Conflict: *target* exists.
            ManifestInvalid: *source* has no revision.
        """
        rec = self.store.get_space(source)
        if self.store.find_space(target) is not None:
            raise Conflict(f"space {target} already exists",
                           hint="choose another name, or delete it first")
        if not rec.revision:
            raise ManifestInvalid(f"space {source} has no pushed revision", hint="push it first")
        files = self.files.load(rec.revision)
        # variables first: the new space's first container must start with them
        self.config.copy_variables(source, target)
        result = self.push(target, files)
        self.store.add_event(target, "duplicate", f"duplicated from {source}")
        return DuplicateResult(
            result, tuple(e.key for e in self.config.variables(target)),
            tuple(e.key for e in self.config.secrets(source)))

    # deploy -------------------------------------------------------------------------------

    def _space_lock(self, space: SpaceId) -> threading.Lock:
        with self._locks_guard:
            return self._space_locks.setdefault(space, threading.Lock())

    def _deploy_guarded(self, space: SpaceId, revision: str, nocache: bool,
                        reuse_image: bool = False) -> None:
        try:
            with self._space_lock(space):
                self._deploy(space, revision, nocache, reuse_image)
        except EngineUnavailable as exc:  # the engine restarts: deployed again once it is back
            self.recovery.engine_failed(space, exc, deploy=True)
        except Exception:  # a deploy thread must never die silently
            log.exception("deploy of %s@%s failed unexpectedly", space, revision[:12])
            self._set_error(space, Stage.RUNTIME_ERROR, "internal error while deploying; "
                            "see the platform's log")

    def _superseded(self, space: SpaceId, revision: str) -> bool:
        rec = self.store.find_space(space)
        return rec is None or rec.revision != revision or rec.desired != "running"

    def _deploy(self, space: SpaceId, revision: str, nocache: bool,
                reuse_image: bool = False) -> None:
        if self._superseded(space, revision):
            return
        source = load_space(self.files.load(revision), default_title=space.name)
        rec = self.store.get_space(space)
        serving = self._serving(rec)
        summary = manifest_summary(source.manifest)
        self.store.update_space(space, manifest=summary, hardware=hardware_of(source.manifest),
                                error_message="")
        if source.manifest.sdk is Sdk.STATIC:
            self._serve_static(space, revision, rec)
            return
        try:
            gpu_warnings = self.check_gpu(gpu_request(source.manifest))
        except HardwareUnavailable as exc:
            self._set_error(space, Stage.CONFIG_ERROR, str(exc), keep_serving=serving)
            return
        try:  # before the build: a misspelled repo costs no build
            repos = resolve_refs(hub_refs(source.manifest), self.hub)
        except SpacehostError as exc:
            self._set_error(space, Stage.CONFIG_ERROR, mount_error(exc), keep_serving=serving)
            return
        if repos:
            self.store.update_space(space, manifest={**summary, "hub": [
                r.summary() for r in repos]})
        if reuse_image and rec.image and rec.serving_revision == revision:
            image: str | None = rec.image
        else:
            image = self._build(space, revision, source, nocache, serving, gpu_warnings)
        if image is None or self._superseded(space, revision):
            return
        self._start(space, revision, source, image, serving, rec, repos)

    def _build(self, space: SpaceId, revision: str, source: SpaceSource, nocache: bool,
               serving: bool, warnings: list[str]) -> str | None:
        self._set_stage(space, Stage.RUNNING_BUILDING if serving else Stage.BUILDING)
        build_id = self.store.start_build(space, revision, nocache=nocache)
        ref = f"build-{build_id}"
        lines: list[str] = []

        def on_log(line: str) -> None:
            lines.append(line)
            self.store.append_logs(space, "build", ref, [line])

        for w in warnings:
            on_log(f"WARNING: {w}")
        try:
            result = self.builder.build(source, space, revision, on_log=on_log, nocache=nocache)
        except EngineUnavailable as exc:  # not the space's fault: retried (recovery.py)
            self.store.finish_build(build_id, status="failed", error=exc.message)
            raise
        except SpacehostError as exc:
            msg = exc.message if isinstance(exc, BuildFailed) else str(exc)
            tail = _tail_text(exc.details.get("log_tail"), lines)
            self.store.finish_build(build_id, status="failed", error=msg)
            self._set_error(space, Stage.BUILD_ERROR, f"{msg}\n\n{tail}".strip(),
                            keep_serving=serving)
            self.store.add_event(space, "build_error", msg)
            return None
        self.store.finish_build(build_id, status="succeeded", image=result.image)
        self.store.trim_logs(space, "build", self.settings.log_lines_kept)
        return result.image

    def _start(self, space: SpaceId, revision: str, source: SpaceSource, image: str,
               serving: bool, previous: SpaceRecord, repos: tuple[MountedRepo, ...] = ()
               ) -> None:
        manifest = source.manifest
        self._set_stage(space, Stage.RUNNING_APP_STARTING if serving else Stage.APP_STARTING)
        try:
            # read now, not at push: a change made during the build is in this container
            user_env = self.config.environment(space)
        except SpacehostError as exc:
            self._set_error(space, Stage.CONFIG_ERROR, str(exc), keep_serving=serving)
            return
        # the contract's variables win; the API refuses reserved names anyway
        env = {**user_env, **container_env(space, manifest, self.settings)}
        spec = ContainerSpec(
            space=space, revision=revision, image=image, port=container_port(manifest),
            env=env, gpu=gpu_request(manifest),
            memory_limit=self.settings.memory_limit, cpus=self.settings.cpus,
            pids_limit=self.settings.pids_limit, data_volume=data_volume(space, self.settings),
            labels={LABEL_HARDWARE: hardware_of(manifest)},
            mounts=self._hub_mounts(space, repos),
        )
        prepared = self._prepare_datasets(space, spec, repos) if dataset_repos(repos) else []
        shared_spec = self._share_gpu(space, spec, serving)
        if shared_spec is None:
            return
        spec = shared_spec
        if not serving:
            self._remove_containers(space)  # a crashed or stopped run of this space
        if not (serving and previous.container_id):  # one more container, not a replacement
            self.sleeper.make_room(keep=space, extra=1)
        try:
            info = self.runtime.start(spec)
        except EngineUnavailable:
            raise  # not the space's fault: retried once the engine is back (recovery.py)
        except SpacehostError as exc:
            stage = Stage.CONFIG_ERROR if isinstance(exc, HardwareUnavailable) else (
                Stage.RUNTIME_ERROR)
            self._set_error(space, stage, str(exc), keep_serving=serving)
            return
        if prepared:  # at the top of this run's log, before the app's own lines
            self.store.append_logs(space, "run", info.id, prepared)
        self._follow_logs(space, info.id, self._redactor_for(space))
        timeout = manifest.startup_duration_timeout_s or self.settings.startup_timeout_s
        result = wait_healthy(lambda: self.runtime.inspect(info.id), deadline_s=timeout,
                              cancelled=self._closed.is_set)
        if not result.healthy:
            self._startup_failed(space, info, result.reason, timeout, serving)
            return
        assert result.info is not None
        self._go_live(
            space, stage=Stage.RUNNING, serving_revision=revision, container_id=info.id,
            upstream=f"{result.info.host}:{result.info.port}", image=image, error_message="",
        )
        self.store.add_event(space, "running", f"revision {revision[:12]} is live")
        self.sleeper.went_awake(space)
        self.crashes.went_live(space)
        if serving and previous.container_id and previous.container_id != info.id:
            # the router re-reads the table within its reload interval; requests routed to the
            # old container before then must still find it
            self._closed.wait(SWITCH_GRACE_S)
            self.runtime.remove(previous.container_id)

    def _share_gpu(self, space: SpaceId, spec: ContainerSpec,
                   serving: bool) -> ContainerSpec | None:
        """A shared-GPU space gets its broker socket; every GPU space gets the variables that
        tell the `spaces` package how to run @spaces.GPU functions (lifecycle/gpushare.py).
        None (with the error recorded) when the broker cannot listen for the space."""
        share = self.gpus.share
        try:
            shared = share.attach(space) if spec.gpu.shared and share is not None else None
        except SpacehostError as exc:
            self._set_error(space, Stage.RUNTIME_ERROR, f"the GPU broker: {exc}",
                            keep_serving=serving)
            return None
        env = gpu_env(spec.gpu, self.gpus, shared)
        if not env:
            return spec
        mounts = (*spec.mounts, *(shared.mounts if shared is not None else ()))
        return replace(spec, env={**spec.env, **env}, mounts=mounts)

    def _hub_mounts(self, space: SpaceId, repos: tuple[MountedRepo, ...]) -> tuple[Mount, ...]:
        """The space's hub repos, read-only, pinned to the commits resolved now; a writable
        datasets cache when it uses datasets (datasetprep.py)."""
        if not repos:
            return ()
        pins = pin_dir(self.settings.data_dir, space)
        write_pins(repos, pins)
        mounts = hub_mounts(repos, pins)
        if dataset_repos(repos):
            mounts += (datasets_mount(space, self.settings),)
        return mounts

    def _prepare_datasets(self, space: SpaceId, spec: ContainerSpec,
                          repos: tuple[MountedRepo, ...]) -> list[str]:
        """Prepare the space's hub datasets for an offline ``load_dataset`` (datasetprep.py);
        returns the task's output for the run log. A failure is reported, not fatal: the app
        may not call ``load_dataset`` at all."""
        task = replace(spec, command=prep_command(repos))
        try:
            result = self.runtime.run_task(task, timeout=PREP_TIMEOUT_S)
        except SpacehostError as exc:
            result = TaskResult(1, (f"datasets: not prepared: {exc}",))
        lines = [ln for ln in result.lines if ln.strip()]
        if result.exit_code is None:
            lines.append(f"datasets: preparing took longer than {PREP_TIMEOUT_S:.0f} s; stopped")
        if not result.ok:
            self.store.add_event(space, "datasets", "some hub datasets could not be prepared "
                                 "for load_dataset; see the run log")
        return lines

    def _startup_failed(self, space: SpaceId, info: ContainerInfo, reason: str, timeout: float,
                        serving: bool) -> None:
        last = self.runtime.inspect(info.id)
        redact = self._redactors.get(info.id) or self._redactor_for(space)
        tail = redact(_tail(self.runtime.logs(info.id, tail=LOG_TAIL))) if last else ""
        if reason == "timeout":
            msg = (f"the app did not answer 200 on / within {timeout:.0f} s "
                   "(startup_duration_timeout)")
        elif last and last.oom_killed:
            msg = "the app was killed: out of memory (raise SPACEHOST_MEMORY_LIMIT)"
        else:
            code = last.exit_code if last else None
            msg = f"the app exited with code {code} while starting"
        self.runtime.remove(info.id) if serving else self.runtime.stop(info.id, timeout=2)
        self._set_error(space, Stage.RUNTIME_ERROR, f"{msg}\n\n{tail}".strip(),
                        keep_serving=serving)
        self.store.add_event(space, "runtime_error", msg)
        if not serving and self.settings.crash_restart:
            delay = self.crashes.start_failed(space)
            if delay is not None:
                self.store.add_event(space, "restart_scheduled", f"restarting in {delay:g} s "
                                     f"(crash {self.crashes.crashes(space)} in a row)")

    def _serve_static(self, space: SpaceId, revision: str, previous: SpaceRecord) -> None:
        # the files' route first, then the old container goes (as a container-to-container
        # switch does): a request routed to it meanwhile still finds it
        self._go_live(space, stage=Stage.RUNNING, serving_revision=revision, container_id=None,
                      upstream=None, image=None, error_message="")
        self.store.add_event(space, "running", f"static revision {revision[:12]} is live")
        if previous.container_id and previous.stage.is_serving:
            self._closed.wait(SWITCH_GRACE_S)
        self._remove_containers(space)

    def _remove_containers(self, space: SpaceId) -> None:
        for c in self.runtime.list_managed(space):
            self.runtime.remove(c.id)

    # stages -------------------------------------------------------------------------------

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

    # run logs and crash detection ---------------------------------------------------------

    def _redactor_for(self, space: SpaceId) -> Redactor:
        """Masks the space's current secret values (an unreadable secret masks nothing)."""
        try:
            return Redactor(self.config.secret_values(space).values())
        except SpacehostError:
            return Redactor()

    def _follow_logs(self, space: SpaceId, container_id: str, redact: Redactor, *,
                     resume: bool = False) -> None:
        """Store *container_id*'s run log as it is written; *resume*: only what the engine
        logged since the last stored line of that container (its time, the store's clock)."""
        self._redactors[container_id] = redact
        last = self.store.logs(space, "run", tail=1, ref=container_id) if resume else []
        since = last[0].ts if last else None
        t = threading.Thread(target=self._pump_logs, args=(space, container_id, redact, since),
                             name=f"logs-{container_id[:12]}", daemon=True)
        self._followers[container_id] = t
        t.start()

    def _pump_logs(self, space: SpaceId, container_id: str, redact: Redactor,
                   since: float | None = None) -> None:
        try:
            lines = self.runtime.follow_logs(container_id, since=since)
            for count, line in enumerate(lines, start=1):
                # masked before it is stored: the API, pages and the DB never see the value
                self.store.append_logs(space, "run", container_id, [redact(line)])
                if count % TRIM_EVERY == 0:  # a chatty app must not grow the store forever
                    self.store.trim_logs(space, "run", self.settings.log_lines_kept)
        except SpacehostError:
            pass
        finally:
            self._followers.pop(container_id, None)
        if not self._closed.is_set():
            try:
                self._on_container_stopped(space, container_id)
            except EngineUnavailable:  # the engine stopped (a daemon restart): recovery.py
                self.recovery.container_lost(space, container_id)
            except Exception:  # this thread must not die silently
                log.exception("handling the end of %s's container %s failed", space,
                              container_id[:12])
        self._redactors.pop(container_id, None)

    def _on_container_stopped(self, space: SpaceId, container_id: str) -> None:
        rec = self.store.find_space(space)
        # RUNNING_BUILDING / RUNNING_APP_STARTING too: the old container must leave the route
        if rec is None or rec.container_id != container_id or not rec.stage.is_serving:
            return
        info = self.runtime.inspect(container_id)
        if info is not None and info.is_running:
            return
        if info is not None and info.oom_killed:
            msg = "the app was killed: out of memory (OOM-killed)"
        else:
            msg = f"the app exited with code {info.exit_code if info else None}"
        # the engine's copy of the output is complete even when the pump missed the last lines
        lines = (self.runtime.logs(container_id, tail=LOG_TAIL) if info is not None else
                 [ln.line for ln in self.store.logs(space, "run", tail=LOG_TAIL, ref=container_id)])
        redact = self._redactors.get(container_id) or self._redactor_for(space)
        tail = redact(_tail(lines))
        self.store.update_space(space, stage=Stage.RUNTIME_ERROR, upstream=None,
                                error_message=f"{msg}\n\n{tail}".strip())
        self.store.add_event(space, "runtime_error", msg)
        self.publish_routes()
        # during a redeploy the deploy under way replaces it: no restart of the old one
        if self.settings.crash_restart and rec.desired == "running" and rec.stage is Stage.RUNNING:
            delay = self.crashes.crashed(space)
            self.store.add_event(space, "restart_scheduled", f"restarting in {delay:g} s "
                                 f"(crash {self.crashes.crashes(space)} in a row)")

    def _crash_restart(self, space: SpaceId, crashes: int) -> None:
        """The backoff wait of a crashed space is over: redeploy its revision (same image)."""
        if self._closed.is_set():
            return
        rec = self.store.find_space(space)
        if (rec is None or rec.desired != "running" or not rec.revision
                or rec.stage is not Stage.RUNTIME_ERROR):
            return  # something else (a push, a restart) has taken over
        self.store.add_event(space, "restart", f"automatic restart after crash {crashes} in a "
                             "row")
        self.submit_deploy(space, rec.revision, reuse_image=True)

    # start-up -----------------------------------------------------------------------------

    def reconcile(self) -> None:
        """Bring the engine in line with the store after a (re)start of the platform.

        Running containers of serving revisions are adopted; stray managed containers are
        removed; builds left half-done are marked failed and their spaces redeployed.
        """
        self.files.sweep_incoming()
        for build in self.store.fail_running_builds("the platform stopped during this build"):
            log.info("build %s of %s was interrupted", build.id, build.space)
        records = {str(r.id): r for r in self.store.list_spaces()}
        adopted: set[str] = set()
        for info in self.runtime.list_managed():
            rec = records.get(str(info.space))
            if rec and rec.container_id == info.id and self._adopt_asleep(rec, info):
                adopted.add(str(rec.id))
            elif (rec and rec.container_id == info.id and rec.desired == "running"
                    and rec.stage.is_serving and info.status in ("exited", "created")):
                # stopped with the engine (a reboot, a daemon restart): started again as it was
                adopted.add(str(rec.id))
                self.submit_task(self.recovery.restart_container, rec.id, info.id,
                                 rec.stage in DEPLOYING)
            elif (rec and rec.container_id == info.id and info.is_running
                    and rec.desired == "running" and info.host and info.port):
                adopted.add(str(rec.id))
                self._go_live(rec.id, stage=Stage.RUNNING, upstream=f"{info.host}:{info.port}")
                self._follow_logs(rec.id, info.id, self._redactor_for(rec.id), resume=True)
                if rec.stage in DEPLOYING:  # the old one serves on; the new one is retried
                    self.submit_deploy(rec.id, rec.revision or "")
            else:
                self.runtime.remove(info.id)
        for key, rec in records.items():
            if key in adopted or rec.desired != "running" or not rec.revision:
                continue
            if rec.stage in (Stage.BUILD_ERROR, Stage.CONFIG_ERROR, Stage.NO_APP_FILE):
                continue
            if self.serves_static(rec):  # its files serve without a container
                if rec.stage is not Stage.RUNNING:
                    self.submit_deploy(rec.id, rec.revision)  # a deploy was under way
                continue
            self.store.update_space(rec.id, upstream=None, container_id=None)
            self.submit_deploy(rec.id, rec.revision)
        self.publish_routes()

    def _adopt_asleep(self, rec: SpaceRecord, info: ContainerInfo) -> bool:
        """Keep the container of a sleeping or paused space as it is; True when adopted."""
        if rec.stage is Stage.PAUSED:
            return True
        if rec.stage is not Stage.SLEEPING or rec.desired != "running":
            return False
        if info.status == "paused" and info.host and info.port:
            self.store.update_space(rec.id, sleep_level=PAUSED,
                                    upstream=f"{info.host}:{info.port}")
        elif info.status in ("exited", "created"):
            self.store.update_space(rec.id, sleep_level=STOPPED, upstream=None)
        else:
            return False
        return True

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Wait until no deploy is queued or running (for tests and benchmarks)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._locks_guard:
                if not self._pending:
                    return True
            time.sleep(0.05)
        return False
