"""A newer revision that failed while an older one serves on (issue 11, C17): what the space
page's banner, the gallery's marker, the Files tab and the Logs tab say about it. Pure."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from spacehost.domain import Stage
from spacehost.store import BuildRecord, SpaceRecord

SHORT = 7  # characters of a revision shown


@dataclass(frozen=True)
class FailedDeploy:
    """The last pushed revision did not go live; *serving* answers instead.

    Attributes:
        revision: the revision that failed.
        serving: the revision that serves on.
        built: False when its build failed, True when it built and then did not start.
        headline: the error's first line.
        detail: the rest of the error (a log tail), "" when none.
    """

    revision: str
    serving: str
    built: bool
    headline: str
    detail: str

    @property
    def what(self) -> str:
        return "failed to start" if self.built else "failed to build"


def failed_deploy(rec: SpaceRecord, builds: Sequence[BuildRecord]) -> FailedDeploy | None:
    """The failed newer revision of *rec*, or None when the last push serves (or still deploys).

    Args:
        rec: the space.
        builds: its builds, newest first (``Store.builds``).
    """
    if rec.stage not in (Stage.RUNNING, Stage.SLEEPING) or not rec.error_message:
        return None
    if not rec.revision or not rec.serving_revision or rec.revision == rec.serving_revision:
        return None
    build = next((b for b in builds if b.revision == rec.revision), None)
    head, _, rest = rec.error_message.strip().partition("\n")
    return FailedDeploy(
        revision=rec.revision,
        serving=rec.serving_revision,
        built=build is not None and build.status == "succeeded",
        headline=head.strip(),
        detail=rest.strip("\n"),
    )


def has_failed_update(rec: SpaceRecord) -> bool:
    """The gallery's test (no builds at hand): a newer revision failed while one serves."""
    return failed_deploy(rec, []) is not None


def short(revision: str) -> str:
    return revision[:SHORT]


def banner(space: str, failed: FailedDeploy) -> str:
    """The space page's banner: which revision failed, its error, links to its log and files."""
    e = html.escape
    log = (
        ("See its build log", "build-log")
        if not failed.built
        else ("See its log", "failed-run-log")
    )
    detail = (
        f"<details><summary>Error details</summary><pre>{e(failed.detail)}</pre></details>"
        if failed.detail
        else ""
    )
    rev = e(failed.revision, quote=True)
    return (
        f"<div class=failed-deploy id=failed-deploy role=alert><p><strong>Revision "
        f"{e(short(failed.revision))} {failed.what}</strong>: {e(failed.headline)}</p>"
        f"<p>Revision {e(short(failed.serving))} is still serving. "
        f"<a href='/spaces/{e(space, quote=True)}?tab=logs#{log[1]}'>{log[0]}</a> · "
        f"<a href='/spaces/{e(space, quote=True)}?tab=files&amp;rev={rev}'>its files</a>"
        f"</p>{detail}</div>"
    )


def gallery_marker(rec: SpaceRecord) -> str:
    """A card's marker for a failed update ("" when none)."""
    if not has_failed_update(rec):
        return ""
    title = html.escape(
        f"revision {short(rec.revision or '')} failed; "
        f"{short(rec.serving_revision or '')} serves on",
        quote=True,
    )
    return f"<span class='badge error failed-marker' title='{title}'>update failed</span>"


def revision_label(revision: str, role: str) -> str:
    """``abc1234 (serving)``: how a pane or view names a revision."""
    return f"{short(revision)} ({role})"
