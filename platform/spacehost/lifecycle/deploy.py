"""Deploys: one revision of one space, from its files to a live route.

gpu check ──► hub refs ──► build (or reuse the image) ──► start ──► wait_healthy ──► go live
──► remove the old container. A static revision goes live without a container. Plain
functions over the :class:`Deployer` (the parts a deploy uses), run on the deploy pool under
the space's lock (:meth:`Deployer.submit`).
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import dataclass, replace

from spacehost.domain import Sdk, SpaceId, Stage
from spacehost.errors import (
    BuildCancelled,
    BuildFailed,
    EngineUnavailable,
    HardwareUnavailable,
    SpacehostError,
)
from spacehost.lifecycle import cleanup, runlogs, stages
from spacehost.lifecycle.backoff import CrashRestarts
from spacehost.lifecycle.context import Builder, BuildOutcome, Context, GpuCheck
from spacehost.lifecycle.contract import (
    container_port,
    container_workdir,
    contract_env,
    data_volume,
    hardware_of,
    manifest_summary,
)
from spacehost.lifecycle.datasetprep import (
    PREP_TIMEOUT_S,
    dataset_repos,
    datasets_mount,
    prep_command,
)
from spacehost.lifecycle.gpushare import gpu_env
from spacehost.lifecycle.health import wait_healthy
from spacehost.lifecycle.hubmounts import (
    MountedRepo,
    hub_mounts,
    hub_refs,
    hub_snapshots,
    mount_error,
    pin_dir,
    resolve_refs,
    write_pins,
)
from spacehost.lifecycle.recovery import Recovery
from spacehost.lifecycle.runlogs import RunLogs
from spacehost.lifecycle.sleep import Sleeper
from spacehost.lifecycle.tasks import Tasks
from spacehost.lifecycle.visibility import hub_reader
from spacehost.lifecycle.volumes import parse_volume, takes_data, volume_mounts
from spacehost.manifest import gpu_request, hardware_label, load_space
from spacehost.manifest.model import SpaceSource
from spacehost.runtime.base import (
    LABEL_HARDWARE,
    ContainerInfo,
    ContainerSpec,
    Mount,
    TaskResult,
)
from spacehost.store import SpaceRecord

# Builder, BuildOutcome and GpuCheck live in context.py; named here for their old importers
__all__ = [
    "SWITCH_GRACE_S",
    "BuildOutcome",
    "Builder",
    "Deployer",
    "GpuCheck",
    "deploy",
    "deploy_guarded",
]

log = logging.getLogger(__name__)

SWITCH_GRACE_S = 1.0  # > the router's route-table reload interval (0.1 s), with margin


@dataclass(frozen=True)
class Deployer:
    """The parts a deploy uses, built once by the composition root (assembly.py).

    Attributes:
        ctx: the shared context. tasks: the deploy pool and its builds under way.
        logs: follows the new container's run log. crashes: crash restarts (backoff).
        sleeper: makes room among awake spaces; the new container's idle time starts.
        recovery: told when a deploy fails for want of the engine.
    """

    ctx: Context
    tasks: Tasks
    logs: RunLogs
    crashes: CrashRestarts
    sleeper: Sleeper
    recovery: Recovery

    def submit(
        self, space: SpaceId, revision: str, *, nocache: bool = False, reuse_image: bool = False
    ) -> Future[None]:
        """Deploy *revision* in the background; *reuse_image* starts the image the space last
        ran for that revision without building (restarts for config changes and crashes)."""
        return self.tasks.submit(deploy_guarded, self, space, revision, nocache, reuse_image)


def tail_text(log_tail: object, lines: list[str]) -> str:
    """A build error's log tail as text: the builder gives a list of lines (or a string)."""
    if isinstance(log_tail, str):
        return log_tail
    if isinstance(log_tail, (list, tuple)) and log_tail:
        return runlogs.tail([str(line) for line in log_tail])
    return runlogs.tail(lines)


def deploy_guarded(
    d: Deployer, space: SpaceId, revision: str, nocache: bool, reuse_image: bool = False
) -> None:
    """:func:`deploy` under the space's lock; what goes wrong is recorded, never raised."""
    ctx = d.ctx
    try:
        with ctx.locks.lock(space):
            deploy(d, space, revision, nocache, reuse_image)
    except EngineUnavailable as exc:  # the engine restarts: deployed again once it is back
        d.recovery.engine_failed(space, exc, deploy=True)
    except Exception:  # a deploy thread must never die silently
        log.exception("deploy of %s@%s failed unexpectedly", space, revision[:12])
        stages.set_error(
            ctx,
            space,
            Stage.RUNTIME_ERROR,
            "internal error while deploying; see the platform's log",
        )


def superseded(ctx: Context, space: SpaceId, revision: str) -> bool:
    """True when *revision* is no longer the one *space* should run."""
    rec = ctx.store.find_space(space)
    return rec is None or rec.revision != revision or rec.desired != "running"


def deploy(
    d: Deployer, space: SpaceId, revision: str, nocache: bool, reuse_image: bool = False
) -> None:
    """Deploy *revision* of *space* (the caller holds the space's lock)."""
    ctx = d.ctx
    if superseded(ctx, space, revision):
        return
    source = load_space(ctx.files.load(revision), default_title=space.name)
    rec = ctx.store.get_space(space)
    serving = stages.serving(ctx, rec)
    summary = manifest_summary(source.manifest)
    ctx.store.update_space(
        space, manifest=summary, hardware=hardware_of(source.manifest), error_message=""
    )
    if source.manifest.sdk is Sdk.STATIC:
        serve_static(ctx, space, revision, rec)
        return
    try:
        gpu_warnings = ctx.check_gpu(gpu_request(source.manifest), hardware_label(source.manifest))
    except HardwareUnavailable as exc:
        stages.set_error(ctx, space, Stage.CONFIG_ERROR, str(exc), keep_serving=serving)
        return
    try:  # before the build: a misspelled repo costs no build
        readable = hub_reader(ctx.visibility, space.owner)
        repos = resolve_refs(hub_refs(source.manifest), ctx.hub, readable)
    except SpacehostError as exc:
        stages.set_error(ctx, space, Stage.CONFIG_ERROR, mount_error(exc), keep_serving=serving)
        return
    if repos:
        ctx.store.update_space(space, manifest={**summary, "hub": [r.summary() for r in repos]})
    if reuse_image and rec.image and rec.serving_revision == revision:
        image: str | None = rec.image
    else:
        image = build(d, space, revision, source, nocache, serving, gpu_warnings)
    if image is None or superseded(ctx, space, revision):
        return
    start(d, space, revision, source, image, serving, rec, repos)


def cancel_reason(ctx: Context, space: SpaceId) -> str:
    """Why a build of *space* was cancelled, in words."""
    rec = ctx.store.find_space(space)
    if rec is None or rec.desired == "deleted":
        return "the space is being deleted"
    return f"superseded by revision {(rec.revision or '')[:12]}, pushed since"


def build(
    d: Deployer,
    space: SpaceId,
    revision: str,
    source: SpaceSource,
    nocache: bool,
    serving: bool,
    warnings: list[str],
) -> str | None:
    """Build the space's image, its log stored as it comes; None (error recorded) on failure."""
    ctx = d.ctx
    stages.set_stage(ctx, space, Stage.RUNNING_BUILDING if serving else Stage.BUILDING)
    build_id = ctx.store.start_build(space, revision, nocache=nocache)
    ref = f"build-{build_id}"
    lines: list[str] = []

    def on_log(line: str) -> None:
        lines.append(line)
        ctx.store.append_logs(space, "build", ref, [line])

    for w in warnings:
        on_log(f"WARNING: {w}")
    cancel = d.tasks.building(space, revision)
    if superseded(ctx, space, revision):  # a push or delete that came before the registration
        cancel.set()
    try:
        result = ctx.builder.build(
            source,
            space,
            revision,
            on_log=on_log,
            nocache=nocache,
            cancel=cancel,
            revision_date=ctx.store.revision_date(space, revision),
        )
    except BuildCancelled as exc:  # superseded or deleted: no error for the space
        why = cancel_reason(ctx, space)
        ctx.store.finish_build(build_id, status="cancelled", error=f"{exc.message}: {why}")
        ctx.store.add_event(space, "build_cancelled", f"build of {revision[:12]} cancelled: {why}")
        return None
    except EngineUnavailable as exc:  # not the space's fault: retried (recovery.py)
        ctx.store.finish_build(build_id, status="failed", error=exc.message)
        raise
    except SpacehostError as exc:
        msg = exc.message if isinstance(exc, BuildFailed) else str(exc)
        text = tail_text(exc.details.get("log_tail"), lines)
        ctx.store.finish_build(build_id, status="failed", error=msg)
        stages.set_error(
            ctx, space, Stage.BUILD_ERROR, f"{msg}\n\n{text}".strip(), keep_serving=serving
        )
        ctx.store.add_event(space, "build_error", msg)
        return None
    except Exception:  # a bug, recorded by deploy_guarded; the build row never stays "running"
        ctx.store.finish_build(
            build_id, status="failed", error="internal error while building; see the platform's log"
        )
        raise
    finally:
        d.tasks.built(space, cancel)
    ctx.store.finish_build(build_id, status="succeeded", image=result.image)
    ctx.store.trim_logs(space, "build", ctx.settings.log_lines_kept)
    return result.image


def start(
    d: Deployer,
    space: SpaceId,
    revision: str,
    source: SpaceSource,
    image: str,
    serving: bool,
    previous: SpaceRecord,
    repos: tuple[MountedRepo, ...] = (),
) -> None:
    """Start *image*, wait until it answers, route to it and remove the container it
    replaces; a failure is recorded (the old revision serves on when *serving*)."""
    ctx = d.ctx
    manifest = source.manifest
    stages.set_stage(ctx, space, Stage.RUNNING_APP_STARTING if serving else Stage.APP_STARTING)
    try:
        # read now, not at push: a change made during the build is in this container
        user_env = ctx.config.environment(space)
        volumes = [parse_volume(v) for v in ctx.config.volumes(space)]
        bucket_mounts = volume_mounts(ctx.settings, volumes)
    except SpacehostError as exc:
        stages.set_error(ctx, space, Stage.CONFIG_ERROR, str(exc), keep_serving=serving)
        return
    # the contract's variables win; the API refuses reserved names anyway
    env = {**user_env, **contract_env(space, manifest, ctx.settings)}
    spec = ContainerSpec(
        space=space,
        revision=revision,
        image=image,
        port=container_port(manifest),
        env=env,
        gpu=gpu_request(manifest),
        memory_limit=ctx.settings.memory_limit,
        cpus=ctx.settings.cpus,
        cpu_shares=ctx.settings.cpu_shares,
        workdir=container_workdir(manifest),
        pids_limit=ctx.settings.pids_limit,
        # a bucket mounted at /data stands in for the space's own /data (lifecycle/volumes.py);
        # replicas have none: one disk cannot follow processes spread over nodes
        data_volume=None
        if takes_data(volumes) or manifest.replicas > 1
        else data_volume(space, ctx.settings),
        labels={LABEL_HARDWARE: hardware_of(manifest)},
        mounts=space_hub_mounts(ctx, space, repos) + bucket_mounts,
        hub=hub_snapshots(repos),
        replicas=manifest.replicas,
    )
    prepared = prepare_datasets(ctx, space, spec, repos) if dataset_repos(repos) else []
    shared_spec = share_gpu(ctx, space, spec, serving)
    if shared_spec is None:
        return
    spec = shared_spec
    held_spec = hold_gpus(ctx, space, spec, hardware_label(manifest) or "", serving)
    if held_spec is None:
        return
    spec = held_spec
    if not serving:
        remove_containers(ctx, space)  # a crashed or stopped run of this space
    if not (serving and previous.container_id):  # one more container, not a replacement
        d.sleeper.make_room(keep=space, extra=1)
    try:
        info = ctx.runtime.start(spec)
    except EngineUnavailable:
        raise  # not the space's fault: retried once the engine is back (recovery.py)
    except SpacehostError as exc:
        stage = (
            Stage.CONFIG_ERROR if isinstance(exc, HardwareUnavailable) else (Stage.RUNTIME_ERROR)
        )
        stages.set_error(ctx, space, stage, str(exc), keep_serving=serving)
        return
    if prepared:  # at the top of this run's log, before the app's own lines
        ctx.store.append_logs(space, "run", info.id, prepared)
    d.logs.follow(space, info.id)
    timeout = manifest.startup_duration_timeout_s or ctx.settings.startup_timeout_s
    result = wait_healthy(
        lambda: ctx.runtime.inspect(info.id), deadline_s=timeout, cancelled=ctx.closed.is_set
    )
    if not result.healthy:
        startup_failed(d, space, info, result.reason, timeout, serving)
        return
    assert result.info is not None
    stages.go_live(
        ctx,
        space,
        stage=Stage.RUNNING,
        serving_revision=revision,
        container_id=info.id,
        upstream=f"{result.info.host}:{result.info.port}",
        image=image,
        error_message="",
    )
    ctx.store.add_event(space, "running", f"revision {revision[:12]} is live")
    d.sleeper.went_awake(space)
    d.crashes.went_live(space)
    if serving and previous.container_id and previous.container_id != info.id:
        # the router re-reads the table within its reload interval; requests routed to the
        # old container before then must still find it
        ctx.closed.wait(SWITCH_GRACE_S)
        ctx.runtime.remove(previous.container_id)
    cleanup.prune_revisions(ctx, space)


def share_gpu(
    ctx: Context, space: SpaceId, spec: ContainerSpec, serving: bool
) -> ContainerSpec | None:
    """A shared-GPU space gets its broker socket; every GPU space gets the variables that
    tell the `spaces` package how to run @spaces.GPU functions (lifecycle/gpushare.py).
    None (with the error recorded) when the broker cannot listen for the space."""
    share = ctx.gpus.share
    try:
        shared = share.attach(space) if spec.gpu.shared and share is not None else None
    except SpacehostError as exc:
        stages.set_error(
            ctx, space, Stage.RUNTIME_ERROR, f"the GPU broker: {exc}", keep_serving=serving
        )
        return None
    env = gpu_env(spec.gpu, ctx.gpus, shared)
    if not env:
        return spec
    mounts = (*spec.mounts, *(shared.mounts if shared is not None else ()))
    return replace(spec, env={**spec.env, **env}, mounts=mounts)


def hold_gpus(
    ctx: Context, space: SpaceId, spec: ContainerSpec, hardware: str, serving: bool
) -> ContainerSpec | None:
    """A space with GPUs of its own gets GPUs no job holds (gpuledger.py), named in its spec.
    None (a RUNTIME_ERROR saying which jobs hold them recorded) when there are not enough."""
    ledger = ctx.gpus.ledger
    if spec.gpu.shared or spec.gpu.count == 0 or not ledger.gpu_ids:
        return spec
    try:
        ids = ledger.take_for_space(str(space), spec.gpu.count, hardware=hardware)
    except HardwareUnavailable as exc:
        stages.set_error(ctx, space, Stage.RUNTIME_ERROR, str(exc), keep_serving=serving)
        return None
    return replace(spec, gpu_ids=ids)


def space_hub_mounts(
    ctx: Context, space: SpaceId, repos: tuple[MountedRepo, ...]
) -> tuple[Mount, ...]:
    """The space's hub repos, read-only, pinned to the commits resolved now; a writable
    datasets cache when it uses datasets (datasetprep.py)."""
    if not repos:
        return ()
    pins = pin_dir(ctx.settings.data_dir, space)
    write_pins(repos, pins)
    mounts = hub_mounts(repos, pins)
    if dataset_repos(repos):
        mounts += (datasets_mount(space, ctx.settings),)
    return mounts


def prepare_datasets(
    ctx: Context, space: SpaceId, spec: ContainerSpec, repos: tuple[MountedRepo, ...]
) -> list[str]:
    """Prepare the space's hub datasets for an offline ``load_dataset`` (datasetprep.py);
    returns the task's output for the run log. A failure is reported, not fatal: the app
    may not call ``load_dataset`` at all."""
    task = replace(spec, command=prep_command(repos))
    try:
        result = ctx.runtime.run_task(task, timeout=PREP_TIMEOUT_S)
    except SpacehostError as exc:
        result = TaskResult(1, (f"datasets: not prepared: {exc}",))
    lines = [ln for ln in result.lines if ln.strip()]
    if result.exit_code is None:
        lines.append(f"datasets: preparing took longer than {PREP_TIMEOUT_S:.0f} s; stopped")
    if not result.ok:
        ctx.store.add_event(
            space,
            "datasets",
            "some hub datasets could not be prepared for load_dataset; see the run log",
        )
    return lines


def startup_failed(
    d: Deployer, space: SpaceId, info: ContainerInfo, reason: str, timeout: float, serving: bool
) -> None:
    """The app never answered: record why with its log tail, remove or stop its container
    and schedule a crash restart."""
    ctx = d.ctx
    last = ctx.runtime.inspect(info.id)
    redact = d.logs.redactor(space, info.id)
    text = redact(runlogs.tail(ctx.runtime.logs(info.id, tail=runlogs.LOG_TAIL))) if last else ""
    if reason == "timeout":
        msg = f"the app did not answer 200 on / within {timeout:.0f} s (startup_duration_timeout)"
    elif last and last.oom_killed:
        msg = "the app was killed: out of memory (raise SPACEHOST_MEMORY_LIMIT)"
    else:
        code = last.exit_code if last else None
        msg = f"the app exited with code {code} while starting"
    ctx.runtime.remove(info.id) if serving else ctx.runtime.stop(info.id, timeout=2)
    stages.set_error(
        ctx, space, Stage.RUNTIME_ERROR, f"{msg}\n\n{text}".strip(), keep_serving=serving
    )
    ctx.store.add_event(space, "runtime_error", msg)
    if not serving and ctx.settings.crash_restart:
        delay = d.crashes.start_failed(space)
        if delay is not None:
            ctx.store.add_event(
                space,
                "restart_scheduled",
                f"restarting in {delay:g} s (crash {d.crashes.crashes(space)} in a row)",
            )


def serve_static(ctx: Context, space: SpaceId, revision: str, previous: SpaceRecord) -> None:
    """A static revision goes live: its files serve, the old container goes."""
    # the files' route first, then the old container goes (as a container-to-container
    # switch does): a request routed to it meanwhile still finds it
    stages.go_live(
        ctx,
        space,
        stage=Stage.RUNNING,
        serving_revision=revision,
        container_id=None,
        upstream=None,
        image=None,
        error_message="",
    )
    ctx.store.add_event(space, "running", f"static revision {revision[:12]} is live")
    if previous.container_id and previous.stage.is_serving:
        ctx.closed.wait(SWITCH_GRACE_S)
    remove_containers(ctx, space)


def remove_containers(ctx: Context, space: SpaceId) -> None:
    """Remove every container of *space*."""
    for c in ctx.runtime.list_managed(space):
        ctx.runtime.remove(c.id)
