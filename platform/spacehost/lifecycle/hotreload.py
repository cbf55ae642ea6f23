"""Hot reload: a commit applied to a running Gradio app in place, without a rebuild
(huggingface_hub's ``hot_reload=1``; docs/pushing.md#hot-reload).

rule (hotreload_rule.py) ──► reload stream opened (reloadstream.py) ──► files written into the
container (runtime/livefiles.py) ──► Gradio's watcher reloads ──► ``reload`` event ──► the
revision serves: recorded, with a build row and a run-log line saying so.

Whatever stands in the way (a dependency or README change, another sdk, a space not running,
an app without Gradio's watcher, a reload error) is returned as a reason and the caller deploys
the revision the normal way. A reload error puts the old files back first.

After a hot reload the container runs the image of an older revision with the new files
written over it; its record names no image, so any later start from an image (a restart, a
config change, a lost container) builds the revision first. A container that stops and starts
again (a wake from sleep, an engine restart) keeps its files and serves the new code.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from spacehost.domain import Sdk, SpaceId, Stage
from spacehost.errors import SpacehostError
from spacehost.lifecycle import stages
from spacehost.lifecycle.context import Context
from spacehost.lifecycle.hotreload_rule import FileChanges, file_changes, refusal
from spacehost.lifecycle.reloadstream import ReloadStream
from spacehost.runtime.livefiles import AppFilesChange, LiveFiles
from spacehost.store import SpaceRecord

log = logging.getLogger(__name__)

RELOAD_DEADLINE_S = 20.0  # Gradio re-runs the app file: as long as its top level takes


@dataclass(frozen=True)
class HotReload:
    """The outcome: *applied* in *seconds* (from the push), or the *reason* it was not."""

    applied: bool
    seconds: float = 0.0
    reason: str = ""


OFF = (
    "hot reload is off on this platform (SPACEHOST_HOT_RELOAD=1 runs Gradio spaces under "
    "Gradio's reload watcher: docs/pushing.md#hot-reload)"
)


def state_refusal(rec: SpaceRecord) -> str | None:
    """Why *space*'s state allows no hot reload, in words; None when it does."""
    if rec.stage is not Stage.RUNNING or rec.desired != "running":
        return f"the space is {rec.stage.value}, not running"
    if rec.error_message:
        return "the space shows an error from its last deploy"
    if not rec.container_id or not rec.upstream or not rec.serving_revision:
        return "the space has no running container"
    if rec.serving_revision != rec.revision:
        return "another revision is being deployed"
    return None


def hot_reload(
    ctx: Context,
    space: SpaceId,
    revision: str,
    files: Mapping[str, bytes],
    started: float,
) -> HotReload:
    """Apply *revision* (its *files*) to *space*'s running app in place, under the space's
    lock; *started*: when the push came (``time.monotonic``), for the time reported."""
    if not ctx.settings.hot_reload:
        return HotReload(False, reason=OFF)
    with ctx.locks.lock(space):
        rec = ctx.store.get_space(space)
        reason = state_refusal(rec)
        if reason is not None:
            return HotReload(False, reason=reason)
        assert rec.serving_revision and rec.container_id and rec.upstream
        old = ctx.files.load(rec.serving_revision)
        app_file = str(rec.manifest.get("app_file") or "app.py")
        changes = file_changes(old, files)
        reason = refusal(Sdk(str(rec.manifest.get("sdk") or "gradio")), app_file, changes)
        if reason is not None:
            return HotReload(False, reason=reason)
        marks = [time.monotonic()]
        reason = _apply(ctx, rec.container_id, rec.upstream, app_file, changes, old, marks)
        if reason is not None:
            return HotReload(False, reason=reason)
        seconds = time.monotonic() - started
        checked, written = marks[0] - started, marks[1] - marks[0]
        how = (
            f"{checked:.2f} s to store and check, {written:.2f} s to write the files, "
            f"{seconds - checked - written:.2f} s for Gradio to reload"
        )
        _record(ctx, space, rec.container_id, revision, changes, seconds, how, rec.serving_revision)
        return HotReload(True, seconds=seconds)


def _apply(
    ctx: Context,
    container_id: str,
    upstream: str,
    app_file: str,
    changes: FileChanges,
    old: Mapping[str, bytes],
    marks: list[float],
) -> str | None:
    """Write the files and wait for Gradio's reload; None when it reloaded, else why not.
    Appends to *marks* the time the files were written."""
    runtime = ctx.runtime
    if not isinstance(runtime, LiveFiles):
        return "this runtime backend cannot change a running app's files"
    stream = ReloadStream.open(upstream)
    if stream is None:
        return "the app does not run under Gradio's reload watcher (or it asks for a login)"
    try:
        try:
            runtime.replace_app_files(
                container_id, AppFilesChange(app_file, changes.put, changes.deleted)
            )
        except SpacehostError as exc:
            return f"the files could not be written into the container: {exc.message}"
        marks.append(time.monotonic())
        event = stream.wait(RELOAD_DEADLINE_S)
    finally:
        stream.close()
    if event.kind == "reload":
        return None
    _put_back(runtime, container_id, app_file, changes, old)
    if event.kind == "error":
        last = event.detail.strip().splitlines()[-1:] or [""]
        return f"the new code failed to load in the running app ({last[0]})"
    return f"the app did not reload within {RELOAD_DEADLINE_S:.0f} s"


def _put_back(
    runtime: LiveFiles,
    container_id: str,
    app_file: str,
    changes: FileChanges,
    old: Mapping[str, bytes],
) -> None:
    """Restore the files *changes* replaced (the old code serves on, as it did)."""
    put = {p: old[p] for p in (*changes.put, *changes.deleted) if p in old}
    added = tuple(p for p in changes.put if p not in old)
    try:
        runtime.replace_app_files(container_id, AppFilesChange(app_file, put, added))
    except SpacehostError as exc:
        log.warning("putting the old files back into %s: %s", container_id, exc)


def _record(
    ctx: Context,
    space: SpaceId,
    container_id: str,
    revision: str,
    changes: FileChanges,
    seconds: float,
    how: str,
    previous: str,
) -> None:
    """The revision serves: the record, a build row and the logs say it was hot-reloaded."""
    store = ctx.store
    shown = ", ".join(changes.paths[:5]) + (" …" if len(changes.paths) > 5 else "")
    line = (
        f"hot reload: revision {revision[:12]} applied to the running app in {seconds:.2f} s, "
        f"no rebuild ({how}; changed: {shown})"
    )
    build_id = store.start_build(space, revision)
    store.append_logs(space, "build", f"build-{build_id}", [line])
    store.finish_build(build_id, status="succeeded")
    store.append_logs(space, "run", container_id, [f"spacehost: {line}"])
    fields: dict[str, object] = {"serving_revision": revision, "image": None, "error_message": ""}
    if store.get_space(space).revision == previous:
        fields["revision"] = revision  # else a push since then deploys its own next
    store.update_space(space, **fields)
    message = f"revision {revision[:12]} hot-reloaded in {seconds:.2f} s"
    store.add_event(space, "hot_reload", message)
    stages.publish_routes(ctx)
