"""``spacehost push|ls|rm --type model|dataset``: the hub's side of the CLI.

A repo folder is sent as an uncompressed tar generated on the fly (weights do not compress, and
gzip would cost more time than the bytes it saves), with its length known in advance so the
server can refuse an oversize push at once and the CLI can show progress. Nothing is read into
memory whole.
"""

from __future__ import annotations

import argparse
import os
import sys
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from spacehost.cli import output
from spacehost.cli.confirm import confirm_delete
from spacehost.client import Client
from spacehost.domain import RepoKind, check_repo_id
from spacehost.errors import UploadRejected, UploadTooLarge
from spacehost.folderwalk import WalkedFile, repo_policy, walk_folder

BLOCK = 512
CHUNK = 1 << 20
PROGRESS_FROM = 16 << 20  # show upload progress from this size on


def scan(folder: Path) -> list[WalkedFile]:
    """The files to push from *folder*, by path, checked locally with the same policy as the
    server's (:func:`spacehost.folderwalk.repo_policy`), so a folder the server would refuse is
    refused before anything is sent. Symbolic links to files are sent as the file they point to,
    wherever it is (as huggingface_hub's upload_folder does: a snapshot of the HF cache is links
    into its blobs); links to folders are followed when they stay inside *folder*.

    Raises:
        UploadRejected: not a folder, no files, or an entry the policy refuses (a link to a
            folder outside, a broken link, a device or fifo, a name a repo cannot hold, more
            than :data:`~spacehost.folderwalk.MAX_REPO_FILES` files); the message names it.
    """
    if not folder.is_dir():
        raise UploadRejected(
            f"{folder} is not a folder", hint="give the folder that holds the repo's files"
        )
    found = walk_folder(folder, repo_policy(outside_file_links=True))
    if not found:
        raise UploadRejected(
            f"{folder} has no files to push", hint="add the repo's files and a README.md (its card)"
        )
    return found


def _header(f: WalkedFile) -> bytes:
    info = tarfile.TarInfo(f.path)
    info.size, info.mode, info.mtime = f.size, 0o644, 0
    return info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8")


def _padding(size: int) -> int:
    return -size % BLOCK


class TarStream:
    """An uncompressed tar of *files*, produced chunk by chunk; ``len()`` is its exact size
    (so requests sends a Content-Length). *on_bytes* hears every chunk's length."""

    def __init__(self, files: list[WalkedFile], on_bytes: Callable[[int], None] | None = None):
        self.files = files
        self.on_bytes = on_bytes or (lambda _n: None)
        self._headers = [_header(f) for f in files]
        self._len = (
            sum(
                len(h) + f.size + _padding(f.size)
                for h, f in zip(self._headers, files, strict=True)
            )
            + 2 * BLOCK
        )

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[bytes]:
        for header, f in zip(self._headers, self.files, strict=True):
            yield self._emit(header)
            sent = 0
            with open(f.source, "rb") as fh:
                while sent < f.size:
                    chunk = fh.read(min(CHUNK, f.size - sent))
                    if not chunk:
                        break
                    sent += len(chunk)
                    yield self._emit(chunk)
            if sent != f.size:
                raise UploadRejected(
                    f"{f.path!r} changed while it was being pushed",
                    hint="push again once nothing writes to the folder",
                )
            yield self._emit(b"\0" * _padding(f.size))
        yield self._emit(b"\0" * (2 * BLOCK))

    def _emit(self, data: bytes) -> bytes:
        self.on_bytes(len(data))
        return data


class Progress:
    """An upload progress line on stderr (redrawn on a terminal, every 25% otherwise)."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.start = total, 0, time.monotonic()
        self.tty = sys.stderr.isatty()
        self._shown = -1 if self.tty else 0  # in a log: 25, 50, 75, 100 %

    def __call__(self, n: int) -> None:
        self.done += n
        pct = 100 * self.done // max(self.total, 1)
        step = pct if self.tty else pct // 25 * 25
        if step == self._shown:
            return
        self._shown = step
        rate = self.done / max(time.monotonic() - self.start, 1e-6) / (1 << 20)
        line = f"uploading {_size(self.done)} / {_size(self.total)} ({pct}%, {rate:.0f} MiB/s)"
        print(
            ("\r" + line) if self.tty else line,
            end="" if self.tty else "\n",
            file=sys.stderr,
            flush=True,
        )
        if self.tty and self.done >= self.total:
            print(file=sys.stderr, flush=True)


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def default_name(folder: Path) -> str:
    return f"{os.environ.get('SPACEHOST_OWNER', 'local')}/{folder.resolve().name}"


def push(args: argparse.Namespace, client: Client) -> int:
    """``spacehost push DIR --type model|dataset [--name owner/name] [--message M]``."""
    kind = RepoKind(args.type)
    folder = Path(args.dir)
    repo_id = check_repo_id(kind, args.name or default_name(folder))
    files = scan(folder)
    if not any(f.path.lower() == "readme.md" for f in files):
        output.warn(
            f"{folder} has no README.md: the {kind.value} gets no card (add one with "
            "YAML front matter: license, tags, ...; see docs/hub.md)"
        )
    stream = TarStream(files)
    limit = int(client.hub_summary().get("maxUploadBytes", 0))
    if limit and len(stream) > limit:
        raise UploadTooLarge(
            f"{folder} is {_size(len(stream))}, more than the server's limit of {_size(limit)}",
            hint="push a smaller repo, or raise SPACEHOST_MAX_HUB_UPLOAD_BYTES on the server",
        )
    if len(stream) >= PROGRESS_FROM:
        stream.on_bytes = Progress(len(stream))
    message = args.message or f"spacehost push {folder.resolve().name}"
    private = bool(getattr(args, "private", False))
    result = client.hub_push(kind, repo_id, stream, message=message, private=private)
    _print_pushed(kind, result, client.url, private=private)
    return 0


def _print_pushed(
    kind: RepoKind, result: dict[str, Any], server: str, *, private: bool = False
) -> None:
    what = f"{kind.value} {result['id']}"
    if result.get("unchanged"):
        output.info(f"{what} unchanged: same files as its commit {result['sha'][:12]}")
    else:
        output.info(
            f"pushed {what}: commit {result['sha'][:12]} ({result['files']} files, "
            f"{_size(result['size'])})" + (" (private)" if private else "")
        )
    output.info(f"page: {result['urls']['page']}")
    load = (
        f"AutoModel.from_pretrained({result['id']!r})"
        if kind is RepoKind.MODEL
        else f"datasets.load_dataset({result['id']!r})"
    )
    output.info(f'use it: HF_ENDPOINT={server} python -c "...{load}" (docs/hub.md)')


def ls(args: argparse.Namespace, client: Client) -> int:
    """``spacehost ls --type model|dataset``."""
    kind = RepoKind(args.type)
    repos = client.hub_list(kind)
    if not repos:
        print(f"no {kind.plural} yet: push one with `spacehost push DIR --type {kind.value}`")
        return 0
    head = (kind.value.upper(), "FILES", "SIZE", "UPDATED", "SHA")
    rows = [
        (
            r["id"],
            str(len(r.get("siblings", []))),
            _size(r.get("usedStorage", 0)),
            str(r.get("lastModified", ""))[:19].replace("T", " "),
            str(r.get("sha", ""))[:12],
        )
        for r in repos
    ]
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    for row in [head, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0


def rm(args: argparse.Namespace, client: Client) -> int:
    """``spacehost rm owner/name --type model|dataset``."""
    kind = RepoKind(args.type)
    repo_id = check_repo_id(kind, args.space)
    if not args.yes:
        client.hub_info(kind, repo_id)  # a repo that does not exist is reported, not asked about
        confirm_delete(
            kind.value, repo_id, "every commit and file of it (files that other repos share stay)"
        )
    client.hub_delete(kind, repo_id)
    output.info(f"deleted {kind.value} {args.space}")
    return 0
