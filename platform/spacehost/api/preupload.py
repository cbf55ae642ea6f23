"""``POST /api/{models|datasets|spaces}/O/N/preupload/REV``: huggingface_hub asks, for each file
it is about to commit (``{"files": [{"path", "size", "sample"}]}``), how to send it.

Every file gets ``uploadMode`` -- ``regular`` (inline, base64, in the commit) up to
``SPACEHOST_MAX_REGULAR_FILE``; ``lfs`` above it and for ``.parquet`` files (:data:`ALWAYS_LFS`):
uploaded over LFS first, or, with hf_xet installed, refused with what to do (api/lfs.py) --,
``shouldIgnore`` (always false: the client already leaves out ``.git/``; a space's own
``.spacehostignore`` applies when it deploys) and ``oid``: the file already at that path in the
head, as the client compares it (the git blob sha1 for a regular file, the sha256 for an LFS
one), so unchanged files are not sent again.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from spacehost.api.accounts import _json
from spacehost.api.repowrite import (
    branch_of,
    head_commit,
    hf_answers,
    kind_of,
    repo_id_of,
    require_write,
)
from spacehost.appkeys import PLATFORM
from spacehost.errors import InvalidRequest
from spacehost.store import HubFile

MAX_FILES = 1000  # per call; the client sends 256 at a time
# always LFS, whatever their size: datasets' push_to_hub preuploads its parquet shards and
# deletes them before the commit (on huggingface.co they are LFS by suffix), so an inline
# "regular" answer would leave nothing to commit
ALWAYS_LFS = (".parquet",)


def _wanted(body: dict[str, Any]) -> list[tuple[str, int]]:
    files = body.get("files")
    if not isinstance(files, list) or len(files) > MAX_FILES:
        raise InvalidRequest(
            f'"files" must be a list of at most {MAX_FILES} files',
            hint='send {"files": [{"path": "a.txt", "size": 1, "sample": ""}]}',
        )
    out = []
    for f in files:
        path, size = (f.get("path"), f.get("size")) if isinstance(f, dict) else (None, None)
        if not isinstance(path, str) or not isinstance(size, int) or size < 0:
            raise InvalidRequest(
                'each file needs a "path" (string) and a "size" (bytes)',
                hint='send {"path": "a.txt", "size": 1, "sample": "<base64>"}',
            )
        out.append((path, size))
    return out


def upload_mode(path: str, size: int, limit: int) -> str:
    """How a file of *size* bytes is sent: inline up to *limit*, over LFS above it (and for
    :data:`ALWAYS_LFS` files)."""
    return "lfs" if size > limit or path.lower().endswith(ALWAYS_LFS) else "regular"


def remote_oid(existing: HubFile | None, mode: str) -> str | None:
    """The head's file at a path as huggingface_hub compares it to its own (``_local_oid``)."""
    if existing is None:
        return None
    return existing.sha256 if mode == "lfs" else existing.blob_id


@hf_answers
async def preupload(request: web.Request) -> web.Response:
    """``POST .../preupload/REV`` (see the module doc)."""
    await require_write(request)
    branch_of(request)
    wanted = _wanted(await _json(request))
    kind, repo_id = kind_of(request), repo_id_of(request)
    head = await asyncio.to_thread(head_commit, request, kind, repo_id)
    by_path = {f.path: f for f in head.files}
    limit = request.app[PLATFORM].settings.max_regular_file
    answer = []
    for path, size in wanted:
        mode = upload_mode(path, size, limit)
        answer.append(
            {
                "path": path,
                "uploadMode": mode,
                "shouldIgnore": False,
                "oid": remote_oid(by_path.get(path), mode),
            }
        )
    return web.json_response({"files": answer, "commitOid": head.sha})


def add_preupload_route(app: web.Application) -> None:
    app.router.add_post(
        "/api/{kinds:models|datasets|spaces}/{owner}/{name}/preupload/{rev:.+}", preupload
    )
