"""The body of huggingface_hub's commit call (``application/x-ndjson``), one JSON object a line::

    {"key": "header", "value": {"summary", "description", "parentCommit"?}}
    {"key": "file", "value": {"content": <base64>, "path", "encoding": "base64"}}
    {"key": "lfsFile", "value": {"path", "algo": "sha256", "oid", "size"?}}
    {"key": "deletedFile", "value": {"path"}}
    {"key": "deletedFolder", "value": {"path": "dir/"}}

read into a :class:`CommitRequest`: each ``file`` decoded into its own file under a work folder
(the store then takes it), never all at once in memory.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacehost.errors import InvalidRequest, UploadTooLarge
from spacehost.store.hubchanges import Change, DeleteFile, DeleteFolder, PutBlob, PutContent

HINT = "send the commit as huggingface_hub does (HfApi.create_commit, upload_folder)"


@dataclass(frozen=True)
class CommitRequest:
    message: str
    parent: str | None
    changes: tuple[Change, ...]


def _str(value: dict[str, Any], key: str, line: int) -> str:
    found = value.get(key)
    if not isinstance(found, str) or not found:
        raise InvalidRequest(f'line {line} of the commit has no "{key}"', hint=HINT)
    return found


def _header(value: dict[str, Any]) -> tuple[str, str | None]:
    summary = str(value.get("summary") or "")
    description = str(value.get("description") or "")
    parent = value.get("parentCommit")
    message = f"{summary}\n\n{description}" if description else summary
    return message, str(parent).lower() if parent else None


def _file(value: dict[str, Any], line: int, dest: Path, limit: int) -> PutContent:
    path = _str(value, "path", line)
    if value.get("encoding", "base64") != "base64":
        raise InvalidRequest(f"{path}: only base64 content is taken", hint=HINT)
    try:
        data = base64.b64decode(str(value.get("content") or ""), validate=True)
    except binascii.Error as exc:
        raise InvalidRequest(f"{path}: the content is not valid base64", hint=HINT) from exc
    if len(data) > limit:
        raise UploadTooLarge(
            f"{path} ({len(data)} bytes) is larger than the {limit} bytes a commit may carry "
            "inline (SPACEHOST_MAX_REGULAR_FILE)",
            hint="upload it as an LFS file (huggingface_hub does when the preupload answers lfs)",
        )
    dest.write_bytes(data)
    return PutContent(path, dest)


def _lfs_file(value: dict[str, Any], line: int, size_of: Callable[[str], int]) -> PutBlob:
    path, oid = _str(value, "path", line), _str(value, "oid", line).lower()
    if value.get("algo", "sha256") != "sha256":
        raise InvalidRequest(f"{path}: LFS files are named by sha256", hint=HINT)
    size = value.get("size")
    return PutBlob(path, oid, size if isinstance(size, int) else size_of(oid))


def read_commit(body: Path, work: Path, limit: int, size_of: Callable[[str], int]) -> CommitRequest:
    """The commit in the NDJSON file *body*; ``file`` contents go to files under *work*.

    Args:
        limit: the most bytes one ``file`` may decode to.
        size_of: the size of a stored blob (an ``lfsFile`` line without ``size``: a copy).

    Raises:
        InvalidRequest: a line that is not JSON, an unknown key, a field missing (named with
            its line); UploadTooLarge: a ``file`` over *limit*.
    """
    message, parent = "", None
    changes: list[Change] = []
    with open(body, "rb") as lines:
        for n, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
                key, value = item["key"], item["value"]
            except (ValueError, KeyError, TypeError) as exc:
                raise InvalidRequest(
                    f"line {n} of the commit is not a JSON operation", hint=HINT
                ) from exc
            if not isinstance(value, dict):
                raise InvalidRequest(f'line {n}: "value" must be an object', hint=HINT)
            if key == "header":
                message, parent = _header(value)
            elif key == "file":
                changes.append(_file(value, n, work / f"file-{n}", limit))
            elif key == "lfsFile":
                changes.append(_lfs_file(value, n, size_of))
            elif key == "deletedFile":
                changes.append(DeleteFile(_str(value, "path", n)))
            elif key == "deletedFolder":
                changes.append(DeleteFolder(_str(value, "path", n).rstrip("/")))
            else:
                raise InvalidRequest(
                    f"line {n}: unknown operation {key!r}",
                    hint="send header, file, lfsFile, deletedFile or deletedFolder lines",
                )
    return CommitRequest(message, parent, tuple(changes))
