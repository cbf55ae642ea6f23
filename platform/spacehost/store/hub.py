"""The model and dataset hub's storage (docs/hub.md).

Layout under the hub root::

    hub.db                                  repos, commits, files (SQLite, see hubdb.py)
    blobs/sha256/ab/abcdef...               every distinct file content, once (read-only)
    cache/models--alice--bert/              one repo in huggingface_hub's cache layout:
        blobs/<etag>                          hard links to blobs/sha256/... (no second copy)
        snapshots/<commit>/<path>             relative symlinks to ../../blobs/<etag>
        refs/main                             the head commit's sha
    xorbs/ab/abcdef...                      a blob as Xet xorbs (store/xorb.py), made on the first
                                            Xet download, removed with the blob
    tmp/                                    writes in progress (emptied on start)

A repo's cache folder can be bind-mounted read-only into a container at
``~/.cache/huggingface/hub/<name>``: with ``HF_HUB_OFFLINE=1`` huggingface_hub, transformers and
datasets find every commit there unchanged.

Crash safety: a push writes blobs, links and the snapshot through temp names and renames, then
records the commit in one transaction, then moves ``refs/main``. Whatever a crash leaves behind
that the database does not name is swept when the store opens, so a half-done push is never
visible. Writes (push, delete) are serialised; reads never wait for them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from spacehost.domain import RepoKind, check_repo_id, repo_cache_name
from spacehost.errors import (
    CommitConflict,
    Conflict,
    EntryNotFound,
    NotFound,
    RepoNotFound,
    RevisionNotFound,
    UploadRejected,
)
from spacehost.store.gitrepos import FILE_MODE, GitRepos
from spacehost.store.hubchanges import (
    Change,
    Put,
    PutBlob,
    PutContent,
    apply_changes,
    check_change,
)
from spacehost.store.hubdb import FileRow, HubDb, Row
from spacehost.store.hubfiles import (
    clear_dir,
    git_blob_id,
    hash_file,
    is_lfs,
    lfs_pointer,
    link_blob,
    remove_tree,
    scan_folder,
    store_blob,
    temp_path,
    write_snapshot,
    write_text_atomic,
    write_tree_cache,
)
from spacehost.store.hubgit import TreeFile, tree_files
from spacehost.store.hubmigrate import migrate_repo, needs_git, rename_cached
from spacehost.store.xorb import ensure_xorb_file

_HEX = re.compile(r"^[0-9a-f]{7,40}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAIN = "main"
MAX_REMEMBERED_BLOB_IDS = 10_000


@dataclass(frozen=True)
class HubFile:
    """One file of a commit."""

    path: str
    size: int
    sha256: str
    blob_id: str  # git-style blob oid (sha1 of "blob <size>\0" + content)
    stored_lfs: bool | None = None  # kept as an LFS pointer in git; None: by is_lfs
    mode: int = FILE_MODE  # git's file mode (0o100755: executable)

    @classmethod
    def made(cls, path: str, size: int, sha256: str, blob_id: str) -> HubFile:
        """A file the API or the CLI writes: LFS by HF's rule (its suffix or size)."""
        return cls(path, size, sha256, blob_id, is_lfs(path, size))

    @property
    def lfs(self) -> bool:
        """Whether git keeps this file as an LFS pointer: as stored (a git push decides), else
        as HF would (its suffix or size; docs/hub.md)."""
        return is_lfs(self.path, self.size) if self.stored_lfs is None else self.stored_lfs

    @property
    def row(self) -> tuple[str, int, str, str, bool | None, int]:
        return (self.path, self.size, self.sha256, self.blob_id, self.lfs, self.mode)

    @property
    def git_oid(self) -> str:
        """The file's git object id on HF: of its content, or of its LFS pointer."""
        return git_blob_id(lfs_pointer(self.sha256, self.size)) if self.lfs else self.blob_id

    def tree_cache_entry(self) -> dict[str, object]:
        """This file in huggingface_hub's ``trees/<commit>.json``."""
        entry: dict[str, object] = {"size": self.size, "blob_id": self.git_oid}
        if self.lfs:
            entry.update(lfs_sha256=self.sha256, lfs_size=self.size)
        return entry

    @property
    def etag(self) -> str:
        """The ETag huggingface_hub names the cached blob by: sha256 for LFS files, else the
        git blob id."""
        return self.sha256 if self.lfs else self.blob_id


@dataclass(frozen=True)
class HubCommit:
    """One pushed version of a repo; ``files`` sorted by path."""

    sha: str  # 40 hex
    parent: str | None
    created_at: float
    message: str
    files: tuple[HubFile, ...]

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    def file(self, path: str) -> HubFile:
        """The file at *path*; raises :class:`EntryNotFound`."""
        for f in self.files:
            if f.path == path:
                return f
        raise EntryNotFound(
            f"no file {path!r} in revision {self.sha[:12]}",
            hint="list the revision's files with GET /api/{models|datasets}/"
            "OWNER/NAME/tree/REVISION",
        )


@dataclass(frozen=True)
class HubRepo:
    """A model or dataset repo and its head (``main``) commit."""

    kind: RepoKind
    repo_id: str
    head: HubCommit
    created_at: float
    updated_at: float
    total_size: int


def file_from_row(r: Row) -> HubFile:
    """A file from the database's ``(path, size, sha256, blob_id, lfs, mode)`` row."""
    return HubFile(r[0], r[1], r[2], r[3], None if r[4] is None else bool(r[4]), r[5])


def git_author(name: str | None) -> str:
    """git's author line for a platform user (the server's own name when unknown)."""
    return f"{name} <{name}@users.noreply.spacehost>" if name else "spacehost <spacehost@localhost>"


class HubStore:
    """Models and datasets, content-addressed and deduplicated across repos and commits."""

    def __init__(self, root: Path, git: GitRepos | None = None) -> None:
        self.root = root
        # each repo's history as a git repository: commit shas are git's (docs/git.md)
        self.git = git if git is not None else GitRepos(root / "git")
        self._blobs = root / "blobs" / "sha256"
        self._xorbs = root / "xorbs"
        self._cache = root / "cache"
        self.tmp_dir = root / "tmp"
        for d in (self._blobs, self._cache, self.tmp_dir):
            d.mkdir(parents=True, exist_ok=True)
        self._db = HubDb(root / "hub.db")
        self._lock = threading.Lock()
        self._blob_ids: dict[str, str] = {}  # sha256 -> git blob id of recent LFS uploads
        with self._writing():
            self._recover()

    def close(self) -> None:
        self._db.close()

    # -- reads ---------------------------------------------------------------------------------

    def repos(self, kind: RepoKind | None = None) -> list[HubRepo]:
        """Every repo (of *kind*), by kind then id."""
        return [self._repo(row) for row in self._db.repo_rows(kind.value if kind else None)]

    def repo(self, kind: RepoKind, repo_id: str) -> HubRepo:
        """The repo; raises :class:`RepoNotFound` naming it."""
        return self._repo(self._repo_row(kind, repo_id))

    def exists(self, kind: RepoKind, repo_id: str) -> bool:
        return self._db.repo_row(kind.value, repo_id) is not None

    def resolve(self, kind: RepoKind, repo_id: str, revision: str = MAIN) -> HubCommit:
        """The commit *revision* names: ``main``, another branch or a tag of the repo's git
        repository, a full sha, or a unique sha prefix (>= 7).

        Raises:
            RepoNotFound, RevisionNotFound.
        """
        row = self._repo_row(kind, repo_id)
        rev = revision.strip().lower()
        if rev in (MAIN, "refs/heads/main"):
            return self._commit(kind, repo_id, row[4])
        named = self.git.ref(kind.value, repo_id, revision.strip())
        if named is not None:
            return self._commit(kind, repo_id, named)
        rows = self._db.commit_rows(kind.value, repo_id, rev) if _HEX.match(rev) else []
        if len(rows) == 1:
            return self._commit_from(kind, repo_id, rows[0])
        renamed = self._db.alias(kind.value, repo_id, rev) if _HEX.match(rev) and not rows else []
        if len(renamed) == 1:  # a commit id from before the hub's commits were git's
            return self._commit(kind, repo_id, renamed[0])
        problem = "is ambiguous" if rows else "does not exist"
        raise RevisionNotFound(
            f"revision {revision!r} of {kind.value} {repo_id} {problem}",
            hint="use a branch, a tag, a full commit sha or a longer prefix; list them with "
            f"GET /api/{kind.plural}/{repo_id}/refs and .../commits/main",
        )

    def moved_to(self, kind: RepoKind, repo_id: str) -> str | None:
        """Where the repo once named *repo_id* lives now (:meth:`move`); None when a repo has
        that name or none ever moved away from it."""
        if self.exists(kind, repo_id):
            return None
        new = self._db.moved_to(kind.value, repo_id)
        return new if new is not None and self.exists(kind, new) else None

    def old_names(self, kind: RepoKind, repo_id: str) -> list[str]:
        """The ids the repo was moved away from (each redirects to it, :meth:`moved_to`)."""
        return [
            old for old in self._db.old_names(kind.value, repo_id) if not self.exists(kind, old)
        ]

    def has_commit(self, kind: RepoKind, repo_id: str, sha: str) -> bool:
        """Whether commit *sha* (full) is recorded for the repo."""
        return any(r[0] == sha for r in self._db.commit_rows(kind.value, repo_id, sha))

    def commits(self, kind: RepoKind, repo_id: str) -> list[HubCommit]:
        """Every commit of the repo, newest first."""
        self._repo_row(kind, repo_id)
        return [
            self._commit_from(kind, repo_id, r) for r in self._db.commit_rows(kind.value, repo_id)
        ]

    def blob_path(self, sha256: str) -> Path:
        """Where the bytes with this sha256 are stored (read-only; do not write)."""
        if not _SHA256.match(sha256):
            raise NotFound(f"invalid blob hash {sha256!r}", hint="use a file's sha256")
        return self._blobs / sha256[:2] / sha256

    def xorb_path(self, sha256: str) -> Path:
        """Where the xorb file of blob *sha256* is (or will be) kept."""
        self.blob_path(sha256)  # validates the hash
        return self._xorbs / sha256[:2] / sha256

    def xorb_file(self, sha256: str) -> Path:
        """Blob *sha256*'s xorb file (store/xorb.py), written first if missing."""
        return ensure_xorb_file(self.blob_path(sha256), self.xorb_path(sha256), self.tmp_dir)

    def cache_dir(self, kind: RepoKind, repo_id: str) -> Path:
        """The repo in huggingface_hub's cache layout (``models--owner--name``): every commit's
        snapshot, ``refs/main`` at the head. Raises :class:`RepoNotFound`."""
        self._repo_row(kind, repo_id)
        return self._cache / repo_cache_name(kind, repo_id)

    # -- writes --------------------------------------------------------------------------------

    def push(
        self,
        kind: RepoKind,
        repo_id: str,
        folder: Path,
        message: str = "",
        *,
        move: bool = False,
        author: str | None = None,
    ) -> HubCommit:
        """Store the files under *folder* as the repo's new head commit (creating the repo).

        Files are streamed (hashed, then copied only when their content is new). The same
        files as the head give the head back and write nothing. With *move* the caller gives
        the folder's files away: they are renamed into the store instead of copied (used for
        uploads unpacked under :attr:`tmp_dir`). *author*: the pushing user's name.

        Raises:
            InvalidSpaceName: a bad or reserved repo id.
            UploadRejected: no files, a link leaving the folder, a device, an unsafe path (see
                :func:`~spacehost.store.hubfiles.scan_folder`).
        """
        check_repo_id(kind, repo_id)
        found = scan_folder(folder)
        files = tuple(
            HubFile.made(f.path, f.size, d.sha256, d.blob_id)
            for f, d in ((f, hash_file(f.source, f.size)) for f in found)
        )
        sources = {f.path: w.source for f, w in zip(files, found, strict=True)}
        with self._writing():
            row = self._db.repo_row(kind.value, repo_id)
            parent = row[4] if row else None
            if parent is not None:
                head = self._commit(kind, repo_id, parent)
                if head.files == files:
                    return head
            return self._record(
                kind, repo_id, parent, message, files, sources, move=move, author=author
            )

    def commit(
        self,
        kind: RepoKind,
        repo_id: str,
        changes: Sequence[Change],
        message: str = "",
        *,
        parent: str | None = None,
        author: str | None = None,
    ) -> HubCommit:
        """A new head commit of an existing repo: the head's files with *changes* applied in
        order (huggingface_hub's ``create_commit``). The files of :class:`PutContent` changes
        are given away (renamed into the store); a :class:`PutBlob` names a blob stored before
        (an LFS upload: :meth:`add_blob`). New bytes are stored once, as a push stores them.

        Args:
            parent: the commit the changes were made on (``parentCommit``); None: the head.
            author: the committing user's name (git's author line).

        Raises:
            RepoNotFound; CommitConflict: *parent* is not the head; EntryNotFound: a deleted
            path that is not there; UploadRejected: a bad path, no files left, or an LFS file
            whose bytes are not stored (or have another size).
        """
        for change in changes:
            check_change(change)
        made = {id(c): self._hub_file(c) for c in changes if isinstance(c, (PutContent, PutBlob))}
        sources = {c.path: c.source for c in changes if isinstance(c, PutContent)}
        with self._writing():
            head = self._commit(kind, repo_id, self._repo_row(kind, repo_id)[4])
            if parent is not None and parent != head.sha:
                raise CommitConflict(
                    f"a commit has happened since {parent[:12]}: the head of {kind.value} "
                    f"{repo_id} is now {head.sha[:12]}",
                    hint="fetch the repo again and make the commit on the new head (or leave "
                    "out parent_commit)",
                )
            after = apply_changes({f.path: f for f in head.files}, changes, lambda c: made[id(c)])
            if not after:
                raise UploadRejected(
                    f"the commit would leave {kind.value} {repo_id} with no files",
                    hint="keep at least one file (a README.md), or delete the repo instead",
                )
            files = tuple(after[p] for p in sorted(after))
            if files == head.files:
                return head
            return self._record(
                kind, repo_id, head.sha, message, files, sources, move=True, author=author
            )

    def adopt(
        self,
        kind: RepoKind,
        repo_id: str,
        sha: str,
        incoming: Path | None = None,
        *,
        head: bool = True,
    ) -> HubCommit:
        """Record commit *sha*, which git received into the repo's git repository (and moved
        ``refs/heads/main`` to), as the repo's head: its regular files' bytes into the blob
        store, its LFS pointers resolved against the blob store (git-lfs uploaded them first),
        then the cache and the database as :meth:`push` does. *incoming*: the push's quarantine
        directory while git has not yet moved the objects in. *head* False: a commit of a
        branch other than main, recorded (its files readable by revision) without moving main.

        Raises:
            UploadRejected: an LFS object that is not stored, a symlink or a submodule.
        """
        k = kind.value
        check_repo_id(kind, repo_id)
        with self.git.reader(k, repo_id, incoming) as reader:
            info = reader.commit_info(sha)
            with self._writing():
                files = tuple(self._adopt_file(t) for t in tree_files(reader, sha))
                parent = info.parents[0] if info.parents else None
                message = info.message.removesuffix("\n")
                return self._store(
                    kind, repo_id, sha, parent, info.created_at, message, files, head=head
                )

    def _adopt_file(self, t: TreeFile) -> HubFile:
        """A file of a received tree as the hub keeps it (a regular file's bytes stored)."""
        if t.pointer is not None:
            if not self.has_blob(t.pointer.sha256, t.pointer.size):
                raise UploadRejected(
                    f"the LFS object of {t.path!r} ({t.pointer.sha256[:12]}…, "
                    f"{t.pointer.size} bytes) was not uploaded",
                    hint="run git lfs push --all origin, then push again",
                )
            blob_id = self._content_id(t.pointer.sha256, t.pointer.size)
            return HubFile(t.path, t.size, t.pointer.sha256, blob_id, True, t.mode)
        data = t.content()
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.has_blob(sha256, len(data)):
            tmp = temp_path(self.tmp_dir, "git-")
            tmp.write_bytes(data)
            store_blob(tmp, self.blob_path(sha256), sha256, self.tmp_dir, move=True)
        return HubFile(t.path, len(data), sha256, t.blob, False, t.mode)

    def add_blob(self, source: Path, sha256: str, blob_id: str | None = None) -> bool:
        """Take the file *source* (under :attr:`tmp_dir`, its bytes checked to hash to *sha256*
        by the caller) into the blob store unless the blob is there; True when it was new. Until
        a commit names it, the blob is swept when the store next opens. *blob_id*, its git blob
        id when the caller hashed it too, spares the commit reading the bytes again."""
        with self._writing():
            if blob_id is not None:
                while len(self._blob_ids) >= MAX_REMEMBERED_BLOB_IDS:
                    self._blob_ids.pop(next(iter(self._blob_ids)))
                self._blob_ids[sha256] = blob_id
            return store_blob(source, self.blob_path(sha256), sha256, self.tmp_dir, move=True)

    def has_blob(self, sha256: str, size: int) -> bool:
        """Whether the blob store holds *sha256* with *size* bytes."""
        try:
            return self.blob_path(sha256).stat().st_size == size
        except FileNotFoundError:
            return False

    def delete(self, kind: RepoKind, repo_id: str) -> None:
        """Remove the repo, its commits and cache folder, and every blob no other repo uses.
        Raises :class:`RepoNotFound`."""
        with self._writing():
            self._repo_row(kind, repo_id)
            hashes = {r[2] for r in self._db.all_files(kind.value, repo_id)}
            self._db.delete_repo(kind.value, repo_id)
            self.git.delete(kind.value, repo_id)
            remove_tree(self._cache / repo_cache_name(kind, repo_id), self.tmp_dir)
            for sha256 in hashes:
                self._drop_blob_if_unused(sha256)

    def move(self, kind: RepoKind, old: str, new: str) -> None:
        """Rename repo *old* to *new*: its rows (one transaction, which also remembers the move
        for :meth:`moved_to`), then its git repository and cache folder. A crash between the
        two is finished when the store opens again (:meth:`_finish_moves`), so the repo is
        never half moved.

        Raises:
            RepoNotFound: no repo *old*.
            InvalidSpaceName: *new* is not a valid repo id.
            Conflict: a repo *new* exists.
        """
        check_repo_id(kind, new)
        with self._writing():
            self._repo_row(kind, old)
            if self._db.repo_row(kind.value, new) is not None:
                raise Conflict(
                    f"the {kind.value} {new} exists already",
                    hint="choose another name, or delete that repo first",
                )
            self._db.move_repo(kind.value, old, new, time.time())
            self._finish_moves()

    # -- helpers -------------------------------------------------------------------------------

    def _hub_file(self, put: Put) -> HubFile:
        """The file a commit's addition makes (its bytes hashed: never whole in memory)."""
        if isinstance(put, PutContent):
            d = hash_file(put.source, put.source.stat().st_size)
            return HubFile.made(put.path, put.source.stat().st_size, d.sha256, d.blob_id)
        if not self.has_blob(put.sha256, put.size):
            raise UploadRejected(
                f"the LFS file {put.path!r} ({put.sha256[:12]}…, {put.size} bytes) was not "
                "uploaded",
                hint="upload it first (over Xet or the LFS batch API, as huggingface_hub "
                "does), then commit",
            )
        return HubFile.made(put.path, put.size, put.sha256, self._content_id(put.sha256, put.size))

    def _content_id(self, sha256: str, size: int) -> str:
        """The git blob id of a stored blob's content (remembered from its upload, or read)."""
        blob_id = self._blob_ids.get(sha256)
        if blob_id is None:
            blob_id = hash_file(self.blob_path(sha256), size).blob_id
        return blob_id

    def _record(
        self,
        kind: RepoKind,
        repo_id: str,
        parent: str | None,
        message: str,
        files: tuple[HubFile, ...],
        sources: Mapping[str, Path],
        *,
        move: bool,
        author: str | None = None,
    ) -> HubCommit:
        """Write a new head commit of *files* (under the write lock): new bytes from *sources*
        (path -> file) into the blob store, the git commit (``refs/heads/main`` moved from
        *parent* by compare-and-swap), the cache's links, snapshot and tree, the database,
        then ``refs/main``.

        Raises:
            CommitConflict: git's main moved meanwhile (a ``git push``).
        """
        created = float(int(time.time()))  # git keeps whole seconds
        for f in files:
            if f.path in sources:
                blob = self.blob_path(f.sha256)
                store_blob(sources[f.path], blob, f.sha256, self.tmp_dir, move=move)
        sha = self._git_commit(kind, repo_id, parent, message, files, author, created)
        old = parent if parent is not None else self.git.ref(kind.value, repo_id)
        self.git.set_ref(kind.value, repo_id, MAIN, sha, old)
        return self._store(kind, repo_id, sha, parent, created, message, files)

    def _git_commit(
        self,
        kind: RepoKind,
        repo_id: str,
        parent: str | None,
        message: str,
        files: tuple[HubFile, ...],
        author: str | None,
        created: float,
    ) -> str:
        """The git commit of *files* (regular files' content and LFS files' pointers as blobs,
        the bytes read from the blob store); no ref moves. Its sha."""
        k = kind.value
        self.git.init(k, repo_id)
        entries: list[tuple[str, int, str]] = []
        for f in files:
            if f.lfs:
                oid = self.git.add_blob(k, repo_id, lfs_pointer(f.sha256, f.size))
            else:
                oid = f.blob_id
                if not self.git.has_object(k, repo_id, oid):
                    self.git.add_blob(k, repo_id, self.blob_path(f.sha256).read_bytes())
            entries.append((f.path, f.mode, oid))
        parents = [parent] if parent is not None else []
        return self.git.write_commit(
            k, repo_id, entries, message, parents, author=git_author(author), when=created
        )

    def _store(
        self,
        kind: RepoKind,
        repo_id: str,
        sha: str,
        parent: str | None,
        created: float,
        message: str,
        files: tuple[HubFile, ...],
        *,
        head: bool = True,
    ) -> HubCommit:
        """Make commit *sha* (its blobs stored) the head: the cache's links, snapshot and tree,
        the database, then ``refs/main`` (*head* False: all but the last two)."""
        cache = self._cache / repo_cache_name(kind, repo_id)
        for f in files:
            link_blob(self.blob_path(f.sha256), cache / "blobs" / f.etag)
        write_tree_cache(cache, sha, {f.path: f.tree_cache_entry() for f in files}, self.tmp_dir)
        write_snapshot(cache / "snapshots", sha, ((f.path, f.etag) for f in files))
        self._db.add_commit(
            kind.value, repo_id, sha, parent, created, message, [f.row for f in files], head=head
        )
        if head:
            write_text_atomic(cache / "refs" / MAIN, sha, self.tmp_dir)
        return HubCommit(sha, parent, created, message, files)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One writer at a time: a thread lock, and a file lock against a second process."""
        with self._lock, open(self.root / ".lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _repo_row(self, kind: RepoKind, repo_id: str) -> Row:
        row = self._db.repo_row(kind.value, repo_id)
        if row is None:
            raise RepoNotFound(
                f"no {kind.value} {repo_id!r} on this platform",
                hint=f"push it with: spacehost push DIR --type {kind.value} --name {repo_id} "
                f"(see the {kind.plural} with: spacehost ls --type {kind.value})",
            )
        return row

    def _repo(self, row: Row) -> HubRepo:
        kind = RepoKind(row[0])
        head = self._commit(kind, row[1], row[4])
        return HubRepo(kind, row[1], head, row[2], row[3], head.total_size)

    def _commit(self, kind: RepoKind, repo_id: str, sha: str) -> HubCommit:
        rows = self._db.commit_rows(kind.value, repo_id, sha)
        exact = [r for r in rows if r[0] == sha]
        if not exact:
            raise RevisionNotFound(f"commit {sha} of {kind.value} {repo_id} is not stored")
        return self._commit_from(kind, repo_id, exact[0])

    def _commit_from(self, kind: RepoKind, repo_id: str, row: Row) -> HubCommit:
        files = tuple(file_from_row(r) for r in self._db.file_rows(kind.value, repo_id, row[0]))
        return HubCommit(row[0], row[1], row[2], row[3], files)

    def _drop_blob_if_unused(self, sha256: str) -> None:
        blob = self.blob_path(sha256)
        # a repo's cache holds a hard link to each blob it uses: one link left = nobody's
        with contextlib.suppress(FileNotFoundError):
            if blob.stat().st_nlink <= 1 and not self._db.sha256_used(sha256):
                blob.unlink()
        if not blob.exists():
            self.xorb_path(sha256).unlink(missing_ok=True)

    def _recover(self) -> None:
        """Move repos from before git into git, then sweep what an interrupted push or delete
        left that the database does not name."""
        clear_dir(self.tmp_dir)
        self._finish_moves()
        for r in self._db.repo_rows(None):
            if needs_git(self.git, r[0], r[1], r[4]):
                self._migrate(RepoKind(r[0]), r[1])
        known = {repo_cache_name(RepoKind(r[0]), r[1]): r for r in self._db.repo_rows(None)}
        for cache in list(self._cache.iterdir()):
            row = known.get(cache.name)
            if row is None:
                remove_tree(cache, self.tmp_dir)
            else:
                rename_cached(cache, self._db.aliases(row[0], row[1]))
                self._recover_repo(cache, RepoKind(row[0]), row[1], row[4])
        self._recover_git(known.values())
        for shard in self._blobs.iterdir():
            for blob in shard.iterdir():
                self._drop_blob_if_unused(blob.name)
        for shard in self._xorbs.glob("??"):
            for xorb in shard.iterdir():
                if not (self._blobs / shard.name / xorb.name).exists():
                    xorb.unlink()

    def _finish_moves(self) -> None:
        """Rename the git repository and cache folder of each move the database recorded and
        the disk does not show yet (a rename already done is left as it is)."""
        for kind, old, new in self._db.pending_moves():
            self.git.move(kind, old, new)
            src = self._cache / repo_cache_name(RepoKind(kind), old)
            dst = self._cache / repo_cache_name(RepoKind(kind), new)
            if src.exists() and not dst.exists():
                src.rename(dst)
            self._db.finish_move(kind, old)

    def _migrate(self, kind: RepoKind, repo_id: str) -> None:
        """Replay a repo from before git into its git repository (store/hubmigrate.py)."""

        def compose(parent: str | None, message: str, rows: list[FileRow], when: float) -> str:
            files = tuple(file_from_row(r) for r in rows)
            return self._git_commit(kind, repo_id, parent, message, files, None, when)

        migrate_repo(self._db, kind.value, repo_id, compose)

    def _recover_git(self, rows: Iterable[Row]) -> None:
        """git's ``main`` of each repo back at the head the database names (a write that died
        between moving it and recording the commit never happened); git repositories of
        models and datasets the database does not know removed."""
        ids = {(r[0], r[1]) for r in rows}
        for r in rows:
            if self.git.exists(r[0], r[1]) and self.git.ref(r[0], r[1]) != r[4]:
                self.git.set_ref(r[0], r[1], MAIN, r[4], self.git.ref(r[0], r[1]))
        for kind in RepoKind:
            for owner in (self.git.root / kind.plural).glob("*"):
                for repo in owner.glob("*.git"):
                    if (kind.value, f"{owner.name}/{repo.name[:-4]}") not in ids:
                        self.git.delete(kind.value, f"{owner.name}/{repo.name[:-4]}")

    def _recover_repo(self, cache: Path, kind: RepoKind, repo_id: str, head: str) -> None:
        rows = self._db.all_files(kind.value, repo_id)
        shas = {r[0] for r in rows}
        etags = {file_from_row((r[1], r[4], r[2], r[3], r[5], r[6])).etag for r in rows}
        snapshots = cache / "snapshots"
        if snapshots.is_dir():
            for snap in snapshots.iterdir():
                if snap.name not in shas:
                    remove_tree(snap, self.tmp_dir)
        trees = cache / "trees"
        if trees.is_dir():
            for listing in trees.iterdir():
                if listing.name.removesuffix(".json") not in shas:
                    listing.unlink()
        blobs = cache / "blobs"
        if blobs.is_dir():
            for blob in blobs.iterdir():
                if blob.name not in etags:
                    blob.unlink()
        ref = cache / "refs" / MAIN
        if not ref.is_file() or ref.read_text() != head:
            write_text_atomic(ref, head, self.tmp_dir)
