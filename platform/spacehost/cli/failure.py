"""What went wrong with a deploy, from the API's space JSON: which revision failed, at what
(its build, its start, its configuration), whether an older revision serves on, and the error
the CLI raises for it. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from spacehost.errors import AppFailed, BuildFailed, SpacehostError

Kind = Literal["build", "start", "config", "stage"]
DEPLOYING = ("BUILDING", "APP_STARTING", "RUNNING_BUILDING", "RUNNING_APP_STARTING")
_NOT_STARTED = ("CONFIG_ERROR", "NO_APP_FILE")


@dataclass(frozen=True)
class Failure:
    """A deploy that did not go live.

    Attributes:
        kind: ``build`` (its build failed), ``start`` (built, the app did not come up),
            ``config`` (refused before building: a GPU or hub repo this host lacks), ``stage``
            (something else left it in *stage*, e.g. paused meanwhile).
        revision: the revision that failed (may be "").
        stage: the space's stage now (RUNNING when an older revision serves on).
        headline: the error's first line (the build's error for a build failure).
        tail: the rest of the error message (a log tail), "" when none.
        serving: the older revision that serves on, "" when none does.
    """

    kind: Kind
    revision: str
    stage: str
    headline: str
    tail: str
    serving: str

    def summary(self) -> str:
        """What failed, in a few words, for ``info`` (its message is the space's last error)."""
        return {
            "build": "its build failed",
            "start": "it did not start",
            "config": "not started (configuration)",
            "stage": f"it is {self.stage}",
        }[self.kind]


def _split(message: str) -> tuple[str, str]:
    head, _, rest = message.strip().partition("\n")
    return head.strip(), rest.strip("\n")


def deploy_build(
    builds: Sequence[Mapping[str, Any]], revision: str, since: int | None
) -> Mapping[str, Any] | None:
    """The build of this deploy: the first of *revision* after build *since*; without *since*,
    the newest of *revision*. None when it did not build (yet)."""
    mine = [
        b
        for b in builds
        if b.get("revision") == revision and (since is None or int(b.get("id", 0)) > since)
    ]
    if not mine:
        return None
    pick = min if since is not None else max
    return pick(mine, key=lambda b: int(b.get("id", 0)))


def revision_of(space: Mapping[str, Any], which: str = "newest") -> str:
    """The space's newest (or serving) revision as its builds name it: ``revision`` /
    ``servingRevision``; ``sha`` / ``servingSha`` from a server from before git commits, where
    they were the same."""
    new, old = ("revision", "sha") if which == "newest" else ("servingRevision", "servingSha")
    return str(space.get(new) or space.get(old) or "")


def diagnose(
    space: Mapping[str, Any], since: int | None = None, revision: str | None = None
) -> Failure | None:
    """The failure of *space*'s latest deploy (the API's ``GET /api/spaces/o/n`` JSON, with
    ``stage`` and ``errorMessage`` fresh), or None when it runs without error or still deploys.

    Args:
        space: the space's JSON (``revision`` and ``servingRevision``, the hashes builds name
            revisions by -- ``sha`` and ``servingSha`` from a server older than git commits --,
            ``stage``, ``errorMessage``, ``builds``).
        since: the ``sinceBuild`` of the push or restart that started the deploy.
        revision: the revision that deploy runs (default: the space's newest).
    """
    stage = str(space.get("stage", ""))
    message = str(space.get("errorMessage") or "")
    if (stage == "RUNNING" and not message) or stage in DEPLOYING:
        return None
    rev = revision or revision_of(space)
    build = deploy_build(space.get("builds") or [], rev, since)
    serving = revision_of(space, "serving") if stage == "RUNNING" else ""
    head, tail = _split(message)
    kind: Kind
    if stage == "BUILD_ERROR" or (build is not None and build.get("status") == "failed"):
        kind = "build"
        if build is not None and build.get("error"):
            head = str(build["error"]).strip().partition("\n")[0]
    elif stage in _NOT_STARTED or (stage == "RUNNING" and build is None):
        kind = "config"
    elif stage in ("RUNTIME_ERROR", "RUNNING"):
        kind = "start"
    else:
        kind, head = "stage", head or f"{space.get('id', 'the space')} is {stage}"
    return Failure(kind, rev, stage, head, tail, serving if serving != rev else "")


def deploy_error(space_id: str, failure: Failure, *, streamed_build: bool) -> SpacehostError:
    """The error the CLI ends with for *failure* (exit 6 for a build, 7 otherwise), its hint
    naming the log to read. *streamed_build*: the build's lines were printed already, so its
    log tail is not repeated."""
    rev = f" revision {failure.revision[:12]}" if failure.revision else ""
    if failure.kind == "build":
        first = f"{space_id}{rev}: {failure.headline}"
        hint = f"see `spacehost logs --build {space_id}`, fix the space and push again"
    elif failure.kind == "start":
        first = f"{space_id}{rev} failed to start: {failure.headline}"
        hint = f"see `spacehost logs {space_id}`, fix the space and push again"
    elif failure.kind == "config":  # the rest of its message is the platform's hint
        first = "\n".join(
            filter(None, (f"{space_id}{rev} was not started: {failure.headline}", failure.tail))
        )
        hint = (
            f"fix the README (or the platform's settings) and push again; "
            f"`spacehost info {space_id}` shows the error"
        )
    else:
        first = f"{space_id}{rev} is {failure.stage}: {failure.headline}"
        hint = f"see `spacehost info {space_id}` and `spacehost logs {space_id}`"
    if failure.serving:
        second = (
            f"the previous revision {failure.serving[:12]} keeps serving (stage {failure.stage})"
        )
    else:
        second = f"stage {failure.stage}: nothing of {space_id} serves"
    shown = failure.kind == "config" or (failure.kind == "build" and streamed_build)
    tail = "" if shown else failure.tail
    details = {"log_tail": tail} if tail else {}
    cls = BuildFailed if failure.kind == "build" else AppFailed
    return cls(f"{first}\n{second}", hint=hint, details=details)
