"""A huggingface_hub commit to a space: the newest revision's files with the commit's changes
become a new revision, deployed exactly as a push is (``Facade.push``: the same validation,
stages and logs), and a git commit on the space's main with the commit's message and author
(store/spacecommits.py), whose sha is the commit's id; with ``hot_reload=1`` it is applied to
the running app in place when it may be (lifecycle/hotreload.py)."""

from __future__ import annotations

from spacehost.api.commitpayload import CommitRequest
from spacehost.domain import SpaceId
from spacehost.errors import CommitConflict, UploadRejected, UploadTooLarge
from spacehost.lifecycle.actions import PushOrigin, PushResult
from spacehost.lifecycle.facade import Facade
from spacehost.store import HubStore
from spacehost.store.hubchanges import (
    Put,
    PutContent,
    apply_changes,
    check_change,
)


def _bytes_of(hub: HubStore, put: Put) -> bytes:
    if isinstance(put, PutContent):
        return put.source.read_bytes()
    if not hub.has_blob(put.sha256, put.size):
        raise UploadRejected(
            f"the LFS file {put.path!r} ({put.sha256[:12]}…) was not uploaded",
            hint="upload it first (over Xet or the LFS batch API, as huggingface_hub does), "
            "then commit",
        )
    return hub.blob_path(put.sha256).read_bytes()


def commit_space(
    platform: Facade,
    hub: HubStore,
    space: SpaceId,
    commit: CommitRequest,
    author: str | None,
    *,
    hot_reload: bool = False,
) -> PushResult:
    """Make and deploy the new revision, a git commit by *author* (blocks: call it in a
    thread); *hot_reload*: in place in the running Gradio app when it may be (it serves when
    this returns).

    Raises:
        SpaceNotFound; CommitConflict: the commit's parent is not the newest revision (named by
        its git sha or its revision hash); EntryNotFound,
        UploadRejected: a change that cannot apply; ManifestInvalid: the result is not a
        valid space (nothing is stored, as for a push).
    """
    changes, parent = commit.changes, commit.parent
    for change in changes:
        check_change(change)
    rec = platform.queries.get_space(space)
    head = rec.revision or ""
    head_sha = platform.queries.commit_of(space, head) or head
    if parent is not None and parent not in (head, head_sha):
        raise CommitConflict(
            f"a commit has happened since {parent[:12]}: the newest revision of {space} is "
            f"{head_sha[:12]}",
            hint="fetch the space again and make the commit on its newest revision (or leave "
            "out parent_commit)",
        )
    base = platform.queries.revision_path(head)
    files = {p: (base / p).read_bytes() for p, _ in platform.queries.revision_listing(head)}
    after = apply_changes(files, changes, lambda put: _bytes_of(hub, put))
    limit = platform.settings.max_upload_bytes
    if sum(len(data) for data in after.values()) > limit:
        raise UploadTooLarge(
            f"the space's files would be larger than the {limit} bytes a space may hold "
            "(SPACEHOST_MAX_UPLOAD)",
            hint="keep large files in a model or dataset repo and load them from the space",
        )
    origin = PushOrigin(author=author, message=commit.message)
    return platform.push(space, after, origin, hot_reload=hot_reload)
